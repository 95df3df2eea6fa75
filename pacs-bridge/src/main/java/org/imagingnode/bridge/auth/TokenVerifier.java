package org.imagingnode.bridge.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
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
                List<JWK> all = pub.getKeys();
                return (selector, context) -> all;
            }
            return new ImmutableJWKSet<>(pub);
        } catch (IOException | ParseException | JOSEException e) {
            throw new IllegalArgumentException("node.auth.public-key-file: cannot read keys from " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** PEM "PUBLIC KEY" (RSA or EC) and "CERTIFICATE" blocks as JWKs, without an extra crypto provider. */
    static List<JWK> pemKeys(String pem) throws JOSEException {
        List<JWK> keys = new ArrayList<>();
        Matcher m = Pattern
                .compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----").matcher(pem);
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2).strip());
            try {
                if (m.group(1).equals("CERTIFICATE")) {
                    keys.add(JWK.parse((X509Certificate) CertificateFactory
                            .getInstance("X.509").generateCertificate(new ByteArrayInputStream(der))));
                } else if (m.group(1).equals("PUBLIC KEY")) {
                    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
                    PublicKey k;
                    try {
                        k = KeyFactory.getInstance("RSA").generatePublic(spec);
                    } catch (InvalidKeySpecException e) {
                        k = KeyFactory.getInstance("EC").generatePublic(spec);
                    }
                    keys.add(k instanceof RSAPublicKey rsa
                            ? new RSAKey.Builder(rsa).build()
                            : new ECKey.Builder(Curve.forECParameterSpec(
                                    ((ECPublicKey) k).getParams()),
                                    (ECPublicKey) k).build());
                }
            } catch (GeneralSecurityException e) {
                throw new JOSEException("unreadable PEM " + m.group(1) + ": " + e.getMessage(), e);
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
