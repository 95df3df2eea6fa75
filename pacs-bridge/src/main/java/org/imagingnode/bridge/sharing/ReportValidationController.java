package org.imagingnode.bridge.sharing;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.Decision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A study's report was validated: its manifest is built (and published) now, without waiting for the quiet
 * period. {@code POST /api/sharing/studies/{study}/report-validated}, or
 * {@code POST /api/sharing/report-validated?accessionNumber=...}. Allowed to whoever the node's access policy lets
 * store into that study (a professional in {@code tokens} mode; anyone in {@code open-dev}); a study the caller
 * may not touch is {@code 404} like one that does not exist. Audited (channel {@code API}).
 */
@RestController
class ReportValidationController {
    private static final Logger log = LoggerFactory.getLogger(ReportValidationController.class);
    static final String CHANNEL = "API";
    private static final String ACTION = "report-validated";

    private final ManifestService manifests;
    private final InstanceIndex index;
    private final AccessGuard guard;

    ReportValidationController(ManifestService manifests, InstanceIndex index, AccessGuard guard) {
        this.manifests = manifests;
        this.index = index;
        this.guard = guard;
    }

    @PostMapping("/api/sharing/studies/{studyUid}/report-validated")
    ResponseEntity<Map<String, Object>> byStudy(@PathVariable String studyUid, HttpServletRequest rq) {
        Caller caller = caller(rq);
        if (!Uids.isValid(studyUid)) {
            return error(HttpStatus.BAD_REQUEST, "not a Study Instance UID");
        }
        return validated(caller, new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid), studyUid);
    }

    @PostMapping("/api/sharing/report-validated")
    ResponseEntity<Map<String, Object>> byAccession(@RequestParam String accessionNumber, HttpServletRequest rq) {
        Caller caller = caller(rq);
        if (accessionNumber.isBlank() || accessionNumber.length() > 16 || accessionNumber.contains("*")
                || accessionNumber.contains("?") || accessionNumber.contains("\\")) {
            return error(HttpStatus.BAD_REQUEST, "not an accession number");
        }
        return validated(caller, new Condition.SingleValue(IndexAttribute.AccessionNumber, accessionNumber.strip()),
                "accession " + accessionNumber.strip());
    }

    /** The caller, who must be allowed to store at all: else 401 / 403, audited. */
    private Caller caller(HttpServletRequest rq) {
        Caller caller = guard.policy().authenticate(rq.getHeader(HttpHeaders.AUTHORIZATION), rq.getRemoteAddr());
        Decision d = decide(AccessRequest.endpoint(caller, CHANNEL, Action.STORE));
        if (!d.allowed()) {
            guard.audit(caller, CHANNEL, Action.STORE, null, null, "denied", ACTION + ": " + d.reason());
            boolean anonymous = "anonymous".equals(caller.role());
            throw new org.springframework.web.server.ResponseStatusException(
                    anonymous ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN);
        }
        return caller;
    }

    private ResponseEntity<Map<String, Object>> validated(Caller caller, Condition which, String what) {
        List<IndexRow> studies = index.find(new IndexQuery(QueryLevel.STUDY, List.of(which),
                Set.of(IndexAttribute.StudyInstanceUID, IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID), 2, 0));
        List<IndexRow> allowed = studies.stream().filter(s -> decide(new AccessRequest(caller, CHANNEL, Action.STORE,
                text(s, IndexAttribute.PatientID), text(s, IndexAttribute.IssuerOfPatientID),
                text(s, IndexAttribute.StudyInstanceUID))).allowed()).toList();
        if (allowed.size() != 1) {
            String why = allowed.isEmpty() ? "no such study (or not allowed)" : "several studies match";
            guard.audit(caller, CHANNEL, Action.STORE, null, null, "failure", ACTION + ": " + what + ": " + why);
            return error(allowed.isEmpty() ? HttpStatus.NOT_FOUND : HttpStatus.CONFLICT, why);
        }
        String studyUid = text(allowed.get(0), IndexAttribute.StudyInstanceUID);
        String patient = text(allowed.get(0), IndexAttribute.PatientID);
        IngestResult built;
        try {
            built = manifests.rebuild(studyUid).orElse(null);
        } catch (IOException | RuntimeException e) {
            log.error("manifest of study {} not built on report validation: {}", studyUid, e.toString());
            built = null;
        }
        boolean ok = built != null && built.success();
        guard.audit(caller, CHANNEL, Action.STORE, patient, studyUid, ok ? "success" : "failure",
                ACTION + ": manifest " + (ok ? "built" : "not built"));
        if (!ok) {
            return error(HttpStatus.SERVICE_UNAVAILABLE, "manifest not built; try again");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("studyInstanceUid", studyUid);
        body.put("manifestSopInstanceUid", built.sopInstanceUid());
        return ResponseEntity.ok(body);
    }

    private Decision decide(AccessRequest r) {
        try {
            return guard.policy().decide(r);
        } catch (RuntimeException e) {
            return Decision.deny("policy error");
        }
    }

    private static String text(IndexRow row, IndexAttribute a) {
        Object v = row.get(a);
        return v == null ? null : v.toString();
    }

    private static ResponseEntity<Map<String, Object>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(Map.of("error", message));
    }
}
