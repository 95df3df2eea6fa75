package org.imagingnode.bridge.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.imagingnode.bridge.audit.PostgresAuditLog;
import org.imagingnode.bridge.database.TestPostgres;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.PostgresInstanceIndex;
import org.imagingnode.storage.FileSystemBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest pipeline on a real blob store and the real index: the bytes are flushed while the index rows are
 * written, and an object is acknowledged only when both are done; when the bytes cannot be stored, nothing is
 * indexed.
 */
class IngestServiceTest {
    @TempDir
    Path dir;

    private final PostgresInstanceIndex index = new PostgresInstanceIndex(TestPostgres.get().dataSource());

    private IngestService ingestInto(FileSystemBlobStore blobs) {
        return new IngestService(blobs, index, new PostgresAuditLog(TestPostgres.get().dataSource()),
                new SimpleMeterRegistry(), event -> { });
    }

    /** A received object as a channel spools it. */
    private IngestRequest received(TestObjects.Spec s) throws Exception {
        Path file = TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".dcm"));
        long offset;
        try (InputStream in = Files.newInputStream(file)) {
            offset = Part10.skipHeader(in);
        }
        String sha256 = HexFormat.of().formatHex(Checksums.sha256().digest(Files.readAllBytes(file)));
        return new IngestRequest(file, sha256, offset, "1.2.840.10008.1.2.1", TestObjects.CT_IMAGE, s.sopInstanceUid,
                new IngestSource("MODALITY1", "DIMSE", "127.0.0.1"));
    }

    @Test
    void anObjectIsAcknowledgedOnceItsBytesAreStoredAndItsRowsCommitted() throws Exception {
        FileSystemBlobStore blobs = new FileSystemBlobStore(dir.resolve("blobs"));
        TestObjects.Spec s = new TestObjects.Spec();
        IngestRequest request = received(s);
        byte[] sent = Files.readAllBytes(request.file());

        IngestResult result = ingestInto(blobs).ingest(request);

        assertThat(result.outcome()).isEqualTo(IngestResult.Outcome.STORED);
        String key = index.findInstance(s.sopInstanceUid).orElseThrow().blobKey();
        try (InputStream in = blobs.get(key)) {
            assertThat(in.readAllBytes()).isEqualTo(sent);
        }
    }

    @Test
    void whenTheBlobStoreCannotStoreTheBytesTheObjectIsRefusedAndNothingIsIndexed() throws Exception {
        Path root = dir.resolve("blobs");
        FileSystemBlobStore blobs = new FileSystemBlobStore(root);
        TestObjects.Spec s = new TestObjects.Spec();
        IngestRequest request = received(s);
        // the store's shard directories cannot be made: every one is taken by a file
        for (int a = 0; a < 256; a++) {
            Files.writeString(root.resolve(String.format("%02x", a)), "not a directory");
        }

        IngestResult result = ingestInto(blobs).ingest(request);

        assertThat(result.outcome()).isEqualTo(IngestResult.Outcome.FAILED);
        assertThat(result.message()).isEqualTo("storage unavailable");
        assertThat(index.findInstance(s.sopInstanceUid)).isEmpty();
    }
}
