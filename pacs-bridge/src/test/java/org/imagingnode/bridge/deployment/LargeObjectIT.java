package org.imagingnode.bridge.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.imagingnode.bridge.dicom.DatasetLayout;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.testing.Dcmtk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded whatever the object's size: a 2 GiB multi-frame image goes in by C-STORE and
 * comes back by C-GET, byte-identical, through a node whose heap is 512 MB.
 */
class LargeObjectIT {
    private static final int FRAMES = 4096; // 512 x 512 x 16 bit = 512 KiB a frame: 2 GiB

    @TempDir
    Path work;

    @Test
    void aTwoGigabyteObjectIsStoredAndRetrievedWithAHalfGigabyteHeap() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.sopClassUid = TestObjects.MR_IMAGE;
        s.modality = "MR";
        Path big = TestObjects.writeLarge(s, work.resolve("big.dcm"), FRAMES);
        assertThat(Files.size(big)).isGreaterThan(2L << 30);

        int dimsePort = Dcmtk.freePort();
        List<String> start = new ArrayList<>(PackagedNodeIT.START);
        start.add(1, "-Xmx512m");
        ProcessBuilder pb = new ProcessBuilder(start).redirectErrorStream(true)
                .redirectOutput(work.resolve("node.log").toFile());
        pb.environment().putAll(Map.of("NODE_DATA_DIR", work.resolve("data").toString(), "NODE_AE_TITLE", "BIG",
                "NODE_DIMSE_PORT", Integer.toString(dimsePort), "NODE_DIMSE_BIND_ADDRESS", "127.0.0.1",
                "SERVER_PORT", Integer.toString(Dcmtk.freePort()), "SERVER_ADDRESS", "127.0.0.1",
                "NODE_DIMSE_CALLING_AES", "SENDER=store|retrieve", "NODE_DIMSE_MAX_DATA_SET_SIZE", "3GB"));
        Process node = pb.start();
        try {
            String port = Integer.toString(dimsePort);
            for (int i = 0; i < 240 && !Dcmtk.run(10, "echoscu", "-aet", "SENDER", "-aec", "BIG", "127.0.0.1", port).ok(); i++) {
                assertThat(node.isAlive()).as(Files.readString(work.resolve("node.log"))).isTrue();
                Thread.sleep(250);
            }
            Dcmtk.Result stored = Dcmtk.run(600, "storescu", "-aet", "SENDER", "-aec", "BIG", "127.0.0.1", port,
                    big.toString());
            assertThat(stored.ok()).as(stored.output()).isTrue();

            Path out = Files.createDirectories(work.resolve("out"));
            Dcmtk.Result got = Dcmtk.run(600, "getscu", "-S", "-aet", "SENDER", "-aec", "BIG", "127.0.0.1", port,
                    "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + s.studyUid, "-od", out.toString());
            assertThat(got.ok()).as(got.output()).isTrue();
            Path back;
            try (Stream<Path> files = Files.list(out)) {
                back = files.findFirst().orElseThrow();
            }
            assertThat(pixelDataSha256(back)).isEqualTo(pixelDataSha256(big));
            assertThat(node.isAlive()).isTrue();
            assertThat(Files.readString(work.resolve("node.log"))).doesNotContain("OutOfMemoryError");
        } finally {
            node.destroy();
            node.waitFor();
        }
    }

    /** SHA-256 of the Pixel Data value, located by a walk of the file (never loaded whole). */
    private static String pixelDataSha256(Path file) throws Exception {
        long datasetOffset;
        DatasetLayout layout;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            datasetOffset = Part10.skipHeader(in);
            layout = DatasetLayout.scan(in, TransferSyntax.EXPLICIT_VR_LE);
        }
        DatasetLayout.Element pixels = layout.element(Tag.PixelData).orElseThrow();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            in.skipNBytes(datasetOffset + pixels.valueOffset());
            byte[] buffer = new byte[1 << 20];
            long left = pixels.valueLength();
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("pixel data shorter than declared in " + file);
                }
                sha.update(buffer, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
