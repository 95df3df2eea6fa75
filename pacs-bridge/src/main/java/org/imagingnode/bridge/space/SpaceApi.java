package org.imagingnode.bridge.space;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.stereotype.Component;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * What the patient space's REST controllers share: identifying the caller with the node's policy (the
 * same tokens as DICOMweb), auditing each call (channel {@code API}), and JSON errors that say nothing
 * about other patients' data.
 */
@Component
@ConditionalOnProperty(name = "node.security.mode", havingValue = "tokens")
class SpaceApi {
    private static final Logger log = LoggerFactory.getLogger(SpaceApi.class);
    private static final String CALLER = SpaceApi.class.getName() + ".caller";

    /** An API refusal or bad request, answered as JSON with its status. */
    static final class ApiException extends RuntimeException {
        final HttpStatus status;

        ApiException(HttpStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final PatientSpacePolicy policy;
    private final AuditLog audit;

    SpaceApi(SpaceConfig.TokensMode mode, AuditLog audit) {
        this.policy = mode.policy();
        this.audit = audit;
    }

    PatientSpacePolicy policy() {
        return policy;
    }

    /** The request's caller (authenticated once per request). */
    Caller caller(HttpServletRequest rq) {
        Object c = rq.getAttribute(CALLER);
        if (c instanceof Caller caller) {
            return caller;
        }
        Caller caller = policy.authenticate(rq.getHeader(HttpHeaders.AUTHORIZATION), rq.getRemoteAddr());
        rq.setAttribute(CALLER, caller);
        return caller;
    }

    /** The caller, who must have the role: else 401 (no valid token) or 403, audited. */
    Caller caller(HttpServletRequest rq, String action, String role) {
        Caller caller = caller(rq);
        if ("anonymous".equals(caller.role())) {
            audit(caller, action, null, null, "denied", rq.getMethod() + " " + rq.getRequestURI() + ": no valid token");
            throw new ApiException(HttpStatus.UNAUTHORIZED, "authentication required");
        }
        if (!role.equals(caller.role())) {
            audit(caller, action, null, null, "denied", rq.getMethod() + " " + rq.getRequestURI() + ": needs role " + role);
            throw new ApiException(HttpStatus.FORBIDDEN, "access denied");
        }
        return caller;
    }

    void audit(Caller caller, String action, String patient, String study, String outcome, String detail) {
        try {
            audit.record(new AuditEvent(Instant.now(), caller.id(), caller.role(), action, PatientApiController.CHANNEL,
                    patient, study, outcome, detail, caller.address()));
        } catch (RuntimeException e) {
            log.error("could not audit {} by {}: {}", action, caller.id(), e.toString());
        }
    }

    static String requireText(String s, String what) {
        if (s == null || s.isBlank() || s.length() > 128 || s.chars().anyMatch(c -> c < 0x20 || c == 0x7F)) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid " + what);
        }
        return s.strip();
    }

    static ResponseEntity<Map<String, Object>> error(ApiException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        ResponseEntity.BodyBuilder b = ResponseEntity.status(e.status);
        if (e.status == HttpStatus.UNAUTHORIZED) {
            b.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"imaging-node\"");
        }
        return b.body(body);
    }

    /** Malformed requests to the patient space API: 400 with a short reason, never a stack trace. */
    @RestControllerAdvice(basePackageClasses = SpaceApi.class)
    static class Errors {
        @ExceptionHandler(ApiException.class)
        ResponseEntity<Map<String, Object>> api(ApiException e) {
            return error(e);
        }

        @ExceptionHandler({HttpMessageNotReadableException.class, MethodArgumentTypeMismatchException.class,
                MissingServletRequestParameterException.class, IllegalArgumentException.class})
        ResponseEntity<Map<String, Object>> bad(Exception e) {
            return error(new ApiException(HttpStatus.BAD_REQUEST, "malformed request"));
        }

        @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
        ResponseEntity<Map<String, Object>> mediaType(Exception e) {
            return error(new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json"));
        }

        @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
        ResponseEntity<Map<String, Object>> method(Exception e) {
            return error(new ApiException(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed"));
        }
    }
}
