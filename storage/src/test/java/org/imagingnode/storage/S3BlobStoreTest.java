package org.imagingnode.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract against a real S3 server (S3Proxy on its filesystem backend, on 127.0.0.1 with a
 * system-chosen port), spoken to over HTTP by the MinIO SDK, plus what only S3 has: big multipart
 * objects, an unreachable server and rejected credentials. Each test gets its own bucket.
 */
class S3BlobStoreTest extends BlobStoreContractTest {

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    /** Small parts so that multipart paths run on moderate sizes; quick retries. */
    static final S3BlobStore.Options TEST_OPTIONS = S3BlobStore.Options.defaults()
            .withPartSize(8L * 1024 * 1024)
            .withMultipartThreshold(16L * 1024 * 1024)
            .withRetries(5, Duration.ofMillis(100), Duration.ofMillis(800))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));

    @TempDir
    static Path serverData;

    static S3ProxyServer server;

    private String bucket;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer(serverData);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected BlobStore openStore() throws IOException {
        bucket = "test-bucket-" + BUCKETS.incrementAndGet();
        return new S3BlobStore(server.config(bucket), TEST_OPTIONS);
    }

    /** Replaces the object's bytes but keeps its metadata, as bit rot on the server would. */
    @Override
    protected void corrupt(BlobStore store, String key) throws Exception {
        MinioClient raw = rawClient();
        String recorded = raw.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build())
                .userMetadata().get("sha256");
        byte[] bytes;
        try (InputStream in = store.get(key)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length / 2] ^= 0x01;
        raw.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                .userMetadata(Map.of("sha256", recorded)).build());
    }

    private List<String> filesOfTheBucketOnTheServer() throws IOException {
        Path root = serverData.resolve(bucket);
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(f -> root.relativize(f).toString()).toList();
        }
    }

    private static MinioClient rawClient() {
        return MinioClient.builder().endpoint(server.endpoint())
                .credentials(S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL).build();
    }

    @Test
    void aHundredMegabyteStreamIsUploadedInPartsWithItsChecksumAndReadBackInRanges() throws Exception {
        long size = 100L * 1024 * 1024;
        long seed = 100;
        String expected = TestData.sha256(seed, size);

        StoredBlob stored = store.put("studies/big/multiframe", TestData.stream(seed, size));

        assertThat(stored.size()).isEqualTo(size);
        assertThat(stored.sha256()).isEqualTo(expected);
        assertThat(store.stat("studies/big/multiframe").orElseThrow().size()).isEqualTo(size);
        assertThat(store.recordedSha256("studies/big/multiframe")).hasValue(expected);
        try (InputStream in = store.getVerified("studies/big/multiframe", expected)) {
            assertThat(TestData.digest(in)).isEqualTo(new TestData.Digest(expected, size));
        }
        long partBoundary = 8L * 1024 * 1024;
        long[][] ranges = {{0, 4096}, {partBoundary - 100, 200}, {50_000_000, 1_000_000}, {size - 10, 100}};
        for (long[] range : ranges) {
            int expectedLength = (int) Math.min(range[1], size - range[0]);
            try (InputStream in = store.get("studies/big/multiframe", range[0], range[1])) {
                assertThat(in.readAllBytes()).as("range %d+%d", range[0], range[1])
                        .isEqualTo(TestData.bytes(seed, range[0], expectedLength));
            }
        }
        try (InputStream in = store.get("studies/big/multiframe", size, 10)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }

    @Test
    void aStreamOfExactlyOnePartIsStoredInOnePut() throws Exception {
        long size = TEST_OPTIONS.partSize();

        StoredBlob stored = store.put("one-part", TestData.stream(7, size));

        assertThat(stored.sha256()).isEqualTo(TestData.sha256(7, size));
        assertThat(store.recordedSha256("one-part")).hasValue(stored.sha256());
        assertThat(TestData.digest(store.get("one-part")).sha256()).isEqualTo(stored.sha256());
    }

    @Test
    void aStreamLongerThanAPartButWithinTheThresholdIsSentWholeFromItsBuffers() throws Exception {
        long size = TEST_OPTIONS.partSize() + 3 * 1024 * 1024; // two part buffers, one PUT below the 16 MiB threshold

        StoredBlob stored = store.put("two-buffers", TestData.stream(8, size));

        assertThat(stored).isEqualTo(new StoredBlob("two-buffers", size, TestData.sha256(8, size)));
        assertThat(store.recordedSha256("two-buffers")).hasValue(stored.sha256());
        try (InputStream in = store.getVerified("two-buffers", stored.sha256())) {
            assertThat(TestData.digest(in)).isEqualTo(new TestData.Digest(stored.sha256(), size));
        }
    }

    @Test
    void aLargeStreamThatFailsMidwayAbortsItsUploadAndKeepsThePreviousBlob() throws Exception {
        byte[] original = TestData.bytes(9, 100_000);
        store.put("multipart/k", new ByteArrayInputStream(original));

        // fails while the fourth 8 MiB part is read, with the first three sent or in flight
        assertThatThrownBy(() -> store.put("multipart/k", failingAfter(30L * 1024 * 1024)))
                .isInstanceOf(IOException.class).hasMessageContaining("connection reset by the sender");

        assertThat(read(store.get("multipart/k"))).isEqualTo(original);
        // S3Proxy cannot list multipart uploads, but keeps their parts as files beside the objects
        assertThat(filesOfTheBucketOnTheServer()).containsExactly("multipart/k");
    }

    @Test
    void aFileWhoseGivenChecksumIsWrongIsRefusedByTheServerAndKept() throws Exception {
        Path file = TestData.file(scratch.resolve("mislabelled.dcm"), 10, 200_000);

        assertThatThrownBy(() -> store.putFile("mislabelled", file, TestData.sha256(11, 200_000)))
                .isInstanceOf(IOException.class);

        assertThat(file).exists();
        assertThat(store.stat("mislabelled")).isEmpty();
    }

    @Test
    void aLargeFileIsUploadedInPartsWithItsChecksumAndThenDeleted() throws Exception {
        long size = 20L * 1024 * 1024 + 12345; // above the 16 MiB threshold: 3 parts of at most 8 MiB
        Path file = TestData.file(scratch.resolve("large.dcm"), 21, size);

        StoredBlob stored = store.putFile("studies/large", file);

        assertThat(stored.sha256()).isEqualTo(TestData.sha256(21, size));
        assertThat(file).doesNotExist();
        assertThat(store.recordedSha256("studies/large")).hasValue(stored.sha256());
        try (InputStream in = store.getVerified("studies/large", stored.sha256())) {
            assertThat(TestData.digest(in).size()).isEqualTo(size);
        }
    }

    @Test
    void whileTheServerIsDownPutsFailAfterBoundedRetriesAndWorkAgainOnceItIsBack() throws Exception {
        StoredBlob before = store.put("restart/before", new ByteArrayInputStream(TestData.bytes(31, 50_000)));
        server.stop();
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.put("restart/during", new ByteArrayInputStream(new byte[1000])))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("after 5 attempts")
                    .hasMessageNotContaining(S3ProxyServer.CREDENTIAL);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThatThrownBy(() -> store.stat("restart/before")).isInstanceOf(IOException.class);
        } finally {
            server.start();
        }

        assertThat(read(store.getVerified("restart/before", before.sha256()))).isEqualTo(TestData.bytes(31, 50_000));
        store.put("restart/after", new ByteArrayInputStream(new byte[] {1, 2}));
        assertThat(keys("restart/")).containsExactlyInAnyOrder("restart/before", "restart/after");
    }

    @Test
    void aPutStartedWhileTheServerIsDownSucceedsWhenItComesBackWithinTheRetries() throws Exception {
        store.put("warm-up", new ByteArrayInputStream(new byte[1])); // a pooled connection to break
        byte[] data = TestData.bytes(32, 3 * 1024 * 1024);
        server.stop();
        CompletableFuture<StoredBlob> put;
        try {
            put = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.put("restart/retried", new ByteArrayInputStream(data));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(400); // the first attempts hit a closed port
        } finally {
            server.start();
        }

        StoredBlob stored = put.get(30, TimeUnit.SECONDS);

        assertThat(stored.sha256()).isEqualTo(TestData.sha256(data));
        assertThat(read(store.get("restart/retried"))).isEqualTo(data);
    }

    @Test
    void wrongSecretKeyIsReportedClearlyAtOnceWithoutTheSecret() {
        String wrongSecret = "this-is-not-the-secret-42";
        S3BlobStore.Config config = server.config("test-bucket-credentials")
                .withCredentials(S3ProxyServer.IDENTITY, wrongSecret);
        long start = System.nanoTime();

        assertThatThrownBy(() -> new S3BlobStore(config, TEST_OPTIONS))
                .isInstanceOf(S3BlobStore.CredentialsRejectedException.class)
                .hasMessageContaining("credentials were rejected")
                .hasMessageContaining(server.endpoint())
                .hasMessageNotContaining(wrongSecret)
                .hasMessageNotContaining(S3ProxyServer.CREDENTIAL);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not retried").isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void credentialsRevokedWhileRunningMakeWritesAndReadsFailAtOnceWithTheClearError() throws Exception {
        store.put("k", new ByteArrayInputStream(new byte[] {1}));
        server.restartWithSecret("rotated-secret");
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.put("k2", new ByteArrayInputStream(new byte[100])))
                    .isInstanceOf(S3BlobStore.CredentialsRejectedException.class)
                    .hasMessageContaining("credentials were rejected")
                    .hasMessageNotContaining(S3ProxyServer.CREDENTIAL)
                    .hasMessageNotContaining("rotated-secret");
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(S3BlobStore.CredentialsRejectedException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not retried").isLessThan(Duration.ofSeconds(3));
        } finally {
            server.restartWithSecret(S3ProxyServer.CREDENTIAL);
        }
        assertThat(read(store.get("k"))).containsExactly(1);
    }

    @Test
    void unknownAccessKeyIsReportedAsRejectedCredentials() {
        S3BlobStore.Config config = server.config("test-bucket-credentials")
                .withCredentials("nobody-knows-me", "whatever-secret");

        assertThatThrownBy(() -> new S3BlobStore(config, TEST_OPTIONS))
                .isInstanceOf(S3BlobStore.CredentialsRejectedException.class)
                .hasMessageContaining("credentials were rejected")
                .hasMessageNotContaining("whatever-secret");
    }

    @Test
    void theBucketIsCreatedWhenMissingAndReusedWhenPresent() throws Exception {
        store.put("k", new ByteArrayInputStream(new byte[] {5}));

        try (S3BlobStore again = new S3BlobStore(server.config(bucket), TEST_OPTIONS)) {
            assertThat(read(again.get("k"))).containsExactly(5);
        }
    }

    @Test
    void aKeyPrefixKeepsStoresSharingABucketApart() throws Exception {
        store.put("shared", new ByteArrayInputStream(new byte[] {1}));
        try (S3BlobStore nodeA = new S3BlobStore(server.config(bucket).withKeyPrefix("node-a"), TEST_OPTIONS)) {
            nodeA.put("shared", new ByteArrayInputStream(new byte[] {2}));
            nodeA.put("studies/1", new ByteArrayInputStream(new byte[] {3}));

            assertThat(read(nodeA.get("shared"))).containsExactly(2);
            assertThat(read(store.get("shared"))).containsExactly(1);
            try (var listed = nodeA.list("")) {
                assertThat(listed.map(BlobInfo::key)).containsExactlyInAnyOrder("shared", "studies/1");
            }
            assertThat(keys("")).containsExactlyInAnyOrder("shared", "node-a/shared", "node-a/studies/1");
            assertThat(nodeA.describe()).contains("prefix node-a/");
        }
    }

    @Test
    void neitherDescribeNorConfigShowsTheSecret() {
        S3BlobStore.Config config = server.config(bucket);

        assertThat(store.describe()).contains("127.0.0.1").contains(bucket).doesNotContain(S3ProxyServer.CREDENTIAL);
        assertThat(config.toString()).doesNotContain(S3ProxyServer.CREDENTIAL).contains("****");
        assertThat(S3BlobStore.safeEndpoint("https://user:pw@s3.example.org:9000/?token=x"))
                .isEqualTo("https://s3.example.org:9000/");
    }

    @Test
    void invalidConfigurationIsRejectedUpFront() {
        assertThatThrownBy(() -> S3BlobStore.Config.of(server.endpoint(), "a", "b", "No_Such Bucket"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bucket");
        assertThatThrownBy(() -> S3BlobStore.Config.of(server.endpoint(), "a", "", "bucket"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("secretKey");
        assertThatThrownBy(() -> server.config("abc").withKeyPrefix("../up"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3BlobStore.Options.defaults().withPartSize(1024))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void putFileOfAFileOfExactlyTheThresholdUsesOnePut() throws Exception {
        Path file = TestData.file(Files.createTempFile(scratch, "t", ".bin"), 44, TEST_OPTIONS.multipartThreshold());

        StoredBlob stored = store.putFile("threshold", file);

        assertThat(store.recordedSha256("threshold")).hasValue(stored.sha256());
        assertThat(store.stat("threshold").orElseThrow().size()).isEqualTo(TEST_OPTIONS.multipartThreshold());
    }
}
