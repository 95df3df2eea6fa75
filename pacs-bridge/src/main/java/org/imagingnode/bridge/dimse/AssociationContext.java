package org.imagingnode.bridge.dimse;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dimse.association.Association;

/**
 * What one association did, for the audit trail: stored instances are summarised per study when
 * the association ends (one event per study, as IHE ATNA's "DICOM Instances Transferred").
 */
final class AssociationContext {
    final Association association;
    final String callingAe;
    final String remoteAddress;
    private final Map<String, StudyTally> stored = new LinkedHashMap<>();

    private static final class StudyTally {
        final String patientId;
        int ok;
        int failed;

        StudyTally(String patientId) {
            this.patientId = patientId;
        }
    }

    AssociationContext(Association association) {
        this.association = association;
        this.callingAe = association.callingAeTitle();
        this.remoteAddress = association.remoteAddress();
    }

    void countStore(String studyUid, String patientId, boolean ok) {
        StudyTally t = stored.computeIfAbsent(studyUid == null ? "" : studyUid, k -> new StudyTally(patientId));
        if (ok) {
            t.ok++;
        } else {
            t.failed++;
        }
    }

    AuditEvent event(String action, String patientId, String studyUid, String outcome, String detail) {
        return new AuditEvent(Instant.now(), callingAe, "dimse-ae", action, "DIMSE", patientId, studyUid, outcome,
                detail, remoteAddress);
    }

    void flushStoreAudit(AuditLog audit) {
        stored.forEach((study, t) -> audit.record(event("store", t.patientId, study.isEmpty() ? null : study,
                t.failed == 0 ? "success" : "failure",
                "C-STORE: " + t.ok + " instances stored" + (t.failed > 0 ? ", " + t.failed + " failed" : ""))));
        stored.clear();
    }
}
