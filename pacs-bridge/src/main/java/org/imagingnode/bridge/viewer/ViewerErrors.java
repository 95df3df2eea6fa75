package org.imagingnode.bridge.viewer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletResponse;
import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.ConcealedResourceException;
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
    void denied(AccessDeniedException e, HttpServletResponse response) throws IOException {
        if (!e.authenticated()) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"imaging-node\"");
        }
        text(response, e.authenticated() ? 403 : 401, e.authenticated() ? "access denied" : "authentication required");
    }

    /** A study the policy conceals from this caller: 404, like a study that does not exist. */
    @ExceptionHandler(ConcealedResourceException.class)
    void concealed(ConcealedResourceException e, HttpServletResponse response) throws IOException {
        text(response, 404, "not found");
    }

    /** A study of another node whose source cannot answer now (502, 503, 504), or a source's refusal, as it said. */
    @ExceptionHandler(DicomWebException.class)
    void dicomWeb(DicomWebException e, HttpServletResponse response) throws IOException {
        text(response, e.status(), e.getMessage());
    }

    @ExceptionHandler(IllegalArgumentException.class)
    void badRequest(IllegalArgumentException e, HttpServletResponse response) throws IOException {
        text(response, 400, e.getMessage());
    }

    private static void text(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
    }
}
