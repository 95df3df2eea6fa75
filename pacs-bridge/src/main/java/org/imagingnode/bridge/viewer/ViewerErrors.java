package org.imagingnode.bridge.viewer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.ConcealedResourceException;
import org.imagingnode.bridge.web.CutOffResponses;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * How the viewer endpoints answer refusals: 401/403 as plain text, a concealed study as 404, bad input as 400, a
 * remote study's source that cannot answer with its status (502...) and message.
 */
@RestControllerAdvice(assignableTypes = {WeasisController.class, WebViewerController.class,
        StudyDownloadController.class, PacsImportController.class})
class ViewerErrors {

    @ExceptionHandler(AccessDeniedException.class)
    void denied(AccessDeniedException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!e.authenticated()) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"imaging-node\"");
        }
        text(request, response, e, e.authenticated() ? 403 : 401,
                e.authenticated() ? "access denied" : "authentication required");
    }

    /** A study the policy conceals from this caller: 404, like a study that does not exist. */
    @ExceptionHandler(ConcealedResourceException.class)
    void concealed(ConcealedResourceException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        text(request, response, e, 404, "not found");
    }

    /** A study of another node whose source cannot answer now (502, 503, 504), or a source's refusal, as it said. */
    @ExceptionHandler(DicomWebException.class)
    void dicomWeb(DicomWebException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        text(request, response, e, e.status(), e.getMessage());
    }

    @ExceptionHandler(IllegalArgumentException.class)
    void badRequest(IllegalArgumentException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        text(request, response, e, 400, e.getMessage());
    }

    /** The refusal as a status and message; a response already committed (a zip download) is cut off instead. */
    private static void text(HttpServletRequest request, HttpServletResponse response, Exception e, int status,
            String message) throws IOException {
        if (CutOffResponses.afterCommit(request, response, e)) {
            return;
        }
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
    }
}
