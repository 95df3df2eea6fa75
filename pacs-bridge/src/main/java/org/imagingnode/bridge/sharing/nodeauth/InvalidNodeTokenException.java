package org.imagingnode.bridge.sharing.nodeauth;

/** A node token that is missing, malformed, forged, expired, too long-lived, for another node, or from a node not trusted. */
public class InvalidNodeTokenException extends Exception {
    public InvalidNodeTokenException(String message) {
        super(message);
    }

    public InvalidNodeTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
