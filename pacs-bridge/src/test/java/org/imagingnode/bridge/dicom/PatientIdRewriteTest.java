package org.imagingnode.bridge.dicom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.Inflater;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The identity of a data set sent to this node's PACS: PatientID and IssuerOfPatientID replaced, the former ones
 * kept in OtherPatientIDsSequence, every other top-level element byte for byte as it was.
 */
class PatientIdRewriteTest {
    private static final Set<Integer> PATIENT_IDS = Set.of(Tag.PatientID, Tag.IssuerOfPatientID,
            Tag.OtherPatientIDsSequence);

    @TempDir
    Path dir;

    private TestObjects.Spec spec() {
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientId = "A-1";
        s.issuer = "1.2.3.4.NODE-A";
        s.rows = 32;
        s.columns = 32;
        return s;
    }

    private byte[] dataSet(TestObjects.Spec s, String ts) throws Exception {
        Path f = TestObjects.write(s, dir.resolve(TestObjects.uid() + ".dcm"), ts);
        try (InputStream in = Files.newInputStream(f)) {
            Part10.skipHeader(in);
            return in.readAllBytes();
        }
    }

    private static byte[] rewrite(PatientIdRewrite r, byte[] ds, String ts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.prepare(new ByteArrayInputStream(ds), ts).writeTo(out);
        return out.toByteArray();
    }

