package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.storage.BlobInfo;
import org.imagingnode.storage.BlobStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/** The DIMSE services as real DCMTK peers see them. */
class DimseServicesTest extends NodeIntegrationTest {

    @TempDir
    static Path work;

    @Autowired
    AuditLog audit;

    static TestObjects.Spec ct;
    static List<Path> ctFiles = new ArrayList<>();

    @BeforeAll
    static void makeStudy() throws IOException {
        ct = new TestObjects.Spec();
        ct.patientName = "Müller^Jürgen";
        TestObjects.Spec s = ct;
        for (int i = 0; i < 3; i++) {
            ctFiles.add(TestObjects.write(s, work.resolve("ct" + i + ".dcm")));
            s = s.sameSeries();
        }
    }

    private Dcmtk.Result tool(String... args) throws Exception {
        return Dcmtk.run(60, args);
    }

    private Dcmtk.Result store(String callingAe, List<Path> files, String... options) throws Exception {
        List<String> cmd = Dcmtk.args("storescu", List.of(options), "-aet", callingAe, "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), files.stream().map(Path::toString).toList());
        return Dcmtk.run(60, cmd.toArray(String[]::new));
    }

    @Test
    void echoAnswersRegisteredCallers() throws Exception {
        assertThat(tool("echoscu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok()).isTrue();
    }

    @Test
    void unknownCallingAeIsRejectedAtAssociation() throws Exception {
        Dcmtk.Result r = tool("echoscu", "-aet", "INTRUDER", "-aec", NODE_AE, "127.0.0.1", dimsePort());
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).containsIgnoringCase("Calling AE Title Not Recognized");
    }

    @Test
    void anAeBoundToAnAddressIsAcceptedFromThereOnly() throws Exception {
        assertThat(tool("echoscu", "-aet", "LOOPBACKCT", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok()).isTrue();
        // the same title from another address than the one it is bound to: an impostor
        Dcmtk.Result r = tool("echoscu", "-aet", "REMOTECT", "-aec", NODE_AE, "127.0.0.1", dimsePort());
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).containsIgnoringCase("Calling AE Title Not Recognized");
    }

    @Test
    void wrongCalledAeIsRejectedAtAssociation() throws Exception {
        Dcmtk.Result r = tool("echoscu", "-aet", "STORESCU", "-aec", "SOMEONE", "127.0.0.1", dimsePort());
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).containsIgnoringCase("Called AE Title Not Recognized");
    }

    @Test
    void aeWithoutQueryPermissionCannotFind() throws Exception {
        Dcmtk.Result r = tool("findscu", "-S", "-aet", "STOREONLY", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + ct.patientId);
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).containsIgnoringCase("No Acceptable Presentation Contexts");
    }

    @Test
    void storedStudyIsIndexedAndFoundAtEveryLevel() throws Exception {
        Dcmtk.Result stored = store("STORESCU", ctFiles);
        assertThat(stored.ok()).as(stored.output()).isTrue();

        List<DicomDataset> studies = find("-S", Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.PatientID, ct.patientId,
                Tag.StudyInstanceUID, "", Tag.PatientName, "", Tag.NumberOfStudyRelatedInstances, "",
                Tag.ModalitiesInStudy, "", Tag.StudyDate, ""));
        assertThat(studies).hasSize(1);
        DicomDataset study = studies.get(0);
        assertThat(study.getString(Tag.StudyInstanceUID)).isEqualTo(ct.studyUid);
        assertThat(study.getRawString(Tag.PatientName)).isEqualTo("Müller^Jürgen");
        assertThat(study.getInt(Tag.NumberOfStudyRelatedInstances)).isEqualTo(3);
        assertThat(study.getStrings(Tag.ModalitiesInStudy)).containsExactly("CT");
        assertThat(study.getString(Tag.StudyDate)).isEqualTo("20260115");

