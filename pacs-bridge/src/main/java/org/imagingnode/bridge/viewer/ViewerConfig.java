package org.imagingnode.bridge.viewer;

import java.time.Clock;
import java.util.Base64;

import org.imagingnode.viewer.ViewerTokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The viewer token service, from {@code node.viewer.*}. */
@Configuration
@EnableConfigurationProperties(ViewerProperties.class)
public class ViewerConfig {
    private static final Logger log = LoggerFactory.getLogger(ViewerConfig.class);

    @Bean
    ViewerTokenService viewerTokenService(ViewerProperties props) {
        byte[] secret;
        if (props.tokenSecret() == null) {
            secret = ViewerTokenService.randomSecret();
            log.info("node.viewer.token-secret is not set: viewer tokens are signed with a random per-start secret"
                    + " (set the same secret on every node of a site so they accept each other's tokens)");
        } else {
            try {
                secret = Base64.getDecoder().decode(props.tokenSecret());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("node.viewer.token-secret must be Base64", e);
            }
        }
        return new ViewerTokenService(secret, props.tokenIssuer(), props.tokenLifetime(), Clock.systemUTC());
    }
}
