package org.imagingnode.bridge.dicom;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetStructureTest {

    @TempDir
    Path dir;

    private byte[] dataSet(String ts) throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 64;
        s.columns = 64;
        Path f = TestObjects.write(s, dir.resolve("x.dcm"), ts);
        try (InputStream in = Files.newInputStream(f)) {
            Part10.skipHeader(in);
            return in.readAllBytes();
        }
    }

    @Test
    void acceptsCompleteDataSetsInEachUncompressedSyntax() throws Exception {
        for (String ts : TransferSyntax.UNCOMPRESSED) {
            byte[] ds = dataSet(ts);
            assertThatCode(() -> DatasetStructure.verify(new ByteArrayInputStream(ds), ts)).as(ts)
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void detectsTruncationAtAnyPoint() throws Exception {
        byte[] ds = dataSet(TransferSyntax.EXPLICIT_VR_LE);
        for (int cut : new int[] {3, 10, ds.length / 3, ds.length - 1}) {
            byte[] truncated = Arrays.copyOf(ds, cut);
            assertThatThrownBy(() -> DatasetStructure.verify(new ByteArrayInputStream(truncated),
                    TransferSyntax.EXPLICIT_VR_LE)).as("cut at " + cut).isInstanceOf(MalformedDicomException.class);
        }
    }

    @Test
    void detectsAnUnclosedEncapsulatedPixelData() {
        // (7FE0,0010) OB undefined length, one fragment item, no sequence delimiter
        byte[] ds = {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, (byte) 0xFE, (byte) 0xFF, 0x00, (byte) 0xE0, 2, 0, 0, 0, 1, 2};
        assertThatThrownBy(() -> DatasetStructure.verify(new ByteArrayInputStream(ds), TransferSyntax.JPEG_BASELINE))
                .isInstanceOf(MalformedDicomException.class);
        byte[] closed = Arrays.copyOf(ds, ds.length + 8);
        System.arraycopy(new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xDD, (byte) 0xE0, 0, 0, 0, 0}, 0, closed,
                ds.length, 8);
        assertThatCode(() -> DatasetStructure.verify(new ByteArrayInputStream(closed), TransferSyntax.JPEG_BASELINE))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsAnInvalidVr() {
        byte[] ds = {0x10, 0x00, 0x10, 0x00, 'p', 'n', 2, 0, 'A', 'B'};
        assertThatThrownBy(() -> DatasetStructure.verify(new ByteArrayInputStream(ds), TransferSyntax.EXPLICIT_VR_LE))
                .isInstanceOf(MalformedDicomException.class).hasMessageContaining("invalid VR");
    }
}