        assertThat(find("-P", Map.of(Tag.QueryRetrieveLevel, "PATIENT", Tag.PatientID, ct.patientId,
                Tag.NumberOfPatientRelatedInstances, ""))).singleElement()
                .satisfies(p -> assertThat(p.getInt(Tag.NumberOfPatientRelatedInstances)).isEqualTo(3));
        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "SERIES", Tag.StudyInstanceUID, ct.studyUid,
                Tag.SeriesInstanceUID, "", Tag.Modality, "", Tag.NumberOfSeriesRelatedInstances, "")))
                .singleElement().satisfies(se -> {
                    assertThat(se.getString(Tag.SeriesInstanceUID)).isEqualTo(ct.seriesUid);
                    assertThat(se.getInt(Tag.NumberOfSeriesRelatedInstances)).isEqualTo(3);
                });
        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "IMAGE", Tag.StudyInstanceUID, ct.studyUid,
                Tag.SeriesInstanceUID, ct.seriesUid, Tag.SOPInstanceUID, "", Tag.InstanceNumber, "")))
                .extracting(d -> d.getInt(Tag.InstanceNumber)).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void findMatchesWildcardsDateRangesAndNonAsciiNames() throws Exception {
        TestObjects.Spec jp = new TestObjects.Spec();
        jp.patientName = "山田^太郎";
        jp.studyDate = "20240301";
        jp.sopInstanceUid = TestObjects.uid();
        assertThat(store("STORESCU", List.of(TestObjects.write(jp, work.resolve("jp.dcm")))).ok()).isTrue();

        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.PatientName, "山田*",
                Tag.StudyInstanceUID, "", Tag.PatientID, jp.patientId)))
                .singleElement().satisfies(d -> assertThat(d.getRawString(Tag.PatientName)).isEqualTo("山田^太郎"));
        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.PatientID, jp.patientId,
                Tag.StudyDate, "20240201-20240331", Tag.StudyInstanceUID, ""))).hasSize(1);
        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.PatientID, jp.patientId,
                Tag.StudyDate, "-20231231", Tag.StudyInstanceUID, ""))).isEmpty();
    }

    @Test
    void latin1NamesRoundTripExactly() throws Exception {
        TestObjects.Spec latin = new TestObjects.Spec();
        latin.characterSet = "ISO_IR 100";
        latin.patientName = "Dupré^Hélène";
        assertThat(store("STORESCU", List.of(TestObjects.write(latin, work.resolve("latin.dcm")))).ok()).isTrue();
        assertThat(find("-S", Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.PatientID, latin.patientId,
                Tag.PatientName, "")))
                .singleElement().satisfies(d -> assertThat(d.getRawString(Tag.PatientName)).isEqualTo("Dupré^Hélène"));
    }

    @Test
    void getReturnsByteIdenticalPixelData() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = List.of(TestObjects.write(s, work.resolve("g1.dcm")),
                TestObjects.write(s.sameSeries(), work.resolve("g2.dcm")));
        assertThat(store("STORESCU", files).ok()).isTrue();
        Path out = Files.createDirectories(work.resolve("get-" + s.studyUid));
        Dcmtk.Result r = tool("getscu", "-S", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + s.studyUid, "-od", out.toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertSameObjects(files, out);
    }

    @Test
    void compressedAndMultiFrameObjectsAreStoredAsReceivedAndRetrievedIdentically() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.sopClassUid = TestObjects.MR_IMAGE; // a storage class getscu proposes by default
        s.modality = "MR";
        s.frames = 8;
        s.rows = 128;
        s.columns = 128;
        Path multiFrame = TestObjects.write(s, work.resolve("mf.dcm"));
        TestObjects.Spec c = s.sameSeries();
        c.sopClassUid = TestObjects.CT_IMAGE;
        c.frames = 1;
        Path raw = TestObjects.write(c, work.resolve("raw.dcm"));
        Path jpeg = work.resolve("jpeg-lossless.dcm");
        assertThat(tool("dcmcjpeg", raw.toString(), jpeg.toString()).ok()).isTrue();
        assertThat(TestObjects.read(jpeg).transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.70");

        List<Path> files = List.of(multiFrame, jpeg);
        // -xs: also propose JPEG lossless, so the compressed file travels as it is
        Dcmtk.Result stored = store("STORESCU", files, "-xs");
        assertThat(stored.ok()).as(stored.output()).isTrue();
        assertThat(index.findInstance(c.sopInstanceUid).orElseThrow().transferSyntaxUid())
                .isEqualTo("1.2.840.10008.1.2.4.70");
        assertThat(index.findInstance(s.sopInstanceUid).orElseThrow().sopClassUid()).isEqualTo(TestObjects.MR_IMAGE);

        // One context per SOP class and no transcoding: the uncompressed multi-frame MR series is
        // fetched with the default proposal, the JPEG CT instance with JPEG lossless preferred.
        Path mfOut = Files.createDirectories(work.resolve("get-multiframe"));
        Dcmtk.Result r = tool("getscu", "-S", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=" + s.studyUid,
                "-k", "SeriesInstanceUID=" + s.seriesUid, "-k", "SOPInstanceUID=" + s.sopInstanceUid,
                "-od", mfOut.toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertSameObjects(List.of(multiFrame), mfOut);
        Path jpegOut = Files.createDirectories(work.resolve("get-jpeg"));
        r = tool("getscu", "-S", "+xs", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=" + s.studyUid,
                "-k", "SeriesInstanceUID=" + s.seriesUid, "-k", "SOPInstanceUID=" + c.sopInstanceUid,
                "-od", jpegOut.toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertSameObjects(List.of(jpeg), jpegOut);
        try (Stream<Path> received = Files.list(jpegOut)) {
            assertThat(TestObjects.read(received.findFirst().orElseThrow()).transferSyntaxUid())
                    .isEqualTo("1.2.840.10008.1.2.4.70");
        }
    }

    @Test
    void moveSendsToTheRegisteredDestination() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = List.of(TestObjects.write(s, work.resolve("m1.dcm")),
                TestObjects.write(s.sameSeries(), work.resolve("m2.dcm")));
        assertThat(store("STORESCU", files).ok()).isTrue();
        Path out = Files.createDirectories(work.resolve("move-" + s.studyUid));
        Dcmtk.Result r = moveIntoStorescp(out, List.of(), "-k", "QueryRetrieveLevel=SERIES",
                "-k", "StudyInstanceUID=" + s.studyUid, "-k", "SeriesInstanceUID=" + s.seriesUid);
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(finalMoveResponse(r)).contains("DIMSE Status                  : 0x0000")
                .containsPattern("Completed Suboperations +: 2").doesNotContain("FailedSOPInstanceUIDList");
        assertSameObjects(files, out);
    }

    @Test
    void aMoveWhoseEverySubOperationFailedIsAFailureNamingEachInstance() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = storeSeries(s, 2, "lost");
        List<String> uids = uidsOf(files);
        for (String uid : uids) {
            assertThat(blobs.delete(index.findInstance(uid).orElseThrow().blobKey())).isTrue();
        }
        Path out = Files.createDirectories(work.resolve("move-lost-" + s.studyUid));
        Dcmtk.Result r = moveIntoStorescp(out, List.of(), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + s.studyUid);
        // PS3.4 C.4.2.3.1: none completed, none with a warning: Failure A702, not Warning B000
        assertThat(finalMoveResponse(r)).contains("DIMSE Status                  : 0xa702")
                .containsPattern("Completed Suboperations +: 0").containsPattern("Failed Suboperations +: 2")
                .containsPattern("Warning Suboperations +: 0").contains(failedUidList(uids));
        try (Stream<Path> received = Files.list(out)) {
            assertThat(received).isEmpty();
        }
    }

    @Test
    void aMoveWithSomeFailedSubOperationsIsAWarningNamingTheFailedOnes() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = storeSeries(s, 2, "part");
        String lost = uidsOf(files).get(1);
        assertThat(blobs.delete(index.findInstance(lost).orElseThrow().blobKey())).isTrue();
        Path out = Files.createDirectories(work.resolve("move-part-" + s.studyUid));
        Dcmtk.Result r = moveIntoStorescp(out, List.of(), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + s.studyUid);
        assertThat(finalMoveResponse(r)).contains("DIMSE Status                  : 0xb000")
                .containsPattern("Completed Suboperations +: 1").containsPattern("Failed Suboperations +: 1")
                .contains(failedUidList(List.of(lost)));
        assertSameObjects(files.subList(0, 1), out);
    }

    @Test
    void aMoveDestinationLostMidStudyFailsTheRestAndTheRequestorStillGetsItsFinalResponse() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = storeSeries(s, 3, "aborted");
        Path out = Files.createDirectories(work.resolve("move-aborted-" + s.studyUid));
        // the destination aborts its association on receiving the first C-STORE-RQ, before answering it
        Dcmtk.Result r = moveIntoStorescp(out, List.of("--abort-after"), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + s.studyUid);
        assertThat(finalMoveResponse(r)).contains("DIMSE Status                  : 0xa702")
                .containsPattern("Completed Suboperations +: 0").containsPattern("Failed Suboperations +: 3")
                .contains("ErrorComment").contains("[move destination STORESCP lost: A-ABORT received from STORESCP]")
                .contains(failedUidList(uidsOf(files)));
        assertThat(r.output()).doesNotContain("Association Aborted");
        assertThat(audit.forStudy(s.studyUid, 20)).filteredOn(e -> e.actor().equals("MOVESCU")).singleElement()
                .satisfies(e -> {
                    assertThat(e.action()).isEqualTo("retrieve");
                    assertThat(e.outcome()).isEqualTo("failure");
                    assertThat(e.detail()).startsWith("C-MOVE to STORESCP: 3 instances, 0 sent in all, 3 failed")
                            .contains("move destination STORESCP lost");
                });
        assertThat(tool("echoscu", "-aet", "MOVESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok())
                .as("the node serves on").isTrue();
    }

    @Test
    void aStoredInstanceThatCannotBeReEncodedFailsAloneAndTheOthersAreDelivered() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = storeSeries(s, 3, "reencode");
        String broken = uidsOf(files).get(1);
        InstanceLocation stored = index.findInstance(broken).orElseThrow();
        assertThat(stored.transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.1");
        // its data set becomes a sequence holding no item: sendable as stored, not decodable for another syntax
        byte[] header;
        try (InputStream in = blobs.get(stored.blobKey(), 0, stored.datasetOffset())) {
            header = in.readAllBytes();
        }
        byte[] notAnItem = {0x08, 0x00, 0x18, 0x00, 'S', 'Q', 0, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
        blobs.put(stored.blobKey(), new SequenceInputStream(new ByteArrayInputStream(header),
                new ByteArrayInputStream(notAnItem)));
        Path out = Files.createDirectories(work.resolve("move-reencode-" + s.studyUid));
        // +xi: the destination takes implicit VR only, so every instance is re-encoded on the way
        Dcmtk.Result r = moveIntoStorescp(out, List.of("+xi"), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + s.studyUid);
        assertThat(finalMoveResponse(r)).contains("DIMSE Status                  : 0xb000")
                .containsPattern("Completed Suboperations +: 2").containsPattern("Failed Suboperations +: 1")
                .contains(failedUidList(List.of(broken)));
        assertSameObjects(List.of(files.get(0), files.get(2)), out);
    }

    /**
     * Runs movescu (verbose, final response dumped) into a storescp started with {@code storescpOptions} that
     * writes into {@code out}; the movescu result.
     */
    private Dcmtk.Result moveIntoStorescp(Path out, List<String> storescpOptions, String... keys) throws Exception {
        List<String> scp = Dcmtk.args("storescp", storescpOptions, "-aet", "STORESCP", "-od", out.toString(),
                Integer.toString(STORESCP_PORT));
        Process storescp = Dcmtk.start(work.resolve("storescp-" + out.getFileName() + ".log"),
                scp.toArray(String[]::new));
        try {
            Dcmtk.awaitListening(STORESCP_PORT);
            List<String> move = Dcmtk.args("movescu", "-v", "-d", "-S", "-aet", "MOVESCU", "-aec", NODE_AE, "-aem",
                    "STORESCP", "127.0.0.1", dimsePort(), List.of(keys));
            return Dcmtk.run(60, move.toArray(String[]::new));
        } finally {
            storescp.destroy();
            storescp.waitFor();
        }
    }

    /** What movescu -d shows of the final C-MOVE-RSP: its command and identifier. */
    private static String finalMoveResponse(Dcmtk.Result r) {
        int at = r.output().indexOf("Received Final Move Response");
        assertThat(at).as(r.output()).isNotNegative();
        return r.output().substring(at);
    }

    private static List<String> uidsOf(List<Path> files) throws IOException {
        List<String> uids = new ArrayList<>();
        for (Path f : files) {
            uids.add(TestObjects.read(f).getString(Tag.SOPInstanceUID));
        }
        return uids;
    }

    /** How movescu -d dumps a Failed SOP Instance UID List (0008,0058) naming exactly these UIDs. */
    private static String failedUidList(List<String> uids) {
        return "(0008,0058) UI [" + String.join("\\", uids) + "]";
    }

    @Test
    void moveToAnUnknownDestinationFailsClearly() throws Exception {
        Dcmtk.Result r = tool("movescu", "-S", "-aet", "MOVESCU", "-aec", NODE_AE, "-aem", "NOWHERE",
                "127.0.0.1", dimsePort(), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + ct.studyUid);
        assertThat(r.output()).contains("Refused: MoveDestinationUnknown");
    }

    @Test
    void cancellingAFindEndsItCleanlyAndTheNodeServesOn() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        storeSeries(s, 5, "cancel");
        Dcmtk.Result r = tool("findscu", "-S", "-v", "--cancel", "1", "-aet", "FINDSCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), "-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=" + s.studyUid,
                "-k", "SeriesInstanceUID=" + s.seriesUid, "-k", "SOPInstanceUID");
        // A cancel may arrive after the last match was sent: then the query simply ends with Success.
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(r.output()).contains("Sending Cancel Request").contains("Find Response: 1 (Pending)");
        assertThat(tool("echoscu", "-aet", "FINDSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok())
                .as("the node serves on after a cancel").isTrue();
    }

    /** Writes {@code count} instances of the series of {@code first} and stores them by C-STORE; their files. */
    private List<Path> storeSeries(TestObjects.Spec first, int count, String name) throws Exception {
        List<Path> files = new ArrayList<>();
        TestObjects.Spec s = first;
        for (int i = 0; i < count; i++) {
            files.add(TestObjects.write(s, work.resolve(name + i + ".dcm")));
            s = s.sameSeries();
        }
        assertThat(store("STORESCU", files).ok()).isTrue();
        return files;
    }

    @Test
    void aFindMatchingMoreThanTheNodeAnswersIsRefusedWithAReason() throws Exception {
        // the test node answers at most 100 matches per C-FIND
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 8;
        s.columns = 8;
        storeSeries(s, 101, "many");
        String[] imageQuery = {"findscu", "-S", "-d", "-aet", "FINDSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
            "-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=" + s.studyUid, "-k", "SOPInstanceUID"};

        Dcmtk.Result all = tool(imageQuery);
        assertThat(all.output()).contains("0xa700: Refused: Out of resources").contains("narrow the query")
                .doesNotContain("Pending");

        Dcmtk.Result narrowed = tool("findscu", "-S", "-aet", "FINDSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + s.studyUid, "-k", "SeriesInstanceUID");
        assertThat(narrowed.ok()).as(narrowed.output()).isTrue();
        assertThat(narrowed.output()).contains("Find Response: 1 (Pending)");
    }

    @Test
    void moveToADestinationThatDoesNotAnswerFailsWithoutHanging() throws Exception {
        // DOWNSCP is registered at a port where nothing listens
        Dcmtk.Result r = tool("movescu", "-S", "-aet", "MOVESCU", "-aec", NODE_AE, "-aem", "DOWNSCP",
                "127.0.0.1", dimsePort(), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + ct.studyUid);
        assertThat(r.output()).contains("Refused: OutOfResourcesSubOperations");
        assertThat(audit.forStudy(ct.studyUid, 20)).filteredOn(e -> e.detail().startsWith("C-MOVE to DOWNSCP"))
                .singleElement().satisfies(e -> {
                    assertThat(e.actor()).isEqualTo("MOVESCU");
                    assertThat(e.action()).isEqualTo("retrieve");
                    assertThat(e.outcome()).isEqualTo("failure");
                    assertThat(e.detail()).contains("cannot reach the destination");
                });
    }

    @Test
    void patientLevelRetrieveOfThePatientRootModel() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = List.of(TestObjects.write(s, work.resolve("p1.dcm")));
        assertThat(store("STORESCU", files).ok()).isTrue();
        Path out = Files.createDirectories(work.resolve("patient-" + s.patientId));
        Dcmtk.Result r = tool("getscu", "-P", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=" + s.patientId, "-od", out.toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertSameObjects(files, out);
    }

    @Test
    void resendingTheSameInstanceIsIdempotent() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, work.resolve("idem.dcm"));
        assertThat(store("STORESCU", List.of(f)).ok()).isTrue();
        String key = index.findInstance(s.sopInstanceUid).orElseThrow().blobKey();
        assertThat(blobKeysOf(blobs, s.sopInstanceUid)).containsExactly(key);
        assertThat(store("ALL", List.of(f)).ok()).isTrue();
        assertThat(index.findInstance(s.sopInstanceUid).orElseThrow().blobKey()).isEqualTo(key);

        s.seed = 99; // same UIDs, other pixels
        assertThat(store("STORESCU", List.of(TestObjects.write(s, work.resolve("idem2.dcm")))).ok()).isTrue();
        String replaced = index.findInstance(s.sopInstanceUid).orElseThrow().blobKey();
        assertThat(replaced).isNotEqualTo(key);
        assertThat(blobs.stat(replaced)).isPresent();
        assertThat(blobs.stat(key)).as("the replaced blob is deleted").isEmpty();
        assertThat(blobKeysOf(blobs, s.sopInstanceUid)).containsExactly(replaced);
        assertThat(audit.forStudy(s.studyUid, 20)).anySatisfy(e -> {
            assertThat(e.action()).isEqualTo("store-replace");
            assertThat(e.actor()).isEqualTo("STORESCU");
            assertThat(e.detail()).contains(s.sopInstanceUid);
        });
    }

    private List<DicomDataset> find(String model, Map<Integer, String> keys) throws Exception {
        return Dcmtk.find(work, model, "FINDSCU", NODE_AE, dimsePort(), keys);
    }

    static void assertSameObjects(List<Path> sent, Path receivedDir) throws IOException {
        Map<String, byte[]> received = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(receivedDir)) {
            for (Path p : files.toList()) {
                received.put(TestObjects.read(p).getString(Tag.SOPInstanceUID), TestObjects.pixelData(p));
            }
        }
        assertThat(received).hasSize(sent.size());
        for (Path p : sent) {
            String uid = TestObjects.read(p).getString(Tag.SOPInstanceUID);
            assertThat(received.get(uid)).as("pixel data of " + uid).isEqualTo(TestObjects.pixelData(p));
        }
    }

    /** Keys of every stored blob that belongs to an instance. */
    static List<String> blobKeysOf(BlobStore blobs, String sopInstanceUid) throws IOException {
        try (Stream<BlobInfo> all = blobs.list("dicom/")) {
            return all.map(BlobInfo::key).filter(k -> k.contains("/" + sopInstanceUid + ".")).toList();
        }
    }
}
