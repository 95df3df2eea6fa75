package org.imagingnode.bridge.security;

/** An access the policy refused; the HTTP edges answer 401 (anonymous caller) or 403. */
public final class AccessDeniedException extends RuntimeException {
    private final boolean authenticated;

    public AccessDeniedException(String message, boolean authenticated) {
        super(message);
        this.authenticated = authenticated;
    }

    /** False when the caller was anonymous: authenticating may help (401), else 403. */
    public boolean authenticated() {
        return authenticated;
    }
}
