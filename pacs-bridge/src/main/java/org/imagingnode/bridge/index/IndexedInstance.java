package org.imagingnode.bridge.index;

import java.time.LocalDate;

/**
 * Everything the index keeps about one stored instance: the patient, study, series and instance
 * attributes extracted from its header, and where its bytes are. Strings are decoded Java strings
 * (character set already applied); absent values are null.
 *
 * @param datasetOffset byte offset of the data set in the blob (the length of the Part 10 preamble and meta header)
 * @param sourceAeTitle the calling AE title (DIMSE) or a channel label such as "STOW-RS"
 */
public record IndexedInstance(
        String patientId, String issuerOfPatientId, String patientName, LocalDate patientBirthDate, String patientSex,
        String studyInstanceUid, LocalDate studyDate, String studyTime, String accessionNumber, String studyId,
        String studyDescription, String referringPhysicianName,
        String seriesInstanceUid, String modality, Integer seriesNumber, String seriesDescription, String bodyPartExamined,
        String sopInstanceUid, String sopClassUid, Integer instanceNumber, Integer numberOfFrames, Integer rows,
        Integer columns, String transferSyntaxUid, String specificCharacterSet,
        String blobKey, long blobSize, String sha256, long datasetOffset, String sourceAeTitle) {
}
