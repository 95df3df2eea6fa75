package org.imagingnode.bridge.throttle;

import io.micrometer.core.instrument.MeterRegistry;
import org.imagingnode.bridge.security.SecurityConfig;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Registers the request limits in front of authorisation (and behind CORS, so refusals carry CORS headers). */
@Configuration
@EnableConfigurationProperties(HttpLimitsProperties.class)
public class ThrottleConfig {
    public static final int LIMITS_FILTER_ORDER = SecurityConfig.ACCESS_FILTER_ORDER - 1;

    @Bean
    FilterRegistrationBean<RequestLimitsFilter> requestLimitsFilter(HttpLimitsProperties limits, MeterRegistry meters) {
        FilterRegistrationBean<RequestLimitsFilter> reg = new FilterRegistrationBean<>(
                new RequestLimitsFilter(limits, meters));
        reg.setOrder(LIMITS_FILTER_ORDER);
        reg.addUrlPatterns("/*");
        return reg;
    }
}
