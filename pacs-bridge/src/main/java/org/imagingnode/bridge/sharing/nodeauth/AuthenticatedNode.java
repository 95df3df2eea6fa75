package org.imagingnode.bridge.sharing.nodeauth;

import java.time.Instant;

/**
 * A node that proved itself with a valid node token.
 *
 * @param nodeId    its id (the token's issuer, one of the trusted nodes)
 * @param expiresAt when its token expires
 */
public record AuthenticatedNode(String nodeId, Instant expiresAt) {
}
