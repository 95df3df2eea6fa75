package org.imagingnode.bridge.security;

/**
 * One access to decide. At the endpoint level (before the resource is known) patient and study are
 * null; per-resource checks name the patient (PatientID + issuer as indexed) and the study.
 *
 * @param channel "DICOMweb", "WADO-URI", "viewer" or "DIMSE"
 */
public record AccessRequest(Caller caller, String channel, Action action, String patientId,
        String issuerOfPatientId, String studyInstanceUid) {

    public static AccessRequest endpoint(Caller caller, String channel, Action action) {
        return new AccessRequest(caller, channel, action, null, null, null);
    }

    public boolean isEndpointLevel() {
        return patientId == null && studyInstanceUid == null;
    }
}
