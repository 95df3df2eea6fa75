package org.imagingnode.bridge.security;

/**
 * One access to decide. At the endpoint level (before the resource is known) patient and study are
 * null; per-resource checks name the patient (PatientID + issuer as indexed), the study and, when the access
 * is to one series or an object of it, the series (null: the study as a whole).
 *
 * @param channel "DICOMweb", "WADO-URI", "viewer" or "DIMSE"
 */
public record AccessRequest(Caller caller, String channel, Action action, String patientId,
        String issuerOfPatientId, String studyInstanceUid, String seriesInstanceUid) {

    /** An access to a study as a whole. */
    public AccessRequest(Caller caller, String channel, Action action, String patientId, String issuerOfPatientId,
            String studyInstanceUid) {
        this(caller, channel, action, patientId, issuerOfPatientId, studyInstanceUid, null);
    }

    public static AccessRequest endpoint(Caller caller, String channel, Action action) {
        return new AccessRequest(caller, channel, action, null, null, null, null);
    }

    public boolean isEndpointLevel() {
        return patientId == null && studyInstanceUid == null;
    }
}
