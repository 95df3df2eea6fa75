package org.imagingnode.bridge.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.Rejection;

/**
 * Recognises IHE IOCM rejection notes: Key Object Selection documents whose title (ConceptNameCodeSequence) is one
 * of the DCM codes below. The instances a note rejects are those of its CurrentRequestedProcedureEvidenceSequence
 * (study / ReferencedSeriesSequence / ReferencedSOPSequence); every one must be in the note's own study, so that
 * whoever may store into a study is whoever may reject in it.
 */
final class RejectionNotes {
    static final String KEY_OBJECT_SELECTION = "1.2.840.10008.5.1.4.1.1.88.59";
    /** The rejecting document titles (CID 7011), scheme DCM, with their meanings. */
    static final Map<String, String> TITLES = Map.of(
            "113001", "Rejected for Quality Reasons",
            "113037", "Rejected for Patient Safety Reasons",
            "113038", "Incorrect Modality Worklist Entry",
            "113039", "Data Retention Policy Expired");
    private static final int MAX_REFERENCES = 100_000;

    private RejectionNotes() {
    }

    /**
     * The rejection a data set carries; empty when it is not a rejection note.
     *
     * @throws IllegalArgumentException with a reason fit for the sender, for a rejection note that cannot be applied
     */
    static Optional<Rejection> read(DicomDataset ds, IngestSource source) {
        if (!KEY_OBJECT_SELECTION.equals(ds.getString(Tag.SOPClassUID))) {
            return Optional.empty();
        }
        List<DicomDataset> title = ds.items(Tag.ConceptNameCodeSequence);
        if (title.isEmpty() || !"DCM".equals(title.get(0).getString(Tag.CodingSchemeDesignator))
                || !TITLES.containsKey(title.get(0).getString(Tag.CodeValue))) {
            return Optional.empty();
        }
        String code = title.get(0).getString(Tag.CodeValue);
        String noteUid = ds.getString(Tag.SOPInstanceUID);
        String studyUid = ds.getString(Tag.StudyInstanceUID);
        List<Rejection.Reference> references = new ArrayList<>();
        for (DicomDataset study : ds.items(Tag.CurrentRequestedProcedureEvidenceSequence)) {
            if (!studyUid.equals(study.getString(Tag.StudyInstanceUID))) {
                throw new IllegalArgumentException("a rejection note rejects only instances of its own study; this"
                        + " one references study " + study.getString(Tag.StudyInstanceUID));
            }
            for (DicomDataset series : study.items(Tag.ReferencedSeriesSequence)) {
                String seriesUid = uid(series, Tag.SeriesInstanceUID);
                for (DicomDataset sop : series.items(Tag.ReferencedSOPSequence)) {
                    String sopUid = uid(sop, Tag.ReferencedSOPInstanceUID);
                    if (sopUid.equals(noteUid)) {
                        throw new IllegalArgumentException("a rejection note cannot reject itself");
                    }
                    references.add(new Rejection.Reference(seriesUid, sop.getString(Tag.ReferencedSOPClassUID), sopUid));
                }
            }
        }
        if (references.isEmpty()) {
            throw new IllegalArgumentException("rejection note " + code + " without any referenced instance"
                    + " (CurrentRequestedProcedureEvidenceSequence)");
        }
        if (references.size() > MAX_REFERENCES) {
            throw new IllegalArgumentException("rejection note references more than " + MAX_REFERENCES + " instances");
        }
        String meaning = title.get(0).getString(Tag.CodeMeaning);
        return Optional.of(new Rejection(noteUid, studyUid, code, "DCM",
                meaning == null || meaning.isBlank() ? TITLES.get(code) : meaning, source.actor(), source.channel(),
                source.address(), references));
    }

    private static String uid(DicomDataset item, int tag) {
        String v = item.getString(tag);
        if (v == null || !Uids.isValid(v)) {
            throw new IllegalArgumentException("rejection note with a missing or invalid " + Tag.toString(tag)
                    + " in its evidence");
        }
        return v;
    }
}
