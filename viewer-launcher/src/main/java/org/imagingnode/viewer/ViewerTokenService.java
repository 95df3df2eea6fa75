package org.imagingnode.viewer;

import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Issues and verifies viewer tokens: JWTs signed with HMAC-SHA256 under a node secret, each scoped to
 * one patient, study or series and valid for a short time. Verification accepts only tokens of this
 * kind (type {@value #TOKEN_TYPE}, algorithm HS256, this issuer and audience), unexpired, and whose
 * lifetime never exceeded {@link #MAX_LIFETIME}. Thread-safe.
 */
public final class ViewerTokenService {
    /** The JOSE "typ" of viewer tokens, so no other token signed with the same key passes as one. */
    public static final String TOKEN_TYPE = "imaging-node-viewer+jwt";
    public static final String AUDIENCE = "imaging-node-viewer";
    /** No viewer token lives longer than this, whatever the configuration says. */
    public static final Duration MAX_LIFETIME = Duration.ofHours(12);
    /** Tolerated difference between the clocks of the nodes of a site. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    /** Shortest accepted secret: HS256 needs 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;
    private final String issuer;
    private final Duration lifetime;
    private final Clock clock;
    private final MACSigner signer;
    private final MACVerifier verifier;

    /**
     * @param secret   at least {@value #MIN_SECRET_BYTES} random bytes, shared by the nodes that must accept
     *                 each other's tokens
     * @param issuer   who issues (e.g. the node's public base URL or name); checked on verification
     * @param lifetime how long issued tokens live (positive, at most {@link #MAX_LIFETIME})
     */
    public ViewerTokenService(byte[] secret, String issuer, Duration lifetime, Clock clock) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the viewer token secret must have at least " + MIN_SECRET_BYTES
                    + " bytes, not " + secret.length);
        }
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("issuer is required");
        }
        if (lifetime == null || lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("viewer token lifetime must be positive and at most " + MAX_LIFETIME
                    + ", not " + lifetime);
        }
        this.secret = secret.clone();
        this.issuer = issuer;
        this.lifetime = lifetime;
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.signer = new MACSigner(this.secret);
            this.verifier = new MACVerifier(this.secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable viewer token secret: " + e.getMessage(), e);
        }
    }

    /** A fresh random secret of the minimum length (for a single node whose tokens need not survive a restart). */
    public static byte[] randomSecret() {
        byte[] b = new byte[MIN_SECRET_BYTES];
        RANDOM.nextBytes(b);
        return b;
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** Issues a token for {@code subject} opening {@code scope}, expiring after the configured lifetime. */
    public ViewerToken issue(String subject, ViewerScope scope) {
        return issue(subject, scope, lifetime);
    }

    /** Issues a token with a shorter lifetime than the configured one (never a longer one). */
    public ViewerToken issue(String subject, ViewerScope scope, Duration requestedLifetime) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject is required");
        }
        Objects.requireNonNull(scope, "scope");
        Duration life = requestedLifetime == null || requestedLifetime.compareTo(lifetime) > 0 ? lifetime
                : requestedLifetime;
        if (life.isNegative() || life.isZero()) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = now.plus(life).truncatedTo(ChronoUnit.SECONDS);
        byte[] idBytes = new byte[16];
        RANDOM.nextBytes(idBytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(idBytes);
        Map<String, Object> scopeClaim = new LinkedHashMap<>();
        scopeClaim.put("level", scope.level().name().toLowerCase());
        putIfNotNull(scopeClaim, "pid", scope.patientId());
        putIfNotNull(scopeClaim, "pid_issuer", scope.issuerOfPatientId());
        putIfNotNull(scopeClaim, "study", scope.studyInstanceUid());
        putIfNotNull(scopeClaim, "series", scope.seriesInstanceUid());
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(AUDIENCE)
                .subject(subject)
                .jwtID(id)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .claim("scope", scopeClaim)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType(TOKEN_TYPE)).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a viewer token", e);
        }
        return new ViewerToken(jwt.serialize(), id, subject, scope, now, exp);
    }

    /**
     * Checks a token and returns what it grants. Accepts the bare token or an Authorization header value
     * ({@code Bearer ...}).
     */
    public ViewerToken verify(String token) throws InvalidViewerTokenException {
        if (token == null || token.isBlank()) {
            throw new InvalidViewerTokenException("no token");
        }
        String compact = token.strip();
        if (compact.regionMatches(true, 0, "Bearer ", 0, 7)) {
            compact = compact.substring(7).strip();
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(compact);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidViewerTokenException("malformed token", e);
        }
        JWSHeader header = jwt.getHeader();
        if (!JWSAlgorithm.HS256.equals(header.getAlgorithm())) {
            throw new InvalidViewerTokenException("unexpected algorithm " + header.getAlgorithm());
        }
        if (header.getType() == null || !TOKEN_TYPE.equals(header.getType().getType())) {
            throw new InvalidViewerTokenException("not a viewer token");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            throw new InvalidViewerTokenException("unsupported critical header parameters");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidViewerTokenException("bad signature");
            }
        } catch (JOSEException e) {
            throw new InvalidViewerTokenException("bad signature", e);
        }
        if (!issuer.equals(claims.getIssuer())) {
            throw new InvalidViewerTokenException("token from another issuer");
        }
        List<String> aud = claims.getAudience();
        if (aud == null || !aud.contains(AUDIENCE)) {
            throw new InvalidViewerTokenException("token for another audience");
        }
        Date iatDate = claims.getIssueTime();
        Date expDate = claims.getExpirationTime();
        if (iatDate == null || expDate == null) {
            throw new InvalidViewerTokenException("token without issue or expiry time");
        }
        Instant now = clock.instant();
        Instant iat = iatDate.toInstant();
        Instant exp = expDate.toInstant();
        if (!now.isBefore(exp.plus(CLOCK_SKEW))) {
            throw new InvalidViewerTokenException("token expired at " + exp);
        }
        if (iat.isAfter(now.plus(CLOCK_SKEW))) {
            throw new InvalidViewerTokenException("token issued in the future");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(now.plus(CLOCK_SKEW))) {
            throw new InvalidViewerTokenException("token not valid yet");
        }
        if (Duration.between(iat, exp).compareTo(MAX_LIFETIME) > 0) {
            throw new InvalidViewerTokenException("token lifetime exceeds " + MAX_LIFETIME);
        }
        String subject = claims.getSubject();
        String id = claims.getJWTID();
        if (subject == null || id == null) {
            throw new InvalidViewerTokenException("token without subject or id");
        }
        ViewerScope scope;
        try {
            Map<String, Object> s = claims.getJSONObjectClaim("scope");
            if (s == null) {
                throw new InvalidViewerTokenException("token without scope");
            }
            scope = new ViewerScope(ViewerScope.Level.valueOf(String.valueOf(s.get("level")).toUpperCase()),
                    str(s.get("pid")), str(s.get("pid_issuer")), str(s.get("study")), str(s.get("series")));
        } catch (ParseException | IllegalArgumentException e) {
            throw new InvalidViewerTokenException("invalid scope", e);
        }
        return new ViewerToken(compact, id, subject, scope, iat, exp);
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static void putIfNotNull(Map<String, Object> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    @Override
    public String toString() {
        return "ViewerTokenService[" + issuer + ", lifetime " + lifetime + "]"; // never the secret
    }
}
