package org.imagingnode.bridge.dicomweb;

import java.util.List;

import org.imagingnode.bridge.throttle.ThrottleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;
import org.springframework.web.multipart.MultipartResolver;
import org.springframework.web.multipart.support.StandardServletMultipartResolver;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * DICOMweb wiring: settings, and CORS for browser viewers ({@code node.dicomweb.cors-allowed-origins}).
 * The CORS filter runs before the access filter, so preflight requests are answered without
 * credentials and error answers (401, 404...) still carry the CORS headers a browser needs to read them.
 */
@Configuration
@EnableConfigurationProperties(DicomWebProperties.class)
public class DicomWebConfig {
    private static final Logger log = LoggerFactory.getLogger(DicomWebConfig.class);

    /**
     * Servlet multipart parsing for multipart/form-data only. Spring's default resolver also takes
     * multipart/related, and would read a whole STOW-RS body into the container's part store before
     * the handler streams it; STOW-RS parses its body itself, as a stream.
     */
    @Bean(name = DispatcherServlet.MULTIPART_RESOLVER_BEAN_NAME)
    MultipartResolver multipartResolver() {
        StandardServletMultipartResolver resolver = new StandardServletMultipartResolver();
        resolver.setStrictServletCompliance(true);
        return resolver;
    }

    @Bean
    FilterRegistrationBean<CorsFilter> dicomWebCorsFilter(DicomWebProperties props) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (!props.corsAllowedOrigins().isEmpty()) {
            CorsConfiguration cors = new CorsConfiguration();
            cors.setAllowedOriginPatterns(props.corsAllowedOrigins());
            cors.setAllowedMethods(List.of("GET", "HEAD", "POST", "OPTIONS"));
            cors.setAllowedHeaders(List.of("Authorization", "Accept", "Content-Type", "Range", "If-None-Match",
                    "X-Requested-With"));
            cors.setExposedHeaders(List.of("Content-Type", "Content-Length", "Content-Location", "Warning",
                    "WWW-Authenticate"));
            cors.setAllowCredentials(!props.corsAllowedOrigins().contains("*"));
            cors.setMaxAge(props.corsMaxAgeSeconds());
            source.registerCorsConfiguration(props.basePath() + "/**", cors);
            source.registerCorsConfiguration(props.wadoUriPath(), cors);
            log.info("DICOMweb CORS allowed origins: {}", props.corsAllowedOrigins());
        }
        FilterRegistrationBean<CorsFilter> reg = new FilterRegistrationBean<>(new CorsFilter(source));
        reg.setOrder(ThrottleConfig.LIMITS_FILTER_ORDER - 1); // before the limits, so that refusals carry CORS headers
        reg.addUrlPatterns("/*");
        reg.setName("dicomWebCorsFilter");
        return reg;
    }
}
