package org.imagingnode.bridge.viewer;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.viewer.WeasisManifest;

/**
 * Reads one stored study (or one series of it) from the index, or a remote study from its source's answer, as the
 * patient → study → series → instances tree a viewer loads.
 */
final class StudyContents {
    private static final Set<IndexAttribute> RETURNED = Set.of(IndexAttribute.PatientID,
            IndexAttribute.IssuerOfPatientID, IndexAttribute.PatientName, IndexAttribute.PatientBirthDate,
            IndexAttribute.PatientSex, IndexAttribute.StudyDate, IndexAttribute.StudyTime,
            IndexAttribute.AccessionNumber, IndexAttribute.StudyDescription, IndexAttribute.Modality,
            IndexAttribute.SeriesNumber, IndexAttribute.SeriesDescription, IndexAttribute.InstanceNumber);

    /** The study's patient, as indexed (for the access decision and the token's scope). */
    record Owner(String patientId, String issuerOfPatientId) {
    }

    /** @param remote the study at another node this is, or null for a study stored here */
    record Contents(Owner owner, WeasisManifest.Patient patient, RemoteStudies.Study remote) {
        /** Where the study is, for audit details: nothing for a study stored here. */
        String origin() {
            return remote == null ? "" : " (remote study, node " + remote.sourceNode() + ")";
        }
    }

    private StudyContents() {
    }

    /** The study (restricted to one series when seriesUid is not null), or empty when nothing of it is stored. */
    static Optional<Contents> read(InstanceIndex index, String studyUid, String seriesUid) {
        List<Condition> conditions = new ArrayList<>();
        conditions.add(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid));
        if (seriesUid != null) {
            conditions.add(new Condition.SingleValue(IndexAttribute.SeriesInstanceUID, seriesUid));
        }
        List<IndexRow> rows = index.find(new IndexQuery(QueryLevel.IMAGE, conditions, RETURNED, 0, 0));
        return rows.isEmpty() ? Optional.empty() : Optional.of(tree(studyUid, rows, null));
    }

    /** A study held by another node, from its source's QIDO-RS instances (DICOM JSON, at least one). */
    static Contents remote(RemoteStudies.Study study, String studyUid, List<JsonNode> instances) {
        Set<IndexAttribute> read = new HashSet<>(RETURNED);
        read.addAll(Set.of(IndexAttribute.SeriesInstanceUID, IndexAttribute.SOPInstanceUID));
        return tree(studyUid, instances.stream().map(i -> IndexRow.fromDicomJson(i, read)).toList(), study);
    }

    /** The patient → study → series → instances tree of a study's instances. */
    private static Contents tree(String studyUid, List<IndexRow> instances, RemoteStudies.Study remote) {
        IndexRow first = instances.get(0);
        Map<String, List<WeasisManifest.Instance>> instancesBySeries = new LinkedHashMap<>();
        Map<String, IndexRow> seriesRow = new LinkedHashMap<>();
        for (IndexRow r : instances) {
            String se = text(r.get(IndexAttribute.SeriesInstanceUID));
            seriesRow.putIfAbsent(se, r);
            instancesBySeries.computeIfAbsent(se, k -> new ArrayList<>()).add(new WeasisManifest.Instance(
                    text(r.get(IndexAttribute.SOPInstanceUID)),
                    integer(r.get(IndexAttribute.InstanceNumber))));
        }
        List<WeasisManifest.Series> series = new ArrayList<>();
        seriesRow.forEach((uid, r) -> series.add(new WeasisManifest.Series(uid,
                text(r.get(IndexAttribute.Modality)), integer(r.get(IndexAttribute.SeriesNumber)),
                text(r.get(IndexAttribute.SeriesDescription)), instancesBySeries.get(uid))));
        WeasisManifest.Study study = new WeasisManifest.Study(studyUid, date(first.get(IndexAttribute.StudyDate)),
                text(first.get(IndexAttribute.StudyTime)), text(first.get(IndexAttribute.AccessionNumber)),
                text(first.get(IndexAttribute.StudyDescription)), series);
        Owner owner = new Owner(text(first.get(IndexAttribute.PatientID)),
                text(first.get(IndexAttribute.IssuerOfPatientID)));
        WeasisManifest.Patient patient = new WeasisManifest.Patient(owner.patientId() == null ? "" : owner.patientId(),
                owner.issuerOfPatientId(), text(first.get(IndexAttribute.PatientName)),
                date(first.get(IndexAttribute.PatientBirthDate)),
                text(first.get(IndexAttribute.PatientSex)), List.of(study));
        return new Contents(owner, patient, remote);
    }

    /** An IS value: a number as indexed or as DICOM JSON gives it, or its text from a source that sends strings. */
    private static Integer integer(Object v) {
        if (v instanceof Integer i) {
            return i;
        }
        try {
            return v == null ? null : Integer.valueOf(v.toString().strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String text(Object v) {
        return v == null ? null : v.toString();
    }

    /** DICOM DA text: as indexed (a LocalDate) or as DICOM JSON gives it (already YYYYMMDD). */
    private static String date(Object v) {
        return v instanceof LocalDate d ? d.format(DateTimeFormatter.BASIC_ISO_DATE) : text(v);
    }
}
