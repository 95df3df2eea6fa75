package org.imagingnode.bridge.audit;

import java.time.Instant;

/**
 * One access to, or change of, patient data. Written to an append-only table.
 *
 * @param actor        who: an AE title, a professional or patient identifier, or "system"
 * @param actorRole    e.g. "dimse-ae", "professional", "patient", "system"
 * @param action       e.g. "store", "store-replace", "query", "retrieve", "read"
 * @param channel      e.g. "DIMSE", "DICOMweb", "WADO-URI", "viewer", "API"
 * @param patientId    the patient concerned, if known
 * @param studyUid     the study concerned, if any
 * @param outcome      "success", "failure" or "denied"
 * @param detail       free text for humans (never pixel data, never a full patient name)
 * @param sourceAddress the remote network address
 */
public record AuditEvent(Instant time, String actor, String actorRole, String action, String channel,
        String patientId, String studyUid, String outcome, String detail, String sourceAddress) {
}
