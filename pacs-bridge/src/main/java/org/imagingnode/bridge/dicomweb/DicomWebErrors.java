package org.imagingnode.bridge.dicomweb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.web.CutOffResponses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Errors of the DICOMweb and WADO-URI handlers as plain-text messages a person can read, with the
 * status PS3.18 asks for. Written directly, so no content negotiation can turn them into a 406. A response
 * already committed (a retrieve streaming its parts) is cut off instead: never ended as if complete.
 */
@RestControllerAdvice(basePackageClasses = DicomWebErrors.class)
public class DicomWebErrors {
    private static final Logger log = LoggerFactory.getLogger(DicomWebErrors.class);

    @ExceptionHandler(DicomWebException.class)
    public void dicomWeb(DicomWebException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        write(request, response, e, e.status(), e.getMessage());
    }

    @ExceptionHandler(AccessDeniedException.class)
    public void denied(AccessDeniedException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!e.authenticated()) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"imaging-node\"");
        }
        write(request, response, e, e.authenticated() ? 403 : 401,
                e.authenticated() ? "access denied" : "authentication required");
    }

    @ExceptionHandler(IllegalArgumentException.class)
    public void badRequest(IllegalArgumentException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        write(request, response, e, 400, e.getMessage());
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    public void missing(MissingServletRequestParameterException e, HttpServletRequest request,
            HttpServletResponse response) throws IOException {
        write(request, response, e, 400, "missing parameter " + e.getParameterName());
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    public void method(HttpRequestMethodNotSupportedException e, HttpServletRequest request,
            HttpServletResponse response) throws IOException {
        if (e.getSupportedMethods() != null) {
            response.setHeader("Allow", String.join(", ", e.getSupportedMethods()));
        }
        write(request, response, e, 405, "method " + e.getMethod() + " not supported here");
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    public void notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest request,
            HttpServletResponse response) throws IOException {
        write(request, response, e, 406, e.getMessage());
    }

    @ExceptionHandler(IOException.class)
    public void io(IOException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        log.debug("I/O error in a DICOMweb response: {}", e.toString());
        write(request, response, e, 500, "storage read error");
    }

    private static final int MAX_MESSAGE = 300;

    /** The error as a status and message; a response already committed is cut off instead. */
    private static void write(HttpServletRequest request, HttpServletResponse response, Exception e, int status,
            String message) throws IOException {
        if (CutOffResponses.afterCommit(request, response, e)) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
        String text = message == null ? "error" : message;
        if (text.length() > MAX_MESSAGE) { // a message quoting a huge parameter must not echo it whole
            text = text.substring(0, MAX_MESSAGE) + "...";
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
