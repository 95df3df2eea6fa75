package org.imagingnode.bridge.web;

import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.context.ServletWebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;

/**
 * The HTTP edge shared by every route: the request id first (so that even refusals carry one),
 * then the input checks, then (registered elsewhere) CORS, limits and access control; and Tomcat's
 * own refusals in plain text; responses that fail after commit cut off.
 */
@Configuration(proxyBeanMethods = false)
public class WebEdgeConfig {
    public static final int EDGE_INPUT_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    /** The request id, set before anything else runs (an engine valve, ahead of every filter). */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> requestIds() {
        return factory -> factory.addEngineValves(new RequestIdValve());
    }

    /** Responses that fail after they are committed end as failed transfers ({@link CutOffResponses}). */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> cutOffResponses() {
        return factory -> factory.addContextValves(new CutOffValve());
    }

    @Bean
    FilterRegistrationBean<EdgeInputFilter> edgeInputFilter() {
        FilterRegistrationBean<EdgeInputFilter> reg = new FilterRegistrationBean<>(new EdgeInputFilter());
        reg.setOrder(EDGE_INPUT_FILTER_ORDER);
        reg.addUrlPatterns("/*");
        return reg;
    }

    /** Tomcat's own refusals in plain text: its HTML error page replaced once the server runs. */
    @EventListener
    void plainTomcatErrors(ServletWebServerInitializedEvent event) {
        if (event.getWebServer() instanceof TomcatWebServer tomcat) {
            Pipeline pipeline = tomcat.getTomcat().getHost().getPipeline();
            for (Valve valve : pipeline.getValves()) {
                if (valve.getClass() == ErrorReportValve.class) {
                    pipeline.removeValve(valve);
                }
            }
            pipeline.addValve(new PlainErrorReportValve());
        }
    }
}
