package org.imagingnode.bridge.auth;

/** A bearer token that is malformed, forged, expired, or from an issuer or for an audience not accepted. */
public class InvalidTokenException extends Exception {
    public InvalidTokenException(String message) {
        super(message);
    }

    public InvalidTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
