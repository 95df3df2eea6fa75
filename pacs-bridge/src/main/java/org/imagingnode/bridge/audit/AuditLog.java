package org.imagingnode.bridge.audit;

import java.util.List;

/** The append-only audit trail. There is deliberately no update or delete. */
public interface AuditLog {

    void record(AuditEvent event);

    /** The most recent events about a study, newest first. */
    List<AuditEvent> forStudy(String studyUid, int limit);

    /** The most recent events about a patient (by PatientID as recorded), newest first: the patient's access history. */
    List<AuditEvent> forPatient(String patientId, int limit);
}
