package org.imagingnode.bridge.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * The node's own token issuer for local runs and tests ({@code node.auth.dev-issuer.enabled=true}): signs
 * RS256 tokens, exactly like an OpenID Connect provider would, with an RSA key generated at start (so its
 * tokens die with the process). Never enable it on a node others can reach.
 */
public final class DevTokenIssuer {
    public static final String ISSUER = "urn:imaging-node:dev-issuer";
    /** Longest token it signs. */
    public static final Duration MAX_LIFETIME = Duration.ofHours(12);

    private final RSAKey key;
    private final RSASSASigner signer;
    private final String audience;
    private final Duration lifetime;
    private final Clock clock;

    public DevTokenIssuer(String audience, Duration lifetime, Clock clock) {
        try {
            this.key = new RSAKeyGenerator(2048).keyID("dev-" + UUID.randomUUID()).generate();
            this.signer = new RSASSASigner(key);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate the dev issuer's key", e);
        }
        this.audience = audience;
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** Its public key, for {@link TokenVerifier#trust}. */
    public JWKSource<SecurityContext> publicKeys() {
        return new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK()));
    }

    /**
     * Signs a token for {@code subject} with the given extra claims, valid for {@code requested} (default
     * lifetime when null; negative gives an already expired token, for tests of expiry).
     */
    public String issue(String subject, Map<String, Object> claims, Duration requested) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject is required");
        }
        Duration life = requested == null ? lifetime : requested;
        if (life.compareTo(MAX_LIFETIME) > 0) {
            life = MAX_LIFETIME;
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant iat = life.isNegative() ? now.plus(life).minusSeconds(60) : now;
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(ISSUER).audience(audience).subject(subject)
                .jwtID(UUID.randomUUID().toString()).issueTime(Date.from(iat)).expirationTime(Date.from(now.plus(life)));
        claims.forEach((k, v) -> {
            if (v != null) {
                b.claim(k, v);
            }
        });
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .keyID(key.getKeyID()).build(), b.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a dev token", e);
        }
        return jwt.serialize();
    }
}
