package org.imagingnode.bridge.security;

import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * An authenticated caller asked for a patient's study they may not see: answered {@code 404}, exactly
 * like a study that does not exist, so that the refusal does not confirm the study is there. Thrown by
 * {@link AccessGuard#check} (after auditing the denial) when the policy asks for it.
 */
public final class ConcealedResourceException extends ResponseStatusException {
    public ConcealedResourceException() {
        super(HttpStatus.NOT_FOUND);
    }
}
