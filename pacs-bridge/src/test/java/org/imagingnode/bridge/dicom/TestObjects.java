package org.imagingnode.bridge.dicom;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.AttributeFactory;

/**
 * Writes synthetic but valid DICOM Part 10 files for tests and benchmarks: CT/MR-like images with
 * chosen patient, study and series attributes, pixel data of a chosen size, and any character set.
 */
public final class TestObjects {
    public static final String CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
    public static final String MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
    public static final String SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";

    private static final AtomicLong COUNTER = new AtomicLong(System.nanoTime() % 1_000_000_000L);
    private static final String ROOT = "2.25.";

    private TestObjects() {
    }

    /** A fresh UID (2.25 root with a decimal from a counter and the clock). */
    public static String uid() {
        return ROOT + System.currentTimeMillis() + COUNTER.incrementAndGet();
    }

    /** The attributes of one test image; change fields, then {@link #write}. */
    public static final class Spec {
        public String characterSet = "ISO_IR 192";
        public String patientId = "PAT-" + COUNTER.incrementAndGet();
        public String issuer = "SITE-A";
        public String patientName = "Doe^John";
        public String birthDate = "19700101";
        public String sex = "M";
        public String studyUid = uid();
        public String studyDate = "20260115";
        public String studyTime = "101500";
        public String accession = "ACC" + COUNTER.incrementAndGet();
        public String studyDescription = "CT Chest";
        public String referringPhysician = "House^Gregory";
        public String seriesUid = uid();
        public String modality = "CT";
        public int seriesNumber = 1;
        public String seriesDescription = "Axial";
        public String bodyPart = "CHEST";
        public String sopClassUid = CT_IMAGE;
        public String sopInstanceUid = uid();
        public int instanceNumber = 1;
        public int rows = 512;
        public int columns = 512;
        public int frames = 1;
        /** NumberOfFrames to write when it differs from the frames generated (see writeLarge) */
        Integer declaredFrames;
        /** mixed into pixel values so different instances have different pixels */
        public int seed = 1;
        /**
         * OtherPatientIDsSequence items, each {PatientID, IssuerOfPatientID, UniversalEntityID of
         * IssuerOfPatientIDQualifiersSequence}; the last two may be null. Empty: no sequence.
         */
        public List<String[]> otherPatientIds = new ArrayList<>();

        public Spec sameStudy() {
            Spec s = new Spec();
            s.characterSet = characterSet;
            s.patientId = patientId;
            s.issuer = issuer;
            s.patientName = patientName;
            s.birthDate = birthDate;
            s.sex = sex;
            s.studyUid = studyUid;
            s.studyDate = studyDate;
            s.studyTime = studyTime;
            s.accession = accession;
            s.studyDescription = studyDescription;
            s.referringPhysician = referringPhysician;
            s.otherPatientIds = new ArrayList<>(otherPatientIds);
            return s;
        }

        public Spec sameSeries() {
            Spec s = sameStudy();
            s.seriesUid = seriesUid;
            s.modality = modality;
            s.seriesNumber = seriesNumber;
            s.seriesDescription = seriesDescription;
            s.bodyPart = bodyPart;
            s.sopClassUid = sopClassUid;
            s.rows = rows;
            s.columns = columns;
            s.frames = frames;
            s.instanceNumber = instanceNumber + 1;
            s.seed = seed + 1;
            return s;
        }
    }

    /** Writes the image as a Part 10 file in Explicit VR Little Endian. */
    public static Path write(Spec s, Path file) throws IOException {
        return write(s, file, TransferSyntax.EXPLICIT_VR_LE);
    }

