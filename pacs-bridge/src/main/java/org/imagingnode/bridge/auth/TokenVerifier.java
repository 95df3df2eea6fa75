package org.imagingnode.bridge.auth;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Validates OAuth2 / OpenID Connect bearer tokens (signed JWTs): signature with the keys of a trusted
 * issuer (asymmetric algorithms only: RS*, PS*, ES*; never "none" nor HMAC), exact issuer, audience, and
 * the presence and validity of {@code sub}, {@code exp} and {@code iat} (60 s clock skew). Tokens are
 * accepted from the configured issuer and, when enabled, from the node's dev issuer. Thread-safe; a
 * token validated once is remembered until it expires (bounded memory).
 */
public final class TokenVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
            JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final int MEMORY = 2048;

    private final Map<String, ConfigurableJWTProcessor<SecurityContext>> processors = new LinkedHashMap<>();
    private final AuthProperties.Claims claims;
    private final Map<String, VerifiedToken> verified = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, VerifiedToken> eldest) {
            return size() > MEMORY;
        }
    };

    public TokenVerifier(String audience, AuthProperties.Claims claims) {
        this.audience = audience;
        this.claims = claims;
    }

    private final String audience;

    /** Accepts tokens of {@code issuer} signed with one of the keys of {@code keys}. */
    public TokenVerifier trust(String issuer, JWKSource<SecurityContext> keys) {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"),
                null));
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        p.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iat")));
        processors.put(issuer, p);
        return this;
    }

    /** The keys of a remote JWKS URL (fetched on demand, cached, refreshed on unknown key ids). */
    public static JWKSource<SecurityContext> remoteKeys(String jwksUri) {
        try {
            return JWKSourceBuilder.create(URI.create(jwksUri).toURL()).retrying(true).build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("node.auth.jwks-uri is not a URL: " + jwksUri, e);
        }
    }

    /** The keys of a local file: a JWKS document, or PEM public key(s) / certificate(s). */
    public static JWKSource<SecurityContext> fileKeys(Path file) {
        try {
            String text = Files.readString(file);
            JWKSet set = text.strip().startsWith("{") ? JWKSet.parse(text) : new JWKSet(pemKeys(text));
            if (set.getKeys().isEmpty()) {
                throw new IllegalArgumentException("no key in " + file);
            }
            JWKSet pub = set.toPublicJWKSet();
            if (pub.getKeys().stream().anyMatch(k -> k.getKeyID() == null)) {
                // PEM keys have no key id: offer every key, whatever kid the token names
                java.util.List<JWK> all = pub.getKeys();
                return (selector, context) -> all;
            }
            return new ImmutableJWKSet<>(pub);
        } catch (IOException | ParseException | com.nimbusds.jose.JOSEException e) {
            throw new IllegalArgumentException("node.auth.public-key-file: cannot read keys from " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** PEM "PUBLIC KEY" (RSA or EC) and "CERTIFICATE" blocks as JWKs, without an extra crypto provider. */
    static java.util.List<JWK> pemKeys(String pem) throws com.nimbusds.jose.JOSEException {
        java.util.List<JWK> keys = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----").matcher(pem);
        while (m.find()) {
            byte[] der = java.util.Base64.getMimeDecoder().decode(m.group(2).strip());
            try {
                if (m.group(1).equals("CERTIFICATE")) {
                    keys.add(JWK.parse((java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                            .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der))));
                } else if (m.group(1).equals("PUBLIC KEY")) {
                    java.security.spec.X509EncodedKeySpec spec = new java.security.spec.X509EncodedKeySpec(der);
                    java.security.PublicKey k;
                    try {
                        k = java.security.KeyFactory.getInstance("RSA").generatePublic(spec);
                    } catch (java.security.spec.InvalidKeySpecException e) {
                        k = java.security.KeyFactory.getInstance("EC").generatePublic(spec);
                    }
                    keys.add(k instanceof java.security.interfaces.RSAPublicKey rsa
                            ? new com.nimbusds.jose.jwk.RSAKey.Builder(rsa).build()
                            : new com.nimbusds.jose.jwk.ECKey.Builder(com.nimbusds.jose.jwk.Curve.forECParameterSpec(
                                    ((java.security.interfaces.ECPublicKey) k).getParams()),
                                    (java.security.interfaces.ECPublicKey) k).build());
                }
            } catch (java.security.GeneralSecurityException e) {
                throw new com.nimbusds.jose.JOSEException("unreadable PEM " + m.group(1) + ": " + e.getMessage(), e);
            }
        }
        return keys;
    }

    public boolean trustsAnyIssuer() {
        return !processors.isEmpty();
    }

    /**
     * Validates a token (the compact JWT, or an Authorization header value {@code Bearer ...}).
     *
     * @throws InvalidTokenException whatever is wrong with it; the message is for logs, not for callers
     */
    public VerifiedToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isBlank()) {
            throw new InvalidTokenException("no token");
        }
        String compact = token.strip();
        if (compact.regionMatches(true, 0, "Bearer ", 0, 7)) {
            compact = compact.substring(7).strip();
        }
        if (compact.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("token too long");
        }
        VerifiedToken known;
        synchronized (verified) {
            known = verified.get(compact);
        }
        if (known != null) {
            if (known.expiresAt().isAfter(Instant.now())) {
                return known;
            }
            synchronized (verified) {
                verified.remove(compact);
            }
            throw new InvalidTokenException("token expired");
        }
        VerifiedToken v = doVerify(compact);
        synchronized (verified) {
            verified.put(compact, v);
        }
        return v;
    }

    private VerifiedToken doVerify(String compact) throws InvalidTokenException {
        String issuer;
        try {
            issuer = SignedJWT.parse(compact).getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            throw new InvalidTokenException("malformed token", e);
        }
        ConfigurableJWTProcessor<SecurityContext> p = issuer == null ? null : processors.get(issuer);
        if (p == null) {
            throw new InvalidTokenException("token from an issuer not trusted");
        }
        JWTClaimsSet c;
        try {
            c = p.process(compact, null);
        } catch (Exception e) { // ParseException, BadJOSEException, JOSEException, and runtime surprises
            throw new InvalidTokenException("invalid token: " + e.getMessage(), e);
        }
        try {
            return new VerifiedToken(issuer, c.getSubject(), text(c, claims.professionalId()), text(c, claims.profession()),
                    text(c, claims.organisation()), text(c, claims.patientId()), text(c, claims.patientIdIssuer()),
                    c.getExpirationTime().toInstant());
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims", e);
        }
    }

    private static String text(JWTClaimsSet c, String name) throws ParseException {
        Object v = c.getClaim(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String) && !(v instanceof Number)) {
            throw new ParseException("claim " + name + " is not text", 0);
        }
        String s = v.toString().strip();
        return s.isEmpty() || s.length() > 128 ? null : s;
    }
}
