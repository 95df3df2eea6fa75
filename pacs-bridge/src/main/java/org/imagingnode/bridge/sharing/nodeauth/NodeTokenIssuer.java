package org.imagingnode.bridge.sharing.nodeauth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Signs this node's node tokens: short-lived JWTs ({@code typ} {@value #TYPE}) whose {@code iss} and {@code sub}
 * are this node's id and whose {@code aud} is the node they are for. A token is reused for the same target
 * while more than half of its life remains. Thread-safe.
 */
public final class NodeTokenIssuer {
    public static final String TYPE = "node+jwt";

    private final String nodeId;
    private final NodeSigningKey key;
    private final JWSSigner signer;
    private final Duration lifetime;
    private final Clock clock;
    private final Map<String, Issued> issued = new ConcurrentHashMap<>();

    private record Issued(String token, Instant renewAt) {
    }

    public NodeTokenIssuer(String nodeId, NodeSigningKey key, Duration lifetime, Clock clock) {
        NodeAuthProperties.requireNodeId(nodeId, "node id");
        this.nodeId = nodeId;
        this.key = key;
        this.lifetime = lifetime;
        this.clock = clock;
        try {
            this.signer = new DefaultJWSSignerFactory().createJWSSigner(key.key(), key.algorithm());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the node signing key cannot sign " + key.algorithm(), e);
        }
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /** A node token for calling {@code targetNode} (compact JWT). */
    public String tokenFor(String targetNode) {
        NodeAuthProperties.requireNodeId(targetNode, "target node");
        Instant now = clock.instant();
        Issued i = issued.get(targetNode);
        if (i == null || !now.isBefore(i.renewAt())) {
            i = new Issued(sign(targetNode, now), now.plus(lifetime.dividedBy(2)));
            if (issued.size() > 1000) {
                issued.clear();
            }
            issued.put(targetNode, i);
        }
        return i.token();
    }

    /** The header value for calling {@code targetNode}: {@code Bearer <node token>}. */
    public String authorizationFor(String targetNode) {
        return "Bearer " + tokenFor(targetNode);
    }

    private String sign(String targetNode, Instant at) {
        Instant now = at.truncatedTo(ChronoUnit.SECONDS);
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(nodeId).subject(nodeId).audience(targetNode)
                .jwtID(UUID.randomUUID().toString()).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(key.algorithm()).type(new JOSEObjectType(TYPE))
                .keyID(key.key().getKeyID()).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a node token", e);
        }
        return jwt.serialize();
    }
}
