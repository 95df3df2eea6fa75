package org.imagingnode.bridge.sharing;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.SopClasses;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.space.NationalId;

/**
 * The manifest of a study, as DRIM-M source nodes publish it: a DICOM Key Object Selection document
 * titled (113030, DCM, "Manifest") that references every instance of the study, with where to
 * retrieve each series (RetrieveAETitle and the DICOMweb RetrieveURL). Its series UID derives from the study UID
 * (every version of a study's manifest is in that series); its SOP Instance UID from what it says.
 */
final class StudyManifest {
    static final String KEY_OBJECT_SELECTION = "1.2.840.10008.5.1.4.1.1.88.59";
    private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
    private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");

    private StudyManifest() {
    }

    static String seriesUid(String studyUid) {
        return derivedUid(("manifest-series:" + studyUid).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The SOP Instance UID of the manifest that says this: derived from everything it says (patient and study
     * attributes, national identifier, retrieve location, references) but when it was built. A rebuild saying the
     * same keeps the UID and replaces the same object; one saying anything else gets a new UID, since a UID names
     * one content: a consumer holding the previous manifest by its UID never takes it for the new one.
     */
    static String sopInstanceUid(String studyUid, IndexRow study, List<InstanceLocation> instances, String retrieveAe,
            String retrieveUrl, NationalId person) {
        MessageDigest said = Checksums.sha256();
        List<String> header = new ArrayList<>(List.of("manifest", studyUid, String.valueOf(retrieveAe),
                String.valueOf(retrieveUrl), person == null ? "" : person.id() + "^" + person.issuer()));
        new TreeMap<>(study.values()).forEach((attribute, value) -> header.add(attribute.name() + "=" + value));
        header.forEach(line -> said.update((line + "\n").getBytes(StandardCharsets.UTF_8)));
        for (InstanceLocation i : instances) {
            said.update((i.seriesInstanceUid() + "/" + i.sopClassUid() + "/" + i.sopInstanceUid() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return derivedUid(said.digest());
    }

    /** A UID under the 2.25 root (PS3.5 B.2) from a name-based UUID. */
    private static String derivedUid(byte[] name) {
        UUID uuid = UUID.nameUUIDFromBytes(name);
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, bytes);
    }

    /**
     * @param study        the study's patient and study attributes (an index row at STUDY level)
     * @param instances    every instance to reference (the manifest itself excluded)
     * @param retrieveUrl  the DICOMweb base URL of this node, e.g. https://node.example/dicomweb
     * @param person       the patient's national identity (from the patient space), or null when not linked
     */
    static DicomDataset build(String studyUid, IndexRow study, List<InstanceLocation> instances, String retrieveAe,
            String retrieveUrl, NationalId person, ZonedDateTime contentTime) {
        DicomDataset ds = DicomDataset.newUtf8();
        ds.putString(Tag.SOPClassUID, KEY_OBJECT_SELECTION);
        ds.putString(Tag.SOPInstanceUID, sopInstanceUid(studyUid, study, instances, retrieveAe, retrieveUrl, person));
        ds.putString(Tag.PatientName, text(study, IndexAttribute.PatientName));
        ds.putString(Tag.PatientID, text(study, IndexAttribute.PatientID));
        ds.putString(Tag.IssuerOfPatientID, text(study, IndexAttribute.IssuerOfPatientID));
        if (person != null) {
            // the national identifier, as the patient space reads it (NationalIdExtractor): an other patient ID
            DicomDataset other = ds.addItem(Tag.OtherPatientIDsSequence);
            other.putString(Tag.PatientID, person.id());
            other.putString(Tag.IssuerOfPatientID, person.issuer());
            other.putString(Tag.TypeOfPatientID, "TEXT");
            DicomDataset issuer = other.addItem(Tag.IssuerOfPatientIDQualifiersSequence);
            issuer.putString(Tag.UniversalEntityID, person.issuer());
            issuer.putString(Tag.UniversalEntityIDType, "ISO");
        }
        ds.putString(Tag.PatientBirthDate, date(study, IndexAttribute.PatientBirthDate));
        ds.putString(Tag.PatientSex, text(study, IndexAttribute.PatientSex));
        ds.putString(Tag.StudyInstanceUID, studyUid);
        ds.putString(Tag.StudyDate, date(study, IndexAttribute.StudyDate));
        ds.putString(Tag.StudyTime, text(study, IndexAttribute.StudyTime));
        ds.putString(Tag.ReferringPhysicianName, text(study, IndexAttribute.ReferringPhysicianName));
        ds.putString(Tag.StudyID, text(study, IndexAttribute.StudyID));
        ds.putString(Tag.AccessionNumber, text(study, IndexAttribute.AccessionNumber));
        ds.putString(Tag.StudyDescription, text(study, IndexAttribute.StudyDescription));
        ds.putString(Tag.Modality, "KO");
        ds.putString(Tag.SeriesInstanceUID, seriesUid(studyUid));
        ds.putString(Tag.SeriesNumber, "9999");
        ds.putString(Tag.SeriesDescription, "Manifest");
        ds.putEmptySequence(Tag.ReferencedPerformedProcedureStepSequence);
        ds.putString(Tag.Manufacturer, "imaging-node");
        ds.putString(Tag.InstanceNumber, "1");
        ZonedDateTime utc = contentTime.withZoneSameInstant(ZoneOffset.UTC);
        ds.putString(Tag.ContentDate, utc.format(DA));
        ds.putString(Tag.ContentTime, utc.format(TM));
        ds.putString(Tag.TimezoneOffsetFromUTC, "+0000");

        Map<String, List<InstanceLocation>> bySeries = new LinkedHashMap<>();
        instances.forEach(i -> bySeries.computeIfAbsent(i.seriesInstanceUid(), k -> new ArrayList<>()).add(i));
        DicomDataset evidence = ds.addItem(Tag.CurrentRequestedProcedureEvidenceSequence);
        evidence.putString(Tag.StudyInstanceUID, studyUid);
        bySeries.forEach((seriesUid, members) -> {
            DicomDataset series = evidence.addItem(Tag.ReferencedSeriesSequence);
            series.putString(Tag.SeriesInstanceUID, seriesUid);
            series.putString(Tag.RetrieveAETitle, retrieveAe);
            series.putString(Tag.RetrieveURL, retrieveUrl + "/studies/" + studyUid + "/series/" + seriesUid);
            for (InstanceLocation i : members) {
                DicomDataset sop = series.addItem(Tag.ReferencedSOPSequence);
                sop.putString(Tag.ReferencedSOPClassUID, i.sopClassUid());
                sop.putString(Tag.ReferencedSOPInstanceUID, i.sopInstanceUid());
            }
        });

        ds.putString(Tag.ValueType, "CONTAINER");
        code(ds.addItem(Tag.ConceptNameCodeSequence), "113030", "DCM", "Manifest");
        ds.putString(Tag.ContinuityOfContent, "SEPARATE");
        DicomDataset template = ds.addItem(Tag.ContentTemplateSequence);
        template.putString(Tag.MappingResource, "DCMR");
        template.putString(Tag.TemplateIdentifier, "2010");
        for (InstanceLocation i : instances) {
            DicomDataset item = ds.addItem(Tag.ContentSequence);
            item.putString(Tag.RelationshipType, "CONTAINS");
            item.putString(Tag.ValueType, valueType(i.sopClassUid()));
            DicomDataset sop = item.addItem(Tag.ReferencedSOPSequence);
            sop.putString(Tag.ReferencedSOPClassUID, i.sopClassUid());
            sop.putString(Tag.ReferencedSOPInstanceUID, i.sopInstanceUid());
        }
        return ds;
    }

    private static void code(DicomDataset item, String value, String scheme, String meaning) {
        item.putString(Tag.CodeValue, value);
        item.putString(Tag.CodingSchemeDesignator, scheme);
        item.putString(Tag.CodeMeaning, meaning);
    }

    /** How TID 2010 references an instance of the class (rows IMAGE, WAVEFORM, COMPOSITE for any other). */
    private static String valueType(String sopClass) {
        if (SopClasses.isImageStorage(sopClass)) {
            return "IMAGE";
        }
        return SopClasses.isWaveformStorage(sopClass) ? "WAVEFORM" : "COMPOSITE";
    }

    private static String text(IndexRow row, IndexAttribute attribute) {
        Object v = row.get(attribute);
        return v == null ? null : v.toString();
    }

    private static String date(IndexRow row, IndexAttribute attribute) {
        return row.get(attribute) instanceof LocalDate d ? d.format(DA) : null;
    }
}
