package org.imagingnode.bridge.security;

/** The answer of an {@link AccessPolicy}; the reason goes to the audit trail (no patient names). */
public record Decision(boolean allowed, String reason) {
    public static Decision allow(String reason) {
        return new Decision(true, reason);
    }

    public static Decision deny(String reason) {
        return new Decision(false, reason);
    }
}
