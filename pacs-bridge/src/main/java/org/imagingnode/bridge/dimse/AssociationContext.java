package org.imagingnode.bridge.dimse;

import java.util.LinkedHashMap;
import java.util.Map;

import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;

/**
 * One association as the node's authorisation point sees it: its caller (calling AE, remote address, TLS
 * client certificate subject) and what it did, for the audit trail. Stored instances are summarised per study
 * when the association ends (one event per study, as IHE ATNA's "DICOM Instances Transferred"), so that the
 * audit costs no database round trip per C-STORE.
 */
final class AssociationContext {
    final Association association;
    final String callingAe;
    final Caller caller;
    private final AccessGuard guard;
    private final Map<String, StudyTally> stored = new LinkedHashMap<>();

    private static final class StudyTally {
        final String patientId;
        int ok;
        int failed;

        StudyTally(String patientId) {
            this.patientId = patientId;
        }
    }

    AssociationContext(Association association, String tlsSubject, AccessGuard guard) {
        this.association = association;
        this.callingAe = association.callingAeTitle();
        this.caller = Caller.dimse(callingAe, association.remoteAddress(), tlsSubject);
        this.guard = guard;
    }

    /** Whether this association's caller may do this operation; a refusal is audited. */
    boolean authorized(Action action, String operation) {
        return guard.authorize(AccessRequest.endpoint(caller, AccessGuard.DIMSE, action), operation + " refused")
                .allowed();
    }

    /** Writes one audit event of this association (channel DIMSE). */
    void audit(Action action, String patientId, String studyUid, String outcome, String detail) {
        guard.audit(caller, AccessGuard.DIMSE, action, patientId, studyUid, outcome, detail);
    }

    void countStore(String studyUid, String patientId, boolean ok) {
        StudyTally t = stored.computeIfAbsent(studyUid == null ? "" : studyUid, k -> new StudyTally(patientId));
        if (ok) {
            t.ok++;
        } else {
            t.failed++;
        }
    }

    /** Audits the C-STOREs counted so far, one event per study; at release (before its response) or abort. */
    void flushStoreAudit() {
        stored.forEach((study, t) -> audit(Action.STORE, t.patientId, study.isEmpty() ? null : study,
                t.failed == 0 ? "success" : "failure",
                "C-STORE: " + t.ok + " instances stored" + (t.failed > 0 ? ", " + t.failed + " failed" : "")));
        stored.clear();
    }
}
