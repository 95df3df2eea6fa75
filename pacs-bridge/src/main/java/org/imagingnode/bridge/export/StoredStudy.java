package org.imagingnode.bridge.export;

import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
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

    /**
     * A study held by another node, as its source lists it to the caller ({@code instances}: DICOM JSON with every
     * attribute), once each of its instances was fetched into this node's cache (and verified there): an export is
     * never made of a study that did not arrive whole.
     *
     * @throws DicomWebException when an instance cannot be fetched: the source's refusal as it said, 502 when it
     *                           cannot be reached
     */
    public static StoredStudy fetched(RemoteStudies.Study study, String studyUid, List<JsonNode> instances) {
        Set<IndexAttribute> read = new HashSet<>(ATTRIBUTES);
        read.addAll(Set.of(IndexAttribute.SeriesInstanceUID, IndexAttribute.SOPInstanceUID));
        List<InstanceLocation> locations = new ArrayList<>(instances.size());
        Map<String, IndexRow> rows = new HashMap<>();
        for (JsonNode json : instances) {
            IndexRow row = IndexRow.fromDicomJson(json, read);
            RemoteStudies.Ref ref = new RemoteStudies.Ref(text(row, IndexAttribute.SeriesInstanceUID),
                    text(row, IndexAttribute.SOPInstanceUID));
            try {
                locations.add(study.fetch(ref));
            } catch (IOException e) {
                throw new DicomWebException(502, "instance " + ref.sopInstanceUid() + " could not be fetched from node "
                        + study.sourceNode() + ": " + e.getMessage());
            }
            rows.put(ref.sopInstanceUid(), row);
        }
        IndexRow first = rows.get(locations.get(0).sopInstanceUid());
        return new StoredStudy(studyUid, text(first, IndexAttribute.PatientID),
                text(first, IndexAttribute.IssuerOfPatientID), text(first, IndexAttribute.StudyDate),
                List.copyOf(locations), Map.copyOf(rows));
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
        Map<String, List<InstanceLocation>> out = new LinkedHashMap<>();
        for (InstanceLocation i : instances) {
            out.computeIfAbsent(i.seriesInstanceUid(), k -> new ArrayList<>()).add(i);
        }
        return out;
    }
}
