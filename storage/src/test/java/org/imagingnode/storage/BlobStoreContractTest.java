package org.imagingnode.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link BlobStore} must do. Each implementation has a subclass that supplies a fresh,
 * empty store per test and a way to damage a stored blob behind the store's back.
 */
abstract class BlobStoreContractTest {

    /** A new, empty store. Closed by the test. */
    protected abstract BlobStore openStore() throws Exception;

    /** Changes the stored bytes of {@code key} (same length) without going through the store. */
    protected abstract void corrupt(BlobStore store, String key) throws Exception;

    /** Whether {@link BlobStore#recordedSha256} must know the checksum of every blob of this store. */
    protected boolean recordsChecksums() {
        return true;
    }

    @TempDir
    Path scratch;

    protected BlobStore store;

    @BeforeEach
    void openFreshStore() throws Exception {
        store = openStore();
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store != null) {
            store.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // put / get

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 4096, 300_000, 1_048_577})
    void putThenGetReturnsTheSameBytesAndReportsSizeAndSha256(int size) throws Exception {
        byte[] data = TestData.bytes(size, size);

        StoredBlob stored = store.put("studies/1.2.3/instance-" + size, new ByteArrayInputStream(data));

        assertThat(stored.key()).isEqualTo("studies/1.2.3/instance-" + size);
        assertThat(stored.size()).isEqualTo(size);
        assertThat(stored.sha256()).isEqualTo(TestData.sha256(data));
        try (InputStream in = store.get("studies/1.2.3/instance-" + size)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void putReplacesAnExistingBlob() throws Exception {
        store.put("a/key", new ByteArrayInputStream(TestData.bytes(1, 5000)));
        byte[] second = TestData.bytes(2, 1234);

        StoredBlob stored = store.put("a/key", new ByteArrayInputStream(second));

        assertThat(stored.sha256()).isEqualTo(TestData.sha256(second));
        assertThat(read(store.get("a/key"))).isEqualTo(second);
        assertThat(store.stat("a/key")).get().extracting(BlobInfo::size).isEqualTo(1234L);
    }

    @Test
    void aPutWhoseStreamFailsStoresNothingAndKeepsThePreviousBlob() throws Exception {
        byte[] original = TestData.bytes(3, 2000);
        store.put("k", new ByteArrayInputStream(original));
        InputStream failing = new InputStream() {
            private int served;

            @Override
            public int read() throws IOException {
                if (served++ > 100_000) {
                    throw new IOException("network of the sender went away");
                }
                return 7;
            }
        };

        assertThatThrownBy(() -> store.put("k", failing)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.put("new", failingAfter(50_000))).isInstanceOf(IOException.class);

        assertThat(read(store.get("k"))).isEqualTo(original);
        assertThat(store.stat("new")).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // ranges

    @Test
    void rangeReadsReturnTheRequestedSliceTruncatedAtTheEnd() throws Exception {
        byte[] data = TestData.bytes(4, 10_000);
        store.put("r", new ByteArrayInputStream(data));

        assertThat(read(store.get("r", 0, 10))).isEqualTo(slice(data, 0, 10));
        assertThat(read(store.get("r", 1234, 4321))).isEqualTo(slice(data, 1234, 4321));
        assertThat(read(store.get("r", 9_990, 10))).as("last bytes").isEqualTo(slice(data, 9_990, 10));
        assertThat(read(store.get("r", 9_990, 500))).as("length past the end").isEqualTo(slice(data, 9_990, 10));
        assertThat(read(store.get("r", 5_000, Long.MAX_VALUE))).as("to the end").isEqualTo(slice(data, 5_000, 5_000));
        assertThat(read(store.get("r", 100, 0))).as("empty range").isEmpty();
    }

    @Test
    void rangeStartingAtOrPastTheEndIsEmpty() throws Exception {
        store.put("r", new ByteArrayInputStream(TestData.bytes(5, 100)));

        assertThat(read(store.get("r", 100, 10))).isEmpty();
        assertThat(read(store.get("r", 1_000_000, 10))).isEmpty();
    }

    @Test
    void rangeOfAnEmptyBlobIsEmpty() throws Exception {
        store.put("empty", InputStream.nullInputStream());

        assertThat(read(store.get("empty", 0, 10))).isEmpty();
    }

    @Test
    void negativeOffsetOrLengthIsRejected() throws Exception {
        store.put("r", new ByteArrayInputStream(new byte[10]));

        assertThatThrownBy(() -> store.get("r", -1, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get("r", 0, -5)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // stat / delete / not found

    @Test
    void statReportsSizeAndModificationTime() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        store.put("s/1", new ByteArrayInputStream(TestData.bytes(6, 777)));

        BlobInfo info = store.stat("s/1").orElseThrow();

        assertThat(info.key()).isEqualTo("s/1");
        assertThat(info.size()).isEqualTo(777);
        assertThat(info.lastModified()).isBetween(before, Instant.now().plusSeconds(2));
    }

    @Test
    void theRecordedChecksumIsTheOneReturnedByPut() throws Exception {
        StoredBlob stored = store.put("c", new ByteArrayInputStream(TestData.bytes(7, 4000)));

        if (recordsChecksums()) {
            assertThat(store.recordedSha256("c")).hasValue(stored.sha256());
        } else {
            assertThat(store.recordedSha256("c")).isEmpty();
        }
        assertThatThrownBy(() -> store.recordedSha256("missing")).isInstanceOf(BlobNotFoundException.class);
    }

    @Test
    void deleteRemovesTheBlobAndSaysWhetherThereWasOne() throws Exception {
        store.put("d/1", new ByteArrayInputStream(new byte[] {1, 2, 3}));

        assertThat(store.delete("d/1")).isTrue();
        assertThat(store.delete("d/1")).isFalse();
        assertThat(store.stat("d/1")).isEmpty();
        assertThatThrownBy(() -> store.get("d/1")).isInstanceOf(BlobNotFoundException.class);
    }

    @Test
    void missingBlobsAreReportedAsNotFound() throws Exception {
        assertThatThrownBy(() -> store.get("no/such/blob"))
                .isInstanceOf(BlobNotFoundException.class)
                .hasMessageContaining("no/such/blob");
        assertThatThrownBy(() -> store.get("no/such/blob", 10, 10)).isInstanceOf(BlobNotFoundException.class);
        assertThatThrownBy(() -> store.get("no/such/blob", 0, 0)).isInstanceOf(BlobNotFoundException.class);
        assertThatThrownBy(() -> store.getVerified("no/such/blob", "0".repeat(64)))
                .isInstanceOf(BlobNotFoundException.class);
        assertThat(store.stat("no/such/blob")).isEmpty();
        assertThat(store.delete("no/such/blob")).isFalse();
    }

    // ---------------------------------------------------------------------------------------------
    // list

    @Test
    void listReturnsTheKeysStartingWithThePrefix() throws Exception {
        Map<String, Integer> sizes = Map.of(
                "studies/1/a", 10, "studies/1/b", 20, "studies/1/series/c", 30,
                "studies/10/d", 40, "studies2/e", 50, "other", 60);
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            store.put(e.getKey(), new ByteArrayInputStream(new byte[e.getValue()]));
        }

        assertThat(keys("studies/1/")).containsExactlyInAnyOrder("studies/1/a", "studies/1/b", "studies/1/series/c");
        assertThat(keys("studies/1")).containsExactlyInAnyOrder(
                "studies/1/a", "studies/1/b", "studies/1/series/c", "studies/10/d");
        assertThat(keys("studies")).hasSize(5);
        assertThat(keys("")).containsExactlyInAnyOrderElementsOf(sizes.keySet());
        assertThat(keys("nothing/")).isEmpty();
        try (Stream<BlobInfo> listed = store.list("")) {
            assertThat(listed.collect(Collectors.toMap(BlobInfo::key, i -> (int) i.size()))).isEqualTo(sizes);
        }
    }

    @Test
    void listDoesNotReturnDeletedBlobs() throws Exception {
        store.put("x/1", new ByteArrayInputStream(new byte[1]));
        store.put("x/2", new ByteArrayInputStream(new byte[1]));
        store.delete("x/1");

        assertThat(keys("x/")).containsExactly("x/2");
    }

    @Test
    void longestKeysWork() throws Exception {
        String key = "a".repeat(200) + "/" + "b".repeat(200) + "/" + "c.".repeat(55);
        assertThat(key).hasSize(BlobKeys.MAX_LENGTH);

        store.put(key, new ByteArrayInputStream(new byte[] {42}));

        assertThat(read(store.get(key))).containsExactly(42);
        assertThat(keys("a".repeat(150))).containsExactly(key);
        assertThat(keys("a".repeat(200) + "/b")).containsExactly(key);
        assertThat(store.delete(key)).isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // checksums

    @Test
    void getVerifiedPassesTheBytesThroughWhenTheyMatch() throws Exception {
        byte[] data = TestData.bytes(8, 200_000);
        StoredBlob stored = store.put("v", new ByteArrayInputStream(data));

        try (InputStream in = store.getVerified("v", stored.sha256().toUpperCase())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void getVerifiedDetectsACorruptedBlobAtTheEndOfTheData() throws Exception {
        byte[] data = TestData.bytes(9, 100_000);
        StoredBlob stored = store.put("studies/9/corrupt", new ByteArrayInputStream(data));
        corrupt(store, "studies/9/corrupt");

        InputStream in = store.getVerified("studies/9/corrupt", stored.sha256());
        byte[] firstPart = in.readNBytes(50_000); // no verdict before the end

        assertThat(firstPart).hasSize(50_000);
        assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(BlobCorruptedException.class)
                .hasMessageContaining("studies/9/corrupt")
                .hasMessageContaining(stored.sha256());
        in.close();
    }

    @Test
    void getVerifiedRejectsContentThatDoesNotMatchTheExpectedChecksum() throws Exception {
        store.put("w", new ByteArrayInputStream(TestData.bytes(10, 1000)));
        String other = TestData.sha256(TestData.bytes(11, 1000));

        try (InputStream in = store.getVerified("w", other)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(BlobCorruptedException.class);
        }
        assertThatThrownBy(() -> store.getVerified("w", "not-a-checksum"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // keys

    @ParameterizedTest
    @ValueSource(strings = {"", "/etc/passwd", "../x", "a/../../b", "..", ".", "a/./b", "a/..", "a//b", "a/",
            "a b", "a\\b", "a:b", "é", "a\u0000b", "a\nb", "%2e%2e/x", "~/x", "C:\\x"})
    void invalidKeysAreRejectedByEveryOperation(String key) throws Exception {
        Path file = Files.write(scratch.resolve("f"), new byte[] {1});

        assertThatThrownBy(() -> store.put(key, new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key");
        assertThatThrownBy(() -> store.putFile(key, file)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get(key, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.getVerified(key, "0".repeat(64))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.stat(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);
        assertThat(file).exists();
        assertThat(keys("")).isEmpty();
    }

    @Test
    void tooLongAndNullKeysAreRejected() throws Exception {
        String tooLong = "k".repeat(BlobKeys.MAX_LENGTH + 1);

        assertThatThrownBy(() -> store.put(tooLong, InputStream.nullInputStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("513");
        assertThatThrownBy(() -> store.put(null, InputStream.nullInputStream()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list("/a")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // putFile

    @Test
    void putFileStoresTheFileAndConsumesIt() throws Exception {
        Path source = TestData.file(scratch.resolve("incoming.dcm"), 12, 700_000);
        String expected = TestData.sha256(12, 700_000);

        StoredBlob stored = store.putFile("studies/12/file", source);

        assertThat(stored).isEqualTo(new StoredBlob("studies/12/file", 700_000, expected));
        assertThat(source).doesNotExist();
        assertThat(TestData.digest(store.get("studies/12/file"))).isEqualTo(new TestData.Digest(expected, 700_000));
        if (recordsChecksums()) {
            assertThat(store.recordedSha256("studies/12/file")).hasValue(expected);
        }
        assertThat(store.stat("studies/12/file").orElseThrow().lastModified())
                .isCloseTo(Instant.now(), within(5, ChronoUnit.SECONDS));
    }

    @Test
    void putFileWithTheChecksumTheCallerComputedStoresTheSameBlob() throws Exception {
        Path source = TestData.file(scratch.resolve("spooled.dcm"), 13, 300_000);
        String expected = TestData.sha256(13, 300_000);

        StoredBlob stored = store.putFile("studies/13/file", source, expected);

        assertThat(stored).isEqualTo(new StoredBlob("studies/13/file", 300_000, expected));
        assertThat(source).doesNotExist();
        assertThat(TestData.digest(store.get("studies/13/file"))).isEqualTo(new TestData.Digest(expected, 300_000));
        if (recordsChecksums()) {
            assertThat(store.recordedSha256("studies/13/file")).hasValue(expected);
        }
    }

    @Test
    void putFileOfAMissingFileFailsAndStoresNothing() throws Exception {
        assertThatThrownBy(() -> store.putFile("k", scratch.resolve("missing"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> store.putFile("k", scratch)).isInstanceOf(IOException.class);
        assertThat(keys("")).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // concurrency

    @Test
    void concurrentPutsOfDifferentKeysAllLand() throws Exception {
        int threads = 8;
        int perThread = 12;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<StoredBlob>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    int seed = t * 1000 + i;
                    futures.add(pool.submit(() -> {
                        String key = "concurrent/" + (seed / 1000) + "/" + seed;
                        if (seed % 2 == 0) {
                            return store.put(key, new ByteArrayInputStream(TestData.bytes(seed, 20_000 + seed % 7 * 10_000)));
                        }
                        Path file = TestData.file(scratch.resolve("c" + seed), seed, 20_000 + seed % 7 * 10_000);
                        return store.putFile(key, file);
                    }));
                }
            }
            for (Future<StoredBlob> future : futures) {
                StoredBlob stored = future.get();
                int seed = Integer.parseInt(stored.key().substring(stored.key().lastIndexOf('/') + 1));
                assertThat(stored.sha256()).isEqualTo(TestData.sha256(seed, 20_000 + seed % 7 * 10_000));
                try (InputStream in = store.getVerified(stored.key(), stored.sha256())) {
                    assertThat(TestData.digest(in).size()).isEqualTo(stored.size());
                }
            }
            assertThat(keys("concurrent/")).hasSize(threads * perThread);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void describeNamesTheStore() {
        assertThat(store.describe()).isNotBlank();
    }

    protected List<String> keys(String prefix) throws IOException {
        try (Stream<BlobInfo> listed = store.list(prefix)) {
            return listed.map(BlobInfo::key).toList();
        }
    }

    protected static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static byte[] slice(byte[] data, int offset, int length) {
        byte[] out = new byte[length];
        System.arraycopy(data, offset, out, 0, length);
        return out;
    }

    /** A stream of {@code bytes} bytes that then fails as a broken connection would. */
    protected static InputStream failingAfter(long bytes) {
        InputStream data = TestData.stream(99, bytes);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                int b = data.read();
                if (b < 0) {
                    throw new IOException("connection reset by the sender");
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = data.read(b, off, len);
                if (n < 0) {
                    throw new IOException("connection reset by the sender");
                }
                return n;
            }
        };
    }
}