    public static Path write(Spec s, Path file, String transferSyntaxUid) throws IOException {
        try {
            AttributeList list = new AttributeList();
            SpecificCharacterSet cs = new SpecificCharacterSet(new String[] {s.characterSet});
            put(list, TagFromName.SpecificCharacterSet, cs, s.characterSet);
            put(list, TagFromName.SOPClassUID, cs, s.sopClassUid);
            put(list, TagFromName.SOPInstanceUID, cs, s.sopInstanceUid);
            put(list, TagFromName.StudyDate, cs, s.studyDate);
            put(list, TagFromName.StudyTime, cs, s.studyTime);
            put(list, TagFromName.AccessionNumber, cs, s.accession);
            put(list, TagFromName.Modality, cs, s.modality);
            put(list, TagFromName.ReferringPhysicianName, cs, s.referringPhysician);
            put(list, TagFromName.StudyDescription, cs, s.studyDescription);
            put(list, TagFromName.SeriesDescription, cs, s.seriesDescription);
            put(list, TagFromName.PatientName, cs, s.patientName);
            put(list, TagFromName.PatientID, cs, s.patientId);
            put(list, TagFromName.IssuerOfPatientID, cs, s.issuer);
            if (!s.otherPatientIds.isEmpty()) {
                SequenceAttribute others = new SequenceAttribute(TagFromName.OtherPatientIDsSequence);
                for (String[] o : s.otherPatientIds) {
                    AttributeList item = new AttributeList();
                    put(item, TagFromName.PatientID, cs, o[0]);
                    if (o.length > 1 && o[1] != null) {
                        put(item, TagFromName.IssuerOfPatientID, cs, o[1]);
                    }
                    if (o.length > 2 && o[2] != null) {
                        SequenceAttribute qualifiers = new SequenceAttribute(new AttributeTag(0x0010, 0x0024));
                        AttributeList q = new AttributeList();
                        put(q, new AttributeTag(0x0040, 0x0032), cs, o[2]);
                        put(q, new AttributeTag(0x0040, 0x0033), cs, "ISO");
                        qualifiers.addItem(q);
                        item.put(qualifiers);
                    }
                    others.addItem(item);
                }
                list.put(others);
            }
            put(list, TagFromName.PatientBirthDate, cs, s.birthDate);
            put(list, TagFromName.PatientSex, cs, s.sex);
            put(list, TagFromName.BodyPartExamined, cs, s.bodyPart);
            put(list, TagFromName.StudyInstanceUID, cs, s.studyUid); // null: present but empty
            put(list, TagFromName.SeriesInstanceUID, cs, s.seriesUid);
            put(list, TagFromName.StudyID, cs, "1");
            put(list, TagFromName.SeriesNumber, cs, Integer.toString(s.seriesNumber));
            put(list, TagFromName.InstanceNumber, cs, Integer.toString(s.instanceNumber));
            put(list, TagFromName.SamplesPerPixel, cs, "1");
            put(list, TagFromName.PhotometricInterpretation, cs, "MONOCHROME2");
            int numberOfFrames = s.declaredFrames != null ? s.declaredFrames : s.frames;
            if (numberOfFrames > 1) {
                put(list, TagFromName.NumberOfFrames, cs, Integer.toString(numberOfFrames));
            }
            put(list, TagFromName.Rows, cs, Integer.toString(s.rows));
            put(list, TagFromName.Columns, cs, Integer.toString(s.columns));
            put(list, TagFromName.BitsAllocated, cs, "16");
            put(list, TagFromName.BitsStored, cs, "12");
            put(list, TagFromName.HighBit, cs, "11");
            put(list, TagFromName.PixelRepresentation, cs, "0");
            put(list, TagFromName.WindowCenter, cs, "1024");
            put(list, TagFromName.WindowWidth, cs, "2048");
            short[] pixels = new short[s.rows * s.columns * s.frames];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (short) (((i % s.columns) * 4 + (i / s.columns) + s.seed * 31) & 0x0FFF);
            }
            Attribute pixelData = new OtherWordAttribute(TagFromName.PixelData);
            pixelData.setValues(pixels);
            list.put(pixelData);
            FileMetaInformation.addFileMetaInformation(list, transferSyntaxUid, "TESTGEN");
            list.write(file.toFile(), transferSyntaxUid, true, true);
            return file;
        } catch (DicomException e) {
            throw new IOException("cannot write test object: " + e.getMessage(), e);
        }
    }

    private static void put(AttributeList list, AttributeTag tag, SpecificCharacterSet cs, String value)
            throws DicomException {
        Attribute a = AttributeFactory.newAttribute(tag, AttributeList.getDictionary().getValueRepresentationFromTag(tag), cs);
        if (value != null) {
            a.addValue(value);
        }
        list.put(a);
    }

    /** The raw pixel data bytes of a Part 10 file, for byte-identity checks (whatever the syntax). */
    public static byte[] pixelData(Path file) throws IOException {
        try {
            AttributeList list = new AttributeList();
            list.setDecompressPixelData(false); // compare frames exactly as encoded
            list.read(file.toFile());
            Attribute a = list.get(TagFromName.PixelData);
            if (a == null) {
                return new byte[0];
            }
            if (a instanceof OtherByteAttributeMultipleCompressedFrames frames) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (byte[] f : frames.getFrames()) {
                    all.writeBytes(f);
                }
                return all.toByteArray();
            }
            if (a instanceof OtherWordAttribute ow) {
                short[] v = ow.getShortValues();
                byte[] b = new byte[v.length * 2];
                for (int i = 0; i < v.length; i++) {
                    b[2 * i] = (byte) v[i];
                    b[2 * i + 1] = (byte) (v[i] >>> 8);
                }
                return b;
            }
            return a.getByteValues();
        } catch (DicomException e) {
            throw new IOException(e);
        }
    }

    /**
     * A Part 10 object's data set, without its File Meta Information (which each writer makes its own): what two
     * copies of an instance must have byte for byte in common.
     */
    public static byte[] dataSetOf(byte[] part10) {
        try {
            int offset = (int) Part10.skipHeader(new ByteArrayInputStream(part10));
            return Arrays.copyOfRange(part10, offset, part10.length);
        } catch (MalformedDicomException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Reads a whole file through the node's own layer (for assertions on decoded values). */
    public static DicomDataset read(Path file) throws IOException {
        try {
            return DicomDataset.readPart10Header(file);
        } catch (MalformedDicomException e) {
            throw new IOException(e);
        }
    }

    /**
     * Writes a C-FIND query identifier as a file DCMTK's findscu can send (UTF-8); {@code keys}
     * maps tags to values ("" for a return key).
     */
    public static Path writeQuery(Path file, Map<Integer, String> keys) throws IOException {
        try {
            AttributeList list = new AttributeList();
            SpecificCharacterSet cs = new SpecificCharacterSet(new String[] {"ISO_IR 192"});
            put(list, TagFromName.SpecificCharacterSet, cs, "ISO_IR 192");
            for (var e : keys.entrySet()) {
                AttributeTag tag = new AttributeTag(e.getKey() >>> 16, e.getKey() & 0xFFFF);
                put(list, tag, cs, e.getValue().isEmpty() ? null : e.getValue());
            }
            FileMetaInformation.addFileMetaInformation(list, "1.2.840.10008.5.1.4.1.2.2.1", uid(),
                    TransferSyntax.EXPLICIT_VR_LE, "TESTGEN");
            list.write(file.toFile(), TransferSyntax.EXPLICIT_VR_LE, true, true);
            return file;
        } catch (DicomException e) {
            throw new IOException(e);
        }
    }

    /**
     * Writes a multi-frame image too large to build in memory: the header and first frame through
     * {@link #write}, then the Pixel Data length patched and the other frames streamed (each frame's
     * bytes differ). Explicit VR Little Endian; {@code s.frames} is ignored.
     */
    public static Path writeLarge(Spec s, Path file, int frames) throws IOException {
        Spec one = s.sameStudy();
        one.seriesUid = s.seriesUid;
        one.sopInstanceUid = s.sopInstanceUid;
        one.sopClassUid = s.sopClassUid;
        one.rows = s.rows;
        one.columns = s.columns;
        one.frames = 1;
        one.declaredFrames = frames;
        write(one, file);
        long frameBytes = 2L * s.rows * s.columns;
        long pixelBytes = frameBytes * frames;
        if (pixelBytes > 0xFFFFFFFEL) {
            throw new IllegalArgumentException("pixel data over 4 GiB cannot have an explicit length");
        }
        try (FileChannel ch = FileChannel.open(file,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long lengthField = ch.size() - frameBytes - 4;
            ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, lengthField - 8);
            if (header.getShort(0) != (short) 0x7FE0 || header.getShort(2) != 0x0010
                    || header.get(4) != 'O' || header.get(5) != 'W') {
                throw new IOException("Pixel Data is not the last element of " + file);
            }
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) pixelBytes).flip(), lengthField);
            byte[] frame = new byte[(int) frameBytes];
            ch.position(ch.size());
            for (int f = 1; f < frames; f++) {
                Arrays.fill(frame, (byte) f);
                frame[0] = (byte) (f >>> 8);
                ch.write(ByteBuffer.wrap(frame));
            }
        }
        return file;
    }

    /**
     * Writes a Key Object Selection document (Explicit VR Little Endian) in {@code study}'s study and patient, titled
     * with the DCM code given (an IHE IOCM rejection note for 113001, 113037, 113038 or 113039), whose evidence
     * (CurrentRequestedProcedureEvidenceSequence) and content reference {@code referenced}, each under its own study
     * and series. Returns the document's SOP Instance UID.
     */
    public static String writeKeyObjectSelection(Path file, Spec study, String code, String meaning,
            List<Spec> referenced) throws IOException {
        String kos = "1.2.840.10008.5.1.4.1.1.88.59";
        String uid = uid();
        DicomDataset ds = DicomDataset.newUtf8();
        ds.putString(Tag.SOPClassUID, kos);
        ds.putString(Tag.SOPInstanceUID, uid);
        ds.putString(Tag.PatientName, study.patientName);
        ds.putString(Tag.PatientID, study.patientId);
        ds.putString(Tag.IssuerOfPatientID, study.issuer);
        ds.putString(Tag.StudyInstanceUID, study.studyUid);
        ds.putString(Tag.StudyDate, study.studyDate);
        ds.putString(Tag.AccessionNumber, study.accession);
        ds.putString(Tag.Modality, "KO");
        ds.putString(Tag.SeriesInstanceUID, uid());
        ds.putString(Tag.SeriesNumber, "999");
        ds.putString(Tag.InstanceNumber, "1");
        ds.putString(Tag.ValueType, "CONTAINER");
        DicomDataset title = ds.addItem(Tag.ConceptNameCodeSequence);
        title.putString(Tag.CodeValue, code);
        title.putString(Tag.CodingSchemeDesignator, "DCM");
        title.putString(Tag.CodeMeaning, meaning);
        Map<String, Map<String, List<Spec>>> tree = new LinkedHashMap<>();
        for (Spec r : referenced) {
            tree.computeIfAbsent(r.studyUid, k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.seriesUid, k -> new ArrayList<>()).add(r);
        }
        tree.forEach((studyUid, series) -> {
            DicomDataset evidence = ds.addItem(Tag.CurrentRequestedProcedureEvidenceSequence);
            evidence.putString(Tag.StudyInstanceUID, studyUid);
            series.forEach((seriesUid, sops) -> {
                DicomDataset item = evidence.addItem(Tag.ReferencedSeriesSequence);
                item.putString(Tag.SeriesInstanceUID, seriesUid);
                for (Spec r : sops) {
                    DicomDataset sop = item.addItem(Tag.ReferencedSOPSequence);
                    sop.putString(Tag.ReferencedSOPClassUID, r.sopClassUid);
                    sop.putString(Tag.ReferencedSOPInstanceUID, r.sopInstanceUid);
                }
            });
        });
        for (Spec r : referenced) {
            DicomDataset item = ds.addItem(Tag.ContentSequence);
            item.putString(Tag.RelationshipType, "CONTAINS");
            item.putString(Tag.ValueType, "IMAGE");
            DicomDataset sop = item.addItem(Tag.ReferencedSOPSequence);
            sop.putString(Tag.ReferencedSOPClassUID, r.sopClassUid);
            sop.putString(Tag.ReferencedSOPInstanceUID, r.sopInstanceUid);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(Part10.header(kos, uid, TransferSyntax.EXPLICIT_VR_LE));
            out.write(ds.encode(TransferSyntax.EXPLICIT_VR_LE));
        }
        return uid;
    }
}
