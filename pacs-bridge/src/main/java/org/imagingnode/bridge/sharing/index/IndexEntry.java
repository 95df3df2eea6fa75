package org.imagingnode.bridge.sharing.index;

import java.net.URI;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.sharing.nodeauth.NodeAuthProperties;
import org.imagingnode.bridge.space.NationalId;

/**
 * One entry of the patient-space index (see the index contract): a study of a patient, the node that holds it,
 * its manifest and where to retrieve it.
 *
 * @param studyDate {@code YYYYMMDD} or null
 */
public record IndexEntry(Patient patient, String studyInstanceUid, String sourceNode, String manifestSopInstanceUid,
        String retrieveUrl, String retrieveAeTitle, String studyDate, List<String> modalities,
        String studyDescription, int numberOfInstances, Instant updatedAt) {
    /** The longest study description an entry may carry. */
    public static final int DESCRIPTION_MAX = 1024;

    /** The patient's national identifier and the OID of its issuer. */
    public record Patient(String id, String issuer) {
        public NationalId nationalId() {
            return new NationalId(id, issuer);
        }
    }

    public IndexEntry {
        modalities = modalities == null ? List.of() : List.copyOf(modalities);
    }

    /**
     * Checks an entry received from the network; throws {@link IllegalArgumentException} with a reason fit for
     * the sender (it names no other patient's data).
     */
    public IndexEntry validated() {
        if (patient == null || patient.id() == null || patient.issuer() == null) {
            throw new IllegalArgumentException("patient.id and patient.issuer are required");
        }
        patient.nationalId(); // throws on a malformed identifier
        if (!Uids.isValid(studyInstanceUid) || !Uids.isValid(manifestSopInstanceUid)) {
            throw new IllegalArgumentException("studyInstanceUid and manifestSopInstanceUid must be valid UIDs");
        }
        if (!NodeAuthProperties.isNodeId(sourceNode)) {
            throw new IllegalArgumentException("sourceNode is not a node id");
        }
        if (!httpUrl(retrieveUrl)) {
            throw new IllegalArgumentException("retrieveUrl must be an http(s) URL");
        }
        if (retrieveAeTitle != null && !retrieveAeTitle.matches("[\\x20-\\x5B\\x5D-\\x7E]{1,16}")) {
            throw new IllegalArgumentException("retrieveAeTitle is not an AE title");
        }
        if (studyDate != null) {
            localStudyDate();
        }
        if (modalities.size() > 64 || modalities.stream().anyMatch(m -> m == null || !m.matches("[A-Z0-9_]{1,16}"))) {
            throw new IllegalArgumentException("modalities must be DICOM modality codes");
        }
        if (studyDescription != null && (studyDescription.length() > DESCRIPTION_MAX
                || studyDescription.chars().anyMatch(c -> c < 0x20))) {
            throw new IllegalArgumentException("studyDescription too long or with control characters");
        }
        if (numberOfInstances < 0) {
            throw new IllegalArgumentException("numberOfInstances must not be negative");
        }
        if (updatedAt == null) {
            throw new IllegalArgumentException("updatedAt is required");
        }
        return this;
    }

    /**
     * A study description read from DICOM, made fit for an entry rather than refused by {@link #validated}: control
     * characters (TAB, CR, LF, which some senders put in LO values) become spaces, an over-long text is cut to the
     * limit (never inside a surrogate pair); null when nothing is left.
     */
    public static String publishableDescription(String description) {
        if (description == null) {
            return null;
        }
        String text = description.replaceAll("\\p{Cntrl}", " ").strip();
        if (text.length() > DESCRIPTION_MAX) {
            int end = Character.isHighSurrogate(text.charAt(DESCRIPTION_MAX - 1)) ? DESCRIPTION_MAX - 1 : DESCRIPTION_MAX;
            text = text.substring(0, end).strip();
        }
        return text.isEmpty() ? null : text;
    }

    /** The study date as a date, or null. */
    public LocalDate localStudyDate() {
        if (studyDate == null) {
            return null;
        }
        try {
            return LocalDate.parse(studyDate, DateTimeFormatter.BASIC_ISO_DATE);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("studyDate must be YYYYMMDD");
        }
    }

    private static boolean httpUrl(String s) {
        if (s == null || s.length() > 2048) {
            return false;
        }
        try {
            URI u = URI.create(s);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && u.getUserInfo() == null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
