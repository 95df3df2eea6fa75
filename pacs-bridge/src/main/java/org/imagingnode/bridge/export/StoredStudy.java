package org.imagingnode.bridge.export;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.index.QueryLevel;

/**
 * One stored study as the exports read it: its instances in retrieve order (where their bytes are) and, per
 * instance, the indexed attributes a media directory and file names need. Only index rows are held in
 * memory, never object bytes.
 *
 * @param patientId         the study's PatientID as indexed (for the access decision and the audit)
 * @param issuerOfPatientId its issuer, or null
 * @param studyDate         StudyDate (DICOM DA), or null
 */
public record StoredStudy(String studyInstanceUid, String patientId, String issuerOfPatientId, String studyDate,
        List<InstanceLocation> instances, Map<String, IndexRow> rowsBySopInstance) {

    static final Set<IndexAttribute> ATTRIBUTES = Set.of(IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID,
            IndexAttribute.PatientName, IndexAttribute.PatientBirthDate, IndexAttribute.PatientSex,
            IndexAttribute.StudyDate, IndexAttribute.StudyTime, IndexAttribute.StudyID, IndexAttribute.AccessionNumber,
            IndexAttribute.StudyDescription, IndexAttribute.Modality, IndexAttribute.SeriesNumber,
            IndexAttribute.SeriesDescription, IndexAttribute.InstanceNumber, IndexAttribute.NumberOfFrames);

    /** The study, or empty when nothing of it is stored. */
    public static Optional<StoredStudy> read(InstanceIndex index, String studyUid) {
        List<Condition> study = List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid));
        List<InstanceLocation> instances = index.locate(study);
        if (instances.isEmpty()) {
            return Optional.empty();
        }
        Map<String, IndexRow> rows = new HashMap<>();
        for (IndexRow r : index.find(new IndexQuery(QueryLevel.IMAGE, study, ATTRIBUTES, 0, 0))) {
            rows.put(String.valueOf(r.get(IndexAttribute.SOPInstanceUID)), r);
        }
        IndexRow first = rows.get(instances.get(0).sopInstanceUid());
        return Optional.of(new StoredStudy(studyUid, text(first, IndexAttribute.PatientID),
                text(first, IndexAttribute.IssuerOfPatientID), text(first, IndexAttribute.StudyDate),
                List.copyOf(instances), Map.copyOf(rows)));
    }

    /** An indexed attribute of an instance in its DICOM string form (DA, TM, IS...), or null. */
    String attribute(String sopInstanceUid, IndexAttribute a) {
        return text(rowsBySopInstance.get(sopInstanceUid), a);
    }

    static String text(IndexRow row, IndexAttribute a) {
        Object v = row == null ? null : row.get(a);
        if (v instanceof LocalDate d) {
            return d.format(DateTimeFormatter.BASIC_ISO_DATE);
        }
        return v == null || v.toString().isEmpty() ? null : v.toString();
    }

    /** The instances of each series, series in the order their first instance comes. */
    Map<String, List<InstanceLocation>> bySeries() {
        Map<String, List<InstanceLocation>> out = new java.util.LinkedHashMap<>();
        for (InstanceLocation i : instances) {
            out.computeIfAbsent(i.seriesInstanceUid(), k -> new ArrayList<>()).add(i);
        }
        return out;
    }
}
