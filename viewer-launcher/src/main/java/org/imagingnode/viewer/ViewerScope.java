package org.imagingnode.viewer;

import java.util.Objects;

/**
 * What one viewer token opens: a patient's whole history, one study, or one series of a study.
 * Nothing else is readable with it.
 *
 * @param level             how wide the scope is
 * @param patientId         PatientID (required for {@link Level#PATIENT}; may be given for the others)
 * @param issuerOfPatientId the PatientID's issuer, or null
 * @param studyInstanceUid  required for {@link Level#STUDY} and {@link Level#SERIES}
 * @param seriesInstanceUid required for {@link Level#SERIES}
 */
public record ViewerScope(Level level, String patientId, String issuerOfPatientId, String studyInstanceUid,
        String seriesInstanceUid) {

    public enum Level {
        PATIENT, STUDY, SERIES
    }

    public ViewerScope {
        Objects.requireNonNull(level, "level");
        patientId = blankToNull(patientId);
        issuerOfPatientId = blankToNull(issuerOfPatientId);
        studyInstanceUid = blankToNull(studyInstanceUid);
        seriesInstanceUid = blankToNull(seriesInstanceUid);
        switch (level) {
            case PATIENT -> {
                require(patientId != null, "a patient scope needs a PatientID");
                require(studyInstanceUid == null && seriesInstanceUid == null,
                        "a patient scope names no study nor series");
            }
            case STUDY -> {
                require(studyInstanceUid != null, "a study scope needs a StudyInstanceUID");
                require(seriesInstanceUid == null, "a study scope names no series");
            }
            case SERIES -> require(studyInstanceUid != null && seriesInstanceUid != null,
                    "a series scope needs a StudyInstanceUID and a SeriesInstanceUID");
        }
        if (studyInstanceUid != null) {
            Uids.requireValid(studyInstanceUid);
        }
        if (seriesInstanceUid != null) {
            Uids.requireValid(seriesInstanceUid);
        }
    }

    public static ViewerScope patient(String patientId, String issuerOfPatientId) {
        return new ViewerScope(Level.PATIENT, patientId, issuerOfPatientId, null, null);
    }

    public static ViewerScope study(String patientId, String issuerOfPatientId, String studyInstanceUid) {
        return new ViewerScope(Level.STUDY, patientId, issuerOfPatientId, studyInstanceUid, null);
    }

    public static ViewerScope series(String patientId, String issuerOfPatientId, String studyInstanceUid,
            String seriesInstanceUid) {
        return new ViewerScope(Level.SERIES, patientId, issuerOfPatientId, studyInstanceUid, seriesInstanceUid);
    }

    /**
     * Whether this scope lets its holder read an object of the given patient, study and series
     * (series may be null when the access is to the study as a whole, which a series scope does not cover).
     */
    public boolean covers(String patientId, String issuerOfPatientId, String studyInstanceUid,
            String seriesInstanceUid) {
        return switch (level) {
            case PATIENT -> this.patientId.equals(blankToNull(patientId))
                    && Objects.equals(this.issuerOfPatientId, blankToNull(issuerOfPatientId));
            case STUDY -> this.studyInstanceUid.equals(studyInstanceUid);
            case SERIES -> this.studyInstanceUid.equals(studyInstanceUid)
                    && this.seriesInstanceUid.equals(seriesInstanceUid);
        };
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
