package org.imagingnode.bridge.sharing;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.Decision;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * A study's report was validated: its manifest is built (and published) now, without waiting for the quiet
 * period. {@code POST /api/sharing/studies/{study}/report-validated}, or
 * {@code POST /api/sharing/report-validated?accessionNumber=...}. Allowed to whoever the node's access policy lets
 * store into that study (a professional in {@code tokens} mode; anyone in {@code open-dev}); a study the caller
 * may not touch is {@code 404} like one that does not exist. Audited (channel {@code API}).
 */
@RestController
class ReportValidationController {
    static final String CHANNEL = "API";

    private final ReportValidation validation;
    private final AccessGuard guard;

    ReportValidationController(ReportValidation validation, AccessGuard guard) {
        this.validation = validation;
        this.guard = guard;
    }

    @PostMapping("/api/sharing/studies/{studyUid}/report-validated")
    ResponseEntity<Map<String, Object>> byStudy(@PathVariable String studyUid, HttpServletRequest rq) {
        Caller caller = caller(rq);
        Condition which;
        try {
            which = ReportValidation.byStudyUid(studyUid);
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, e.getMessage());
        }
        return validated(caller, which, studyUid);
    }

    @PostMapping("/api/sharing/report-validated")
    ResponseEntity<Map<String, Object>> byAccession(@RequestParam String accessionNumber, HttpServletRequest rq) {
        Caller caller = caller(rq);
        Condition which;
        try {
            which = ReportValidation.byAccession(accessionNumber);
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, e.getMessage());
        }
        return validated(caller, which, "accession " + accessionNumber.strip());
    }

    /** The caller, who must be allowed to store at all: else 401 / 403, audited. */
    private Caller caller(HttpServletRequest rq) {
        Caller caller = guard.policy().authenticate(rq.getHeader(HttpHeaders.AUTHORIZATION), rq.getRemoteAddr());
        Decision d = decide(AccessRequest.endpoint(caller, CHANNEL, Action.STORE));
        if (!d.allowed()) {
            guard.audit(caller, CHANNEL, Action.STORE, null, null, "denied", ReportValidation.ACTION + ": " + d.reason());
            boolean anonymous = "anonymous".equals(caller.role());
            throw new ResponseStatusException(anonymous ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN);
        }
        return caller;
    }

    private ResponseEntity<Map<String, Object>> validated(Caller caller, Condition which, String what) {
        ReportValidation.Result r = validation.validate(caller, CHANNEL, which, what, s -> decide(new AccessRequest(
                caller, CHANNEL, Action.STORE, ReportValidation.text(s, IndexAttribute.PatientID),
                ReportValidation.text(s, IndexAttribute.IssuerOfPatientID),
                ReportValidation.text(s, IndexAttribute.StudyInstanceUID))).allowed());
        return switch (r.status()) {
            case BUILT -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("studyInstanceUid", r.studyUid());
                body.put("manifestSopInstanceUid", r.manifestUid());
                yield ResponseEntity.ok(body);
            }
            case UNKNOWN_STUDY -> error(HttpStatus.NOT_FOUND, "no such study (or not allowed)");
            case SEVERAL_STUDIES -> error(HttpStatus.CONFLICT, r.reason());
            case NOT_BUILT -> error(HttpStatus.SERVICE_UNAVAILABLE, r.reason());
        };
    }

    private Decision decide(AccessRequest r) {
        try {
            return guard.policy().decide(r);
        } catch (RuntimeException e) {
            return Decision.deny("policy error");
        }
    }

    private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(Map.of("error", message));
    }
}
