package org.imagingnode.bridge.sharing.nodeauth;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Checks the node tokens other nodes present: type {@value NodeTokenIssuer#TYPE} (so neither a professional's
 * token nor a viewer token passes for one), signed with an asymmetric algorithm by a key of the trusted node its
 * {@code iss} names, {@code sub} equal to {@code iss}, {@code aud} this node, unexpired (30 s clock skew) and living
 * no longer than {@link NodeAuthProperties#MAX_LIFETIME}. Thread-safe.
 */
public final class NodeTokenVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384,
            JWSAlgorithm.ES512, JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256,
            JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final int MAX_TOKEN_LENGTH = 8 * 1024;
    private static final int CLOCK_SKEW_SECONDS = 30;

    private final String ownNodeId;
    private final Map<String, DefaultJWTProcessor<SecurityContext>> processors;

    /** @param trusted node id to its public keys (this node's own may be among them) */
    public NodeTokenVerifier(String ownNodeId, Map<String, JWKSource<SecurityContext>> trusted) {
        this.ownNodeId = ownNodeId;
        this.processors = Map.copyOf(trusted.entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> processor(e.getKey(), e.getValue()))));
    }

    private DefaultJWTProcessor<SecurityContext> processor(String node, JWKSource<SecurityContext> keys) {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType(NodeTokenIssuer.TYPE)));
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(ownNodeId,
                new JWTClaimsSet.Builder().issuer(node).subject(node).build(), Set.of("exp", "iat", "jti"));
        claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
        p.setJWTClaimsSetVerifier(claims);
        return p;
    }

    /** The trusted nodes' ids. */
    public Set<String> trustedNodes() {
        return processors.keySet();
    }

    /**
     * Checks a node token (compact, or a header value {@code Bearer ...}).
     *
     * @throws InvalidNodeTokenException whatever is wrong; the message is for logs and audit, not for the caller
     */
    public AuthenticatedNode verify(String token) throws InvalidNodeTokenException {
        if (token == null || token.isBlank()) {
            throw new InvalidNodeTokenException("no node token");
        }
        String compact = token.strip();
        if (compact.regionMatches(true, 0, "Bearer ", 0, 7)) {
            compact = compact.substring(7).strip();
        }
        if (compact.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidNodeTokenException("node token too long");
        }
        String issuer;
        try {
            issuer = SignedJWT.parse(compact).getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            throw new InvalidNodeTokenException("malformed node token", e);
        }
        DefaultJWTProcessor<SecurityContext> p = issuer == null ? null : processors.get(issuer);
        if (p == null) {
            throw new InvalidNodeTokenException("node token from a node not trusted: " + printable(issuer));
        }
        JWTClaimsSet c;
        try {
            c = p.process(compact, null);
        } catch (Exception e) { // ParseException, BadJOSEException, JOSEException, runtime surprises
            throw new InvalidNodeTokenException("invalid node token from " + issuer + ": " + e.getMessage(), e);
        }
        // the claims verifier checks exp and nbf, not iat: a token "issued" in the future would outlive the cap
        Instant issued = c.getIssueTime().toInstant();
        if (issued.isAfter(Instant.now().plusSeconds(CLOCK_SKEW_SECONDS))) {
            throw new InvalidNodeTokenException("node token from " + issuer + " issued in the future (" + issued + ")");
        }
        Duration life = Duration.between(issued, c.getExpirationTime().toInstant());
        if (life.isNegative()) {
            throw new InvalidNodeTokenException("node token from " + issuer + " expires before it is issued");
        }
        if (life.compareTo(NodeAuthProperties.MAX_LIFETIME) > 0) {
            throw new InvalidNodeTokenException("node token from " + issuer + " lives longer than "
                    + NodeAuthProperties.MAX_LIFETIME);
        }
        return new AuthenticatedNode(issuer, c.getExpirationTime().toInstant());
    }

    private static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return t.replaceAll("[^\\x21-\\x7E]", "?");
    }
}
