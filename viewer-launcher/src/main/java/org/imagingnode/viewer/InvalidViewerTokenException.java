package org.imagingnode.viewer;

/** A viewer token that is malformed, forged, expired, or not meant for this node. */
public final class InvalidViewerTokenException extends Exception {
    public InvalidViewerTokenException(String message) {
        super(message);
    }

    public InvalidViewerTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
