package org.imagingnode.bridge.viewer;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

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
        return rows.isEmpty() ? Optional.empty() : Optional.of(tree(studyUid, rows, IndexRow::get, null));
    }

    /** A study held by another node, from its source's QIDO-RS instances (DICOM JSON, at least one). */
    static Contents remote(RemoteStudies.Study study, String studyUid, List<JsonNode> instances) {
        return tree(studyUid, instances, StudyContents::jsonValue, study);
    }

    /** The patient → study → series → instances tree of a study's instances, each read with {@code value}. */
    private static <T> Contents tree(String studyUid, List<T> instances, BiFunction<T, IndexAttribute, Object> value,
            RemoteStudies.Study remote) {
        T first = instances.get(0);
        Map<String, List<WeasisManifest.Instance>> instancesBySeries = new LinkedHashMap<>();
        Map<String, T> seriesRow = new LinkedHashMap<>();
        for (T r : instances) {
            String se = text(value.apply(r, IndexAttribute.SeriesInstanceUID));
            seriesRow.putIfAbsent(se, r);
            instancesBySeries.computeIfAbsent(se, k -> new ArrayList<>()).add(new WeasisManifest.Instance(
                    text(value.apply(r, IndexAttribute.SOPInstanceUID)),
                    integer(value.apply(r, IndexAttribute.InstanceNumber))));
        }
        List<WeasisManifest.Series> series = new ArrayList<>();
        seriesRow.forEach((uid, r) -> series.add(new WeasisManifest.Series(uid,
                text(value.apply(r, IndexAttribute.Modality)), integer(value.apply(r, IndexAttribute.SeriesNumber)),
                text(value.apply(r, IndexAttribute.SeriesDescription)), instancesBySeries.get(uid))));
        WeasisManifest.Study study = new WeasisManifest.Study(studyUid, date(value.apply(first, IndexAttribute.StudyDate)),
                text(value.apply(first, IndexAttribute.StudyTime)), text(value.apply(first, IndexAttribute.AccessionNumber)),
                text(value.apply(first, IndexAttribute.StudyDescription)), series);
        Owner owner = new Owner(text(value.apply(first, IndexAttribute.PatientID)),
                text(value.apply(first, IndexAttribute.IssuerOfPatientID)));
        WeasisManifest.Patient patient = new WeasisManifest.Patient(owner.patientId() == null ? "" : owner.patientId(),
                owner.issuerOfPatientId(), text(value.apply(first, IndexAttribute.PatientName)),
                date(value.apply(first, IndexAttribute.PatientBirthDate)),
                text(value.apply(first, IndexAttribute.PatientSex)), List.of(study));
        return new Contents(owner, patient, remote);
    }

    /** An attribute's first value in DICOM JSON: text, a number as an Integer, a person name's alphabetic form. */
    private static Object jsonValue(JsonNode instance, IndexAttribute a) {
        JsonNode v = instance.path(String.format("%08X", a.tag())).path("Value").path(0);
        if (v.isNumber()) {
            return v.intValue();
        }
        if (v.isObject()) {
            v = v.path("Alphabetic");
        }
        return v.isTextual() ? v.asText() : null;
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
