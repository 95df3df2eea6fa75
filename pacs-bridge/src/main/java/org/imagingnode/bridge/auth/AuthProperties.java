package org.imagingnode.bridge.auth;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Bearer token settings (prefix {@code node.auth}), used when {@code node.security.mode=tokens}.
 *
 * @param issuer        the OpenID Connect issuer whose tokens are accepted (exact {@code iss})
 * @param jwksUri       where that issuer publishes its signing keys (JWKS); fetched and cached
 * @param publicKeyFile instead of {@code jwks-uri}: a local JWKS (JSON) or PEM public key file
 * @param audience      the audience ({@code aud}) tokens must be for (default {@code imaging-node})
 * @param claims        claim names (defaults: {@code professional_id}, {@code profession}, {@code organisation},
 *                      {@code patient_id}, {@code patient_id_issuer})
 * @param devIssuer     the node's own dev-only token issuer ({@code POST /dev/tokens}); off by default
 */
@ConfigurationProperties("node.auth")
public record AuthProperties(String issuer, String jwksUri, Path publicKeyFile, String audience, Claims claims,
        DevIssuer devIssuer) {
    public AuthProperties {
        issuer = blankToNull(issuer);
        jwksUri = blankToNull(jwksUri);
        audience = audience == null || audience.isBlank() ? "imaging-node" : audience.strip();
        claims = claims == null ? new Claims(null, null, null, null, null) : claims;
        devIssuer = devIssuer == null ? new DevIssuer(false, null) : devIssuer;
    }

    public record Claims(String professionalId, String profession, String organisation, String patientId,
            String patientIdIssuer) {
        public Claims {
            professionalId = dflt(professionalId, "professional_id");
            profession = dflt(profession, "profession");
            organisation = dflt(organisation, "organisation");
            patientId = dflt(patientId, "patient_id");
            patientIdIssuer = dflt(patientIdIssuer, "patient_id_issuer");
        }
    }

    /**
     * @param enabled  sign test tokens with a key generated at start ({@code POST /dev/tokens}, loopback
     *                 callers only); NEVER in production
     * @param lifetime default lifetime of the tokens it signs (default 1 h)
     */
    public record DevIssuer(boolean enabled, Duration lifetime) {
        public DevIssuer {
            lifetime = lifetime == null ? Duration.ofHours(1) : lifetime;
        }
    }

    private static String dflt(String v, String d) {
        return v == null || v.isBlank() ? d : v.strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
