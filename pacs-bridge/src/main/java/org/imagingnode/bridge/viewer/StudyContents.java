package org.imagingnode.bridge.viewer;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.viewer.WeasisManifest;

/** Reads one stored study (or one series of it) from the index, as the patient → study → series → instances tree a viewer loads. */
final class StudyContents {
    private static final Set<IndexAttribute> RETURNED = Set.of(IndexAttribute.PatientID,
            IndexAttribute.IssuerOfPatientID, IndexAttribute.PatientName, IndexAttribute.PatientBirthDate,
            IndexAttribute.PatientSex, IndexAttribute.StudyDate, IndexAttribute.StudyTime,
            IndexAttribute.AccessionNumber, IndexAttribute.StudyDescription, IndexAttribute.Modality,
            IndexAttribute.SeriesNumber, IndexAttribute.SeriesDescription, IndexAttribute.InstanceNumber);

    /** The study's patient, as indexed (for the access decision and the token's scope). */
    record Owner(String patientId, String issuerOfPatientId) {
    }

    record Contents(Owner owner, WeasisManifest.Patient patient) {
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
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        IndexRow first = rows.get(0);
        Map<String, List<WeasisManifest.Instance>> instancesBySeries = new LinkedHashMap<>();
        Map<String, IndexRow> seriesRow = new LinkedHashMap<>();
        for (IndexRow r : rows) {
            String se = text(r, IndexAttribute.SeriesInstanceUID);
            seriesRow.putIfAbsent(se, r);
            instancesBySeries.computeIfAbsent(se, k -> new ArrayList<>()).add(new WeasisManifest.Instance(
                    text(r, IndexAttribute.SOPInstanceUID), (Integer) r.get(IndexAttribute.InstanceNumber)));
        }
        List<WeasisManifest.Series> series = new ArrayList<>();
        seriesRow.forEach((uid, r) -> series.add(new WeasisManifest.Series(uid, text(r, IndexAttribute.Modality),
                (Integer) r.get(IndexAttribute.SeriesNumber), text(r, IndexAttribute.SeriesDescription),
                instancesBySeries.get(uid))));
        WeasisManifest.Study study = new WeasisManifest.Study(studyUid, date(first, IndexAttribute.StudyDate),
                text(first, IndexAttribute.StudyTime), text(first, IndexAttribute.AccessionNumber),
                text(first, IndexAttribute.StudyDescription), series);
        Owner owner = new Owner(text(first, IndexAttribute.PatientID), text(first, IndexAttribute.IssuerOfPatientID));
        WeasisManifest.Patient patient = new WeasisManifest.Patient(owner.patientId() == null ? "" : owner.patientId(),
                owner.issuerOfPatientId(), text(first, IndexAttribute.PatientName),
                date(first, IndexAttribute.PatientBirthDate), text(first, IndexAttribute.PatientSex), List.of(study));
        return Optional.of(new Contents(owner, patient));
    }

    private static String text(IndexRow r, IndexAttribute a) {
        Object v = r.get(a);
        return v == null ? null : v.toString();
    }

    private static String date(IndexRow r, IndexAttribute a) {
        return r.get(a) instanceof LocalDate d ? d.format(DateTimeFormatter.BASIC_ISO_DATE) : null;
    }
}
