package org.imagingnode.bridge.space;

import java.time.Clock;
import java.util.Base64;

import org.imagingnode.bridge.auth.TokenVerifier;
import org.imagingnode.bridge.security.AccessPolicyMode;
import org.imagingnode.viewer.ViewerTokenService;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code node.security.mode=tokens}: the patient space's policy, offered to the security package as an
 * {@link AccessPolicyMode} (it is deliberately not an AccessPolicy bean itself: the node has one).
 */
@Configuration
@ConditionalOnProperty(name = "node.security.mode", havingValue = "tokens")
public class SpaceConfig {

    /** The policy of {@code node.security.mode=tokens}. */
    public static final class TokensMode implements AccessPolicyMode {
        private final PatientSpacePolicy policy;

        TokensMode(PatientSpacePolicy policy) {
            this.policy = policy;
        }

        @Override
        public String name() {
            return "tokens";
        }

        @Override
        public PatientSpacePolicy policy() {
            return policy;
        }
    }

    @Bean
    TokensMode tokensMode(PatientSpace space, TokenVerifier tokens, ViewerTokenService viewerTokens,
            SpaceProperties props, ThumbnailLinks thumbnails) {
        return new TokensMode(new PatientSpacePolicy(space, tokens, viewerTokens, props, thumbnails));
    }

    /** Signed thumbnail URLs, keyed from the site's viewer secret (random per start when it is not set). */
    @Bean
    ThumbnailLinks thumbnailLinks(@Value("${node.viewer.token-secret:}") String secret) {
        byte[] key = secret.isBlank() ? ViewerTokenService.randomSecret() : Base64.getDecoder().decode(secret.strip());
        return new ThumbnailLinks(key, Clock.systemUTC());
    }
}
