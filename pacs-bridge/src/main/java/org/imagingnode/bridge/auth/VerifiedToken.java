package org.imagingnode.bridge.auth;

import java.time.Instant;

/**
 * What a valid bearer token says about its holder. A token names a patient (patient claim), or a
 * professional (professional identifier claim); {@code patientId} wins when both are present.
 *
 * @param issuer          the token's issuer
 * @param subject         {@code sub}
 * @param professionalId  e.g. an RPPS number, or null
 * @param profession      e.g. "radiologist", or null
 * @param organisation    e.g. a FINESS number, or null
 * @param patientId       the patient's national identifier, or null
 * @param patientIdIssuer the OID of its issuer, or null (the node's default national issuer applies)
 * @param expiresAt       {@code exp}
 */
public record VerifiedToken(String issuer, String subject, String professionalId, String profession,
        String organisation, String patientId, String patientIdIssuer, Instant expiresAt) {

    public boolean isPatient() {
        return patientId != null;
    }

    public boolean isProfessional() {
        return patientId == null && professionalId != null;
    }
}
