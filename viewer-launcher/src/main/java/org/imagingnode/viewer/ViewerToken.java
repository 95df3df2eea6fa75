package org.imagingnode.viewer;

import java.time.Instant;

/**
 * A signed, short-lived token that lets a viewer read one {@link ViewerScope} until it expires. It is
 * what a launch URI or manifest carries instead of the user's own credentials.
 *
 * @param value     the compact serialised token (a JWT), as sent in {@code Authorization: Bearer ...}
 * @param id        unique token id (JWT {@code jti}), for the audit trail
 * @param subject   who the token was issued for (professional or patient id)
 * @param scope     what it opens
 * @param issuedAt  when it was issued (whole seconds)
 * @param expiresAt when it stops being accepted (whole seconds)
 */
public record ViewerToken(String value, String id, String subject, ViewerScope scope, Instant issuedAt,
        Instant expiresAt) {

    /** The HTTP Authorization header value that presents this token. */
    public String bearer() {
        return "Bearer " + value;
    }

    @Override
    public String toString() {
        return "ViewerToken[" + id + ", " + subject + ", " + scope + ", expires " + expiresAt + "]"; // no secret in logs
    }
}
