package org.imagingnode.bridge.auth;

import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Bearer token validation for {@code node.security.mode=tokens}: the configured OpenID Connect issuer
 * ({@code node.auth.issuer} with {@code node.auth.jwks-uri} or {@code node.auth.public-key-file}) and, when
 * {@code node.auth.dev-issuer.enabled=true}, the node's own dev issuer.
 */
@Configuration
@ConditionalOnProperty(name = "node.security.mode", havingValue = "tokens")
@EnableConfigurationProperties(AuthProperties.class)
public class AuthConfig {
    private static final Logger log = LoggerFactory.getLogger(AuthConfig.class);

    @Bean
    @ConditionalOnProperty(name = "node.auth.dev-issuer.enabled", havingValue = "true")
    DevTokenIssuer devTokenIssuer(AuthProperties props) {
        log.warn("\n*****************************************************************************************\n"
                + "node.auth.dev-issuer.enabled=true: this node SIGNS ITS OWN TEST TOKENS (POST /dev/tokens from\n"
                + "loopback) and accepts them, for any patient or professional. FOR LOCAL DEVELOPMENT AND TESTS\n"
                + "ONLY: never enable it on a node that holds real patient data or that others can reach.\n"
                + "*****************************************************************************************");
        return new DevTokenIssuer(props.audience(), props.devIssuer().lifetime(), Clock.systemUTC());
    }

    @Bean
    TokenVerifier tokenVerifier(AuthProperties props, ObjectProvider<DevTokenIssuer> dev) {
        TokenVerifier verifier = new TokenVerifier(props.audience(), props.claims());
        if (props.issuer() != null) {
            if (props.jwksUri() != null) {
                verifier.trust(props.issuer(), TokenVerifier.remoteKeys(props.jwksUri()));
            } else if (props.publicKeyFile() != null) {
                verifier.trust(props.issuer(), TokenVerifier.fileKeys(props.publicKeyFile()));
            } else {
                throw new IllegalStateException("node.auth.issuer is set but neither node.auth.jwks-uri nor"
                        + " node.auth.public-key-file says where its keys are");
            }
            log.info("bearer tokens accepted from issuer {} for audience {}", props.issuer(), props.audience());
        }
        DevTokenIssuer d = dev.getIfAvailable();
        if (d != null) {
            verifier.trust(DevTokenIssuer.ISSUER, d.publicKeys());
        }
        if (!verifier.trustsAnyIssuer()) {
            throw new IllegalStateException("node.security.mode=tokens needs a token issuer: set node.auth.issuer and"
                    + " node.auth.jwks-uri (or node.auth.public-key-file), or for local runs"
                    + " node.auth.dev-issuer.enabled=true");
        }
        return verifier;
    }
}
