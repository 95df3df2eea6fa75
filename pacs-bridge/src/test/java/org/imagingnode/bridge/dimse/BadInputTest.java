package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.dimse.association.PresentationContext;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Bad input over DIMSE: each case gets the right failure status (or the association ends) within a
 * second, nothing is half-indexed or left in the blob store, and the node keeps serving.
 */
class BadInputTest extends NodeIntegrationTest {

    @TempDir
    Path work;

    private Association connect() throws IOException {
        AssociationParameters rq = new AssociationParameters(NODE_AE, "STORESCU",
                List.of(PresentationContext.proposed(1, TestObjects.CT_IMAGE, List.of(TransferSyntax.EXPLICIT_VR_LE))),
                65536, Part10.IMPLEMENTATION_CLASS_UID, "TEST", Map.of());
        return Association.connect("127.0.0.1", dimse.port(), rq, 5000);
    }

    private static Command storeRq(TestObjects.Spec s) {
        return Command.of(Command.C_STORE_RQ, true).put(Command.MessageID, 7)
                .put(Command.AffectedSOPClassUID, s.sopClassUid).put(Command.AffectedSOPInstanceUID, s.sopInstanceUid)
                .put(Command.Priority, 0);
    }

    /** The data set of a generated file (without its Part 10 header). */
    private byte[] dataSet(TestObjects.Spec s) throws Exception {
        Path f = TestObjects.write(s, work.resolve(s.sopInstanceUid + ".dcm"));
        try (InputStream in = Files.newInputStream(f)) {
            Part10.skipHeader(in);
            return in.readAllBytes();
        }
    }

    private int storeAndGetStatus(TestObjects.Spec s, byte[] data) throws Exception {
        try (Association a = connect()) {
            long start = System.nanoTime();
            a.send(1, storeRq(s), out -> out.write(data));
            Association.Message rsp = a.receive();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            a.release();
            return rsp.command().getInt(Command.Status);
        }
    }

    @Test
    void truncatedDataSetIsRefusedAsCannotUnderstand() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        byte[] whole = dataSet(s);
        byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
        assertThat(storeAndGetStatus(s, truncated)).isEqualTo(Status.CANNOT_UNDERSTAND);
        assertNothingStoredFor(s);
    }

    @Test
    void missingStudyUidIsRefused() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.studyUid = null;
        assertThat(storeAndGetStatus(s, dataSet(s))).isEqualTo(Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
        assertNothingStoredFor(s);
    }

    @Test
    void dataSetThatContradictsTheCommandIsRefused() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        byte[] data = dataSet(s);
        TestObjects.Spec announced = new TestObjects.Spec();
        announced.sopInstanceUid = TestObjects.uid();
        assertThat(storeAndGetStatus(announced, data)).isEqualTo(Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
        assertNothingStoredFor(s);
        assertNothingStoredFor(announced);
    }

    @Test
    void garbageInsteadOfADataSetIsRefused() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        assertThat(storeAndGetStatus(s, garbage)).isEqualTo(Status.CANNOT_UNDERSTAND);
        assertNothingStoredFor(s);
    }

    @Test
    void droppedConnectionMidTransferLeavesNothingAndNodeKeepsServing() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        byte[] whole = dataSet(s);
        Association a = connect();
        try {
            a.send(1, storeRq(s), out -> {
                out.write(whole, 0, whole.length / 2);
                out.flush();
                throw new IOException("simulated cable pull");
            });
        } catch (IOException expected) {
            a.close(); // TCP close without release or abort
        }
        assertThat(Dcmtk.run(30, "echoscu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok())
                .isTrue();
        assertNothingStoredFor(s);
        awaitEmptySpool();
    }

    private void assertNothingStoredFor(TestObjects.Spec s) throws IOException {
        assertThat(index.findInstance(s.sopInstanceUid)).isEmpty();
        assertThat(DimseServicesTest.blobKeysOf(blobs, s.sopInstanceUid)).isEmpty();
    }

    private void awaitEmptySpool() throws Exception {
        Path spool = dataDir().resolve("spool");
        for (int i = 0; i < 20; i++) {
            try (Stream<Path> files = Files.list(spool)) {
                if (files.findAny().isEmpty()) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        try (Stream<Path> files = Files.list(spool)) {
            assertThat(files.toList()).as("spool files left after a dropped connection").isEmpty();
        }
    }
}
