package org.imagingnode.bridge.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.util.DisconnectedClientHelper;

/**
 * Responses that fail once committed (status and first bytes sent). They can no longer carry an error, and ending
 * them normally would hand the client a well-formed answer lacking its end: for a multipart retrieve, the first
 * instances of a study as if they were all of it. Such a response is cut off instead ({@link CutOffValve}): the
 * connection is closed without the end of the body (no last chunk, no closing boundary), which HTTP clients report
 * as a failed transfer.
 */
public final class CutOffResponses {
    private static final Logger log = LoggerFactory.getLogger(CutOffResponses.class);
    static final String CAUSE = CutOffResponses.class.getName() + ".cause";

    private CutOffResponses() {
    }

    /**
     * For exception handlers: false while the response can still answer with an error status; true once it is
     * committed, after having it cut off and logging the cause (WARN; a client that went away at DEBUG) with the
     * request's method and path (never its query, which may name the patient).
     */
    public static boolean afterCommit(HttpServletRequest request, HttpServletResponse response, Throwable cause) {
        return afterCommit(request, response, cause, request.getMethod() + " " + request.getRequestURI());
    }

    /** {@link #afterCommit(HttpServletRequest, HttpServletResponse, Throwable)}, logged as {@code what}. */
    public static boolean afterCommit(HttpServletRequest request, HttpServletResponse response, Throwable cause,
            String what) {
        if (!response.isCommitted()) {
            return false;
        }
        if (DisconnectedClientHelper.isClientDisconnectedException(cause)) {
            log.debug("{}: client gone: {}", what, cause.toString());
        } else {
            log.warn("{}: cut off, the response was committed: {}", what, cause.toString());
        }
        request.setAttribute(CAUSE, cause);
        return true;
    }
}
