package org.imagingnode.bridge.sharing.nodeauth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How this node proves itself to other nodes and which nodes it believes (prefix {@code node.sharing.auth}).
 *
 * @param nodeId         this node's identifier in the network (default: the AE title), the {@code iss} of its
 *                       node tokens and the {@code sourceNode} of its index entries
 * @param signingKeyFile a JWK (JSON) private key, EC P-256/P-384 or RSA; unset: a key generated once under
 *                       {@code <data-dir>/node-auth/} (fine for a trial, not for a network: back it up)
 * @param tokenLifetime  lifetime of the node tokens this node signs (default 2 min, at most 10 min)
 * @param trustedNodes   node id to where its public keys are: {@code public-key-file} (JWKS or PEM) or
 *                       {@code jwks-uri} (e.g. {@code https://other.example/node/jwks.json}), and where its DICOMweb
 *                       is, {@code dicomweb-url}: the only address this node sends a caller's token to for that node's
 *                       studies (unset: none of its studies is followed)
 */
@ConfigurationProperties("node.sharing.auth")
public record NodeAuthProperties(String nodeId, Path signingKeyFile, Duration tokenLifetime,
        Map<String, TrustedNode> trustedNodes) {
    /** Longest node token accepted or signed: a node token is a proof of the moment, not a credential to keep. */
    public static final Duration MAX_LIFETIME = Duration.ofMinutes(10);
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    public NodeAuthProperties {
        nodeId = nodeId == null || nodeId.isBlank() ? null : nodeId.strip();
        if (nodeId != null) {
            requireNodeId(nodeId, "node.sharing.auth.node-id");
        }
        tokenLifetime = tokenLifetime == null ? Duration.ofMinutes(2) : tokenLifetime;
        if (tokenLifetime.isNegative() || tokenLifetime.isZero() || tokenLifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("node.sharing.auth.token-lifetime must be positive and at most "
                    + MAX_LIFETIME);
        }
        trustedNodes = trustedNodes == null ? Map.of() : Map.copyOf(trustedNodes);
        trustedNodes.keySet().forEach(id -> requireNodeId(id, "node.sharing.auth.trusted-nodes"));
    }

    /**
     * A trusted node: where its public keys are (one of the two), and its DICOMweb base if this node retrieves its
     * studies.
     */
    public record TrustedNode(Path publicKeyFile, String jwksUri, String dicomwebUrl) {
        public TrustedNode {
            jwksUri = jwksUri == null || jwksUri.isBlank() ? null : jwksUri.strip();
            if ((publicKeyFile == null) == (jwksUri == null)) {
                throw new IllegalArgumentException("a trusted node needs exactly one of public-key-file and jwks-uri");
            }
            dicomwebUrl = dicomwebUrl == null || dicomwebUrl.isBlank() ? null : dicomwebUrl.strip();
            if (dicomwebUrl != null && DicomWebBase.parse(dicomwebUrl).isEmpty()) {
                throw new IllegalArgumentException("dicomweb-url '" + dicomwebUrl.replaceAll("[^\\x21-\\x7E]", "?")
                        + "' is not an absolute http(s) URL without user info, query or fragment");
            }
        }

        /** Its DICOMweb base, when set. */
        public Optional<DicomWebBase> dicomwebBase() {
            return DicomWebBase.parse(dicomwebUrl);
        }
    }

    /** Whether a text can be a node id (letters, digits, {@code . _ : -}; at most 64). */
    public static boolean isNodeId(String s) {
        return s != null && NODE_ID.matcher(s).matches();
    }

    static void requireNodeId(String id, String property) {
        if (!isNodeId(id)) {
            throw new IllegalArgumentException(property + ": '" + id + "' is not a node id (letters, digits and"
                    + " . _ : - only, at most 64)");
        }
    }
}
