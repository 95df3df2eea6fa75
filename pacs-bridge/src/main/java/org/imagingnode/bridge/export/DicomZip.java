package org.imagingnode.bridge.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.imagingnode.bridge.dicom.MediaDirectory;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.storage.BlobStore;

/**
 * A study as a ZIP laid out like DICOM media (PS3.10, IHE Portable Data for Imaging): the stored Part 10 files,
 * byte for byte, under {@code DICOM/PAT00001/STU00001/SER00001/IMG00001} (File IDs of components of at most 8
 * characters from A-Z, 0-9 and _, with no extension), a {@code DICOMDIR} at the root with PATIENT, STUDY,
 * SERIES and IMAGE (or document) records that name them, and a {@code README.TXT}. Streamed: each object goes
 * from the blob store into the archive as it is read; the DICOMDIR, built from index rows, comes last.
 */
public final class DicomZip {
    private static final String README = """
            This archive holds one imaging study as DICOM files (PS3.10 media layout).
            DICOMDIR lists the patient, study, series and images; the files are under DICOM/.
            Open DICOMDIR with a DICOM viewer (e.g. Weasis), or import the folder into a PACS.
            Cette archive contient un examen d'imagerie en fichiers DICOM, decrits par DICOMDIR.
            """;

    private DicomZip() {
    }

    /** Writes the archive; {@code out} is not closed. Returns the number of objects written. */
    public static int write(StoredStudy study, BlobStore blobs, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
        zip.setLevel(Deflater.BEST_SPEED); // most pixel data is already compressed or barely compressible
        Map<String, MediaDirectory.Record> series = new LinkedHashMap<>();
        MediaDirectory.Record patient = null;
        MediaDirectory.Record studyRecord = null;
        int count = 0;
        for (InstanceLocation i : study.instances()) {
            String sop = i.sopInstanceUid();
            if (patient == null) {
                patient = new MediaDirectory.Record("PATIENT", keys(Tag.PatientID, value(study.attribute(sop,
                        IndexAttribute.PatientID), "UNKNOWN"), Tag.PatientName, study.attribute(sop,
                        IndexAttribute.PatientName), Tag.PatientBirthDate, study.attribute(sop,
                        IndexAttribute.PatientBirthDate), Tag.PatientSex, study.attribute(sop, IndexAttribute.PatientSex)),
                        List.of());
                studyRecord = new MediaDirectory.Record("STUDY", keys(Tag.StudyDate,
                        study.attribute(sop, IndexAttribute.StudyDate), Tag.StudyTime,
                        study.attribute(sop, IndexAttribute.StudyTime), Tag.StudyDescription,
                        study.attribute(sop, IndexAttribute.StudyDescription), Tag.StudyInstanceUID,
                        study.studyInstanceUid(), Tag.StudyID, value(study.attribute(sop, IndexAttribute.StudyID), "1"),
                        Tag.AccessionNumber, study.attribute(sop, IndexAttribute.AccessionNumber)), List.of());
                patient.children().add(studyRecord);
            }
            MediaDirectory.Record s = series.get(i.seriesInstanceUid());
            if (s == null) {
                s = new MediaDirectory.Record("SERIES", keys(Tag.Modality, value(study.attribute(sop,
                        IndexAttribute.Modality), "OT"), Tag.SeriesInstanceUID, i.seriesInstanceUid(), Tag.SeriesNumber,
                        value(study.attribute(sop, IndexAttribute.SeriesNumber), Integer.toString(series.size() + 1))),
                        List.of());
                series.put(i.seriesInstanceUid(), s);
                studyRecord.children().add(s);
            }
            String fileId = "DICOM\\PAT00001\\STU00001\\" + component("SER", series.size()) + "\\"
                    + component("IMG", s.children().size() + 1);
            s.children().add(new MediaDirectory.Record(MediaDirectory.recordTypeOf(i.sopClassUid()), keys(
                    MediaDirectory.REFERENCED_FILE_ID, fileId, MediaDirectory.REFERENCED_SOP_CLASS_IN_FILE,
                    i.sopClassUid(), MediaDirectory.REFERENCED_SOP_INSTANCE_IN_FILE, sop,
                    MediaDirectory.REFERENCED_TRANSFER_SYNTAX_IN_FILE, i.transferSyntaxUid(), Tag.InstanceNumber,
                    value(study.attribute(sop, IndexAttribute.InstanceNumber), Integer.toString(s.children().size() + 1))),
                    List.of()));
            zip.putNextEntry(new ZipEntry(fileId.replace('\\', '/')));
            try (InputStream in = blobs.get(i.blobKey())) {
                in.transferTo(zip);
            }
            zip.closeEntry();
            count++;
        }
        zip.putNextEntry(new ZipEntry("DICOMDIR"));
        MediaDirectory.write(zip, "IMAGINGNODE", patient == null ? List.of() : List.of(patient));
        zip.closeEntry();
        zip.putNextEntry(new ZipEntry("README.TXT"));
        zip.write(README.replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
        zip.closeEntry();
        zip.finish();
        return count;
    }

    /**
     * A File ID component of 8 characters from A-Z and 0-9: a 3-letter prefix and 5 decimal digits, beyond
     * 99999 the prefix's first letter and 7 base-36 digits (which never look like the decimal form).
     */
    static String component(String prefix, int n) {
        if (n <= 99_999) {
            return prefix + String.format(Locale.ROOT, "%05d", n);
        }
        String b36 = Integer.toString(n, 36).toUpperCase(Locale.ROOT);
        return prefix.charAt(0) + "0".repeat(7 - b36.length()) + b36;
    }

    private static String value(String v, String fallback) {
        return v == null || v.isBlank() ? fallback : v;
    }

    private static Map<Integer, String> keys(Object... tagValue) {
        Map<Integer, String> m = new LinkedHashMap<>();
        for (int k = 0; k < tagValue.length; k += 2) {
            m.put((Integer) tagValue[k], (String) tagValue[k + 1]);
        }
        return m;
    }
}
