package org.imagingnode.bridge.sharing.nodeauth;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import org.imagingnode.bridge.NodeProperties;
import org.imagingnode.bridge.auth.TokenVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Node-to-node authentication: this node's id and signing key, the {@link NodeTokenIssuer} that signs its node
 * tokens and the {@link NodeTokenVerifier} that checks those of the trusted nodes (and its own).
 */
@Configuration
@EnableConfigurationProperties(NodeAuthProperties.class)
public class NodeAuthConfig {
    private static final Logger log = LoggerFactory.getLogger(NodeAuthConfig.class);

    /** This node's id: {@code node.sharing.auth.node-id}, else its AE title. */
    static String nodeId(NodeAuthProperties props, NodeProperties node) {
        String id = props.nodeId() != null ? props.nodeId() : node.aeTitle();
        if (!NodeAuthProperties.isNodeId(id)) {
            throw new IllegalStateException("the AE title '" + id + "' cannot serve as node id: set"
                    + " node.sharing.auth.node-id (letters, digits and . _ : - only)");
        }
        return id;
    }

    @Bean
    NodeSigningKey nodeSigningKey(NodeAuthProperties props, NodeProperties node) {
        NodeSigningKey key = props.signingKeyFile() != null ? NodeSigningKey.read(props.signingKeyFile())
                : NodeSigningKey.generatedIn(node.dataDir().resolve("node-auth").resolve("node-signing-key.jwk"));
        String id = nodeId(props, node);
        if (key.generated()) {
            log.warn("node id {}: node tokens signed with the key the node generated in {}"
                    + " (node.sharing.auth.signing-key-file unset; keep that file, or set your own key for a network)."
                    + " Other nodes trust this node with its public key, served at /node/jwks.json: {}", id,
                    key.file(), key.publicKeys().toString());
        } else {
            log.info("node id {}: node tokens signed with the key of {}", id, key.file());
        }
        return key;
    }

    @Bean
    NodeTokenIssuer nodeTokenIssuer(NodeAuthProperties props, NodeProperties node, NodeSigningKey key) {
        return new NodeTokenIssuer(nodeId(props, node), key, props.tokenLifetime(), Clock.systemUTC());
    }

    @Bean
    NodeTokenVerifier nodeTokenVerifier(NodeAuthProperties props, NodeProperties node, NodeSigningKey key) {
        String self = nodeId(props, node);
        Map<String, JWKSource<SecurityContext>> trusted = new LinkedHashMap<>();
        props.trustedNodes().forEach((id, where) -> trusted.put(id, where.jwksUri() != null
                ? TokenVerifier.remoteKeys(where.jwksUri()) : TokenVerifier.fileKeys(where.publicKeyFile())));
        trusted.put(self, new ImmutableJWKSet<>(key.publicKeys()));
        log.info("node tokens accepted from: {}", trusted.keySet());
        return new NodeTokenVerifier(self, trusted);
    }
}
