package org.imagingnode.bridge.blobstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.imagingnode.storage.BlobStore;
import org.imagingnode.storage.FileSystemBlobStore;
import org.imagingnode.storage.StoredBlob;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobMigrationTest {

    @TempDir
    Path dir;

    BlobStore source;
    BlobStore target;

    @BeforeEach
    void stores() throws IOException {
        source = new FileSystemBlobStore(dir.resolve("from"));
        target = new FileSystemBlobStore(dir.resolve("to"));
    }

    @AfterEach
    void close() throws IOException {
        source.close();
        target.close();
    }

    private StoredBlob put(BlobStore store, String key, int size, int seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return store.put(key, new ByteArrayInputStream(data));
    }

    private static byte[] read(BlobStore store, String key) throws IOException {
        try (InputStream in = store.get(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void copiesEveryBlobWithItsContent() throws IOException {
        for (int i = 0; i < 20; i++) {
            put(source, "dicom/1.2/3.4/" + i, 1000 + i * 997, i);
        }
        AtomicLong progressed = new AtomicLong();
        BlobMigration.Report report = new BlobMigration(source, target).run("", progressed::addAndGet);
        assertThat(report.complete()).isTrue();
        assertThat(report.copied()).isEqualTo(20);
        assertThat(progressed.get()).isEqualTo(new BlobMigration(source, target).count("")[1]);
        for (int i = 0; i < 20; i++) {
            assertThat(read(target, "dicom/1.2/3.4/" + i)).isEqualTo(read(source, "dicom/1.2/3.4/" + i));
        }
    }

    @Test
    void resumesWhereAnInterruptedRunStopped() throws IOException {
        for (int i = 0; i < 10; i++) {
            put(source, "k/" + i, 5000, i);
        }
        for (int i = 0; i < 4; i++) { // what a first, interrupted run had copied
            put(target, "k/" + i, 5000, i);
        }
        BlobMigration.Report report = new BlobMigration(source, target).run("", b -> { });
        assertThat(report.skipped()).isEqualTo(4);
        assertThat(report.copied()).isEqualTo(6);
        assertThat(report.complete()).isTrue();
        BlobMigration.Report again = new BlobMigration(source, target).run("", b -> { });
        assertThat(again.copied()).isZero();
        assertThat(again.skipped()).isEqualTo(10);
    }

    @Test
    void aDifferentBlobOfTheSameSizeInTheTargetIsReplaced() throws IOException {
        put(source, "k/a", 4096, 1);
        put(target, "k/a", 4096, 2);
        assumeThat(source.recordedSha256("k/a")).as("filesystem records checksums (user xattrs)").isPresent();
        BlobMigration.Report report = new BlobMigration(source, target).run("", b -> { });
        assertThat(report.copied()).isEqualTo(1);
        assertThat(read(target, "k/a")).isEqualTo(read(source, "k/a"));
    }

    @Test
    void aCorruptedSourceBlobIsReportedAndNotCopied() throws IOException {
        put(source, "k/good", 4096, 1);
        put(source, "k/bad", 4096, 2);
        assumeThat(source.recordedSha256("k/bad")).as("filesystem records checksums (user xattrs)").isPresent();
        Path file;
        try (Stream<Path> files = Files.walk(dir.resolve("from"))) {
            file = files.filter(p -> p.getFileName().toString().endsWith("bad")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[100] ^= 0x5A; // silent bit rot: same size, other content
        Files.write(file, bytes);

        BlobMigration.Report report = new BlobMigration(source, target).run("", b -> { });
        assertThat(report.complete()).isFalse();
        assertThat(report.failures()).singleElement().asString().contains("k/bad").contains("corrupted");
        assertThat(target.stat("k/bad")).isEmpty();
        assertThat(target.stat("k/good")).isPresent();
    }

    @Test
    void parsesStoreUrisWithCredentialsFromTheEnvironment() {
        MigrateBlobsCommand cmd = new MigrateBlobsCommand(Map.of("TO_S3_ACCESS_KEY", "ak",
                "TO_S3_SECRET_KEY", "sk"));
        BlobStoreProperties fs = cmd.parse("file:/var/lib/node/blobs", "FROM");
        assertThat(fs.type()).isEqualTo("filesystem");
        assertThat(fs.filesystem().root()).isEqualTo("/var/lib/node/blobs");
        BlobStoreProperties s3 = cmd.parse("s3://archive/site-a?endpoint=http://127.0.0.1:9000&path-style=false", "TO");
        assertThat(s3.type()).isEqualTo("s3");
        assertThat(s3.s3()).isEqualTo(new BlobStoreProperties.S3("http://127.0.0.1:9000", null, "ak", "sk", "archive",
                false, "site-a"));
    }
}