    /** Each top-level element's encoded bytes, by tag. */
    private static Map<Integer, byte[]> elements(byte[] ds, String ts) throws Exception {
        List<DatasetLayout.Element> l = DatasetLayout.scan(new ByteArrayInputStream(ds), ts).elements();
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < l.size(); i++) {
            long end = i + 1 < l.size() ? l.get(i + 1).start() : ds.length;
            out.put(l.get(i).tag(), Arrays.copyOfRange(ds, (int) l.get(i).start(), (int) end));
        }
        return out;
    }

    private static void assertOthersUnchanged(byte[] before, byte[] after, String ts) throws Exception {
        Map<Integer, byte[]> was = elements(before, ts);
        Map<Integer, byte[]> is = elements(after, ts);
        was.keySet().removeAll(PATIENT_IDS);
        is.keySet().removeAll(PATIENT_IDS);
        assertThat(is.keySet()).as(ts).containsExactlyElementsOf(was.keySet());
        was.forEach((tag, bytes) -> assertThat(is.get(tag)).as(Tag.toString(tag) + " in " + ts).isEqualTo(bytes));
    }

    private static void assertReconciled(DicomDataset ds, String formerId, String formerIssuer) {
        assertThat(ds.getString(Tag.PatientID)).isEqualTo("B-7");
        assertThat(ds.getString(Tag.IssuerOfPatientID)).isEqualTo("1.2.3.4.NODE-B");
        List<DicomDataset> others = ds.items(Tag.OtherPatientIDsSequence);
        DicomDataset former = others.get(others.size() - 1);
        assertThat(former.getString(Tag.PatientID)).isEqualTo(formerId);
        assertThat(former.getString(Tag.IssuerOfPatientID)).isEqualTo(formerIssuer);
        assertThat(former.getString(Tag.TypeOfPatientID)).isEqualTo("TEXT");
    }

    @Test
    void givesTheNewIdentityAndKeepsTheFormerInOtherPatientIdsInEachUncompressedSyntax() throws Exception {
        PatientIdRewrite r = new PatientIdRewrite("B-7", "1.2.3.4.NODE-B");
        for (String ts : TransferSyntax.UNCOMPRESSED) {
            byte[] before = dataSet(spec(), ts);
            byte[] after = rewrite(r, before, ts);
            DicomDataset ds = DicomDataset.read(new ByteArrayInputStream(after), ts);
            assertReconciled(ds, "A-1", "1.2.3.4.NODE-A");
            assertThat(ds.items(Tag.OtherPatientIDsSequence)).as(ts).hasSize(1);
            assertOthersUnchanged(before, after, ts);
            assertThat(elements(after, ts)).containsKey(Tag.PixelData);
            DatasetStructure.verify(new ByteArrayInputStream(after), ts);
        }
    }

    @Test
    void leavesEncapsulatedPixelDataAsItIs() throws Exception {
        String ts = TransferSyntax.JPEG_BASELINE;
        byte[] explicit = dataSet(spec(), TransferSyntax.EXPLICIT_VR_LE);
        long pixelStart = DatasetLayout.scan(new ByteArrayInputStream(explicit), TransferSyntax.EXPLICIT_VR_LE)
                .element(Tag.PixelData).orElseThrow().start();
        // (7FE0,0010) OB undefined length: an empty offset table, two fragments, the delimiter
        ByteBuffer pixels = ByteBuffer.allocate(12 + 8 + 8 + 6 + 8 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        pixels.putShort((short) 0x7FE0).putShort((short) 0x0010).put("OB".getBytes()).putShort((short) 0).putInt(-1);
        pixels.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(0);
        pixels.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(6).put(new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3, 4});
        pixels.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(4).put(new byte[] {5, 6, (byte) 0xFF, (byte) 0xD9});
        pixels.putShort((short) 0xFFFE).putShort((short) 0xE0DD).putInt(0);
        byte[] before = Arrays.copyOf(explicit, (int) pixelStart + pixels.capacity());
        System.arraycopy(pixels.array(), 0, before, (int) pixelStart, pixels.capacity());

        byte[] after = rewrite(new PatientIdRewrite("B-7", "1.2.3.4.NODE-B"), before, ts);

        assertReconciled(DicomDataset.readHeader(new ByteArrayInputStream(after), ts), "A-1", "1.2.3.4.NODE-A");
        assertOthersUnchanged(before, after, ts);
        byte[] tail = Arrays.copyOfRange(after, after.length - pixels.capacity(), after.length);
        assertThat(tail).isEqualTo(pixels.array());
    }

    @Test
    void appendsToAnOtherPatientIdsSequenceAlreadyThere() throws Exception {
        TestObjects.Spec s = spec();
        s.otherPatientIds.add(new String[] {"285017512345678", "1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.8"});
        for (String ts : List.of(TransferSyntax.EXPLICIT_VR_LE, TransferSyntax.IMPLICIT_VR_LE)) {
            byte[] before = dataSet(s, ts);
            byte[] after = rewrite(new PatientIdRewrite("B-7", "1.2.3.4.NODE-B"), before, ts);
            DicomDataset ds = DicomDataset.read(new ByteArrayInputStream(after), ts);
            assertReconciled(ds, "A-1", "1.2.3.4.NODE-A");
            List<DicomDataset> others = ds.items(Tag.OtherPatientIDsSequence);
            assertThat(others).as(ts).hasSize(2);
            assertThat(others.get(0).getString(Tag.PatientID)).isEqualTo("285017512345678");
            assertThat(others.get(0).items(Tag.IssuerOfPatientIDQualifiersSequence).get(0)
                    .getString(Tag.UniversalEntityID)).isEqualTo("1.2.250.1.213.1.4.8");
            assertOthersUnchanged(before, after, ts);
        }
    }

    @Test
    void inflatesAndDeflatesADeflatedDataSet() throws Exception {
        String ts = TransferSyntax.DEFLATED_EXPLICIT_VR_LE;
        byte[] plain = dataSet(spec(), TransferSyntax.EXPLICIT_VR_LE);
        ByteArrayOutputStream deflated = new ByteArrayOutputStream();
        try (DeflaterOutputStream d = new DeflaterOutputStream(deflated, new Deflater(Deflater.DEFAULT_COMPRESSION, true))) {
            d.write(plain);
        }

        byte[] after = rewrite(new PatientIdRewrite("B-7", "1.2.3.4.NODE-B"), deflated.toByteArray(), ts);

        byte[] inflated = new InflaterInputStream(new ByteArrayInputStream(after), new Inflater(true)).readAllBytes();
        assertReconciled(DicomDataset.read(new ByteArrayInputStream(inflated), TransferSyntax.EXPLICIT_VR_LE), "A-1",
                "1.2.3.4.NODE-A");
        assertOthersUnchanged(plain, inflated, TransferSyntax.EXPLICIT_VR_LE);
    }

    @Test
    void withoutAnIssuerDropsTheFormerOne() throws Exception {
        String ts = TransferSyntax.EXPLICIT_VR_LE;
        byte[] after = rewrite(new PatientIdRewrite("B-7", ""), dataSet(spec(), ts), ts);
        DicomDataset ds = DicomDataset.read(new ByteArrayInputStream(after), ts);
        assertThat(ds.getString(Tag.PatientID)).isEqualTo("B-7");
        assertThat(ds.contains(Tag.IssuerOfPatientID)).isFalse();
        assertThat(ds.items(Tag.OtherPatientIDsSequence).get(0).getString(Tag.IssuerOfPatientID))
                .isEqualTo("1.2.3.4.NODE-A");
    }

    @Test
    void addsNoOtherIdWhenTheIdentityIsAlreadyTheSame() throws Exception {
        String ts = TransferSyntax.EXPLICIT_VR_LE;
        byte[] before = dataSet(spec(), ts);
        byte[] after = rewrite(new PatientIdRewrite("A-1", "1.2.3.4.NODE-A"), before, ts);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void refusesAnOtherPatientIdsSequenceThatIsNotEncodedAsASequence() {
        // (0010,0020) LO "A-1 ", then (0010,1002) as UN of length 0
        ByteBuffer ds = ByteBuffer.allocate(12 + 12).order(ByteOrder.LITTLE_ENDIAN);
        ds.putShort((short) 0x0010).putShort((short) 0x0020).put("LO".getBytes()).putShort((short) 4).put("A-1 ".getBytes());
        ds.putShort((short) 0x0010).putShort((short) 0x1002).put("UN".getBytes()).putShort((short) 0).putInt(0);
        assertThatThrownBy(() -> new PatientIdRewrite("B-7", "1.2.3.4.NODE-B")
                .prepare(new ByteArrayInputStream(ds.array()), TransferSyntax.EXPLICIT_VR_LE))
                .isInstanceOf(PatientIdRewrite.NotRewritableException.class);
    }

    @Test
    void refusesIdsThatCannotBeWrittenAsTheyAre() {
        assertThatThrownBy(() -> new PatientIdRewrite("B\\7", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PatientIdRewrite("Bé-7", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PatientIdRewrite("", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PatientIdRewrite("B".repeat(65), "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
