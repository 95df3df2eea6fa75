package org.imagingnode.bridge.sharing.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.storage.FileSystemBlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;
import org.threeten.extra.MutableClock;

/**
 * The consumer's cache of instances retrieved from other nodes, on a real filesystem blob store: only whole,
 * checked instances enter it; it stays within its byte and age bounds, least recently used first; it survives a
 * restart.
 */
class InstanceCacheTest {
    @TempDir
    Path dir;

    private FileSystemBlobStore blobs;
    private final MutableClock clock = MutableClock.of(Instant.now(), ZoneOffset.UTC);

    @BeforeEach
    void open() throws Exception {
        blobs = new FileSystemBlobStore(dir.resolve("blobs"));
    }

    @AfterEach
    void close() throws Exception {
        blobs.close();
    }

    private InstanceCache cache(DataSize max, Duration age) {
        return new InstanceCache(blobs, new ConsumerProperties.Cache(max, age), clock);
    }

    /** A received instance: its file in a spool folder, and what its source declared. */
    private record Received(Path file, InstanceCache.Declared declared, String sha, byte[] bytes) {
    }

    private Received receive(int pixels) throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = pixels;
        s.columns = pixels;
        Path file = TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".spool"));
        byte[] bytes = Files.readAllBytes(file);
        String sha = HexFormat.of().formatHex(Checksums.sha256().digest(bytes));
        return new Received(file, new InstanceCache.Declared("NODE-A", s.studyUid, s.seriesUid, s.sopInstanceUid,
                bytes.length, sha), sha, bytes);
    }

    @Test
    void keepsACheckedInstanceAndServesItByteIdentical() throws Exception {
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofDays(1));
        Received r = receive(32);
        InstanceLocation loc = cache.put(r.declared(), r.file(), r.sha());

        assertThat(r.file()).doesNotExist();
        assertThat(loc.blobKey()).startsWith("remote-cache/NODE-A/" + r.declared().studyUid() + "/");
        assertThat(loc.transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.1");
        assertThat(loc.sopClassUid()).isEqualTo(TestObjects.CT_IMAGE);
        try (InputStream in = blobs.get(loc.blobKey())) {
            assertThat(in.readAllBytes()).isEqualTo(r.bytes());
        }
        assertThat(cache.get(r.declared().key())).contains(loc);
        assertThat(cache.bytes()).isEqualTo(r.bytes().length);
    }

    @Test
    void neverKeepsWhatDiffersFromWhatTheSourceDeclared() throws Exception {
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofDays(1));

        Received shorter = receive(32);
        Files.write(shorter.file(), Arrays.copyOf(shorter.bytes(), shorter.bytes().length - 100));
        assertThatThrownBy(() -> cache.put(shorter.declared(), shorter.file(), shorter.sha()))
                .isInstanceOf(InstanceCache.RejectedException.class).hasMessageContaining("announced");

        Received garbled = receive(32);
        InstanceCache.Declared right = garbled.declared();
        assertThatThrownBy(() -> cache.put(right, garbled.file(), "0".repeat(64)))
                .isInstanceOf(InstanceCache.RejectedException.class).hasMessageContaining("SHA-256");

        // no length or digest declared (a source that sends neither): a cut object is still caught by its structure
        Received cut = receive(32);
        byte[] truncated = Arrays.copyOf(cut.bytes(), cut.bytes().length - 100);
        Files.write(cut.file(), truncated);
        InstanceCache.Declared vague = new InstanceCache.Declared("NODE-A", cut.declared().studyUid(),
                cut.declared().seriesUid(), cut.declared().sopInstanceUid(), -1, null);
        String truncatedSha = HexFormat.of().formatHex(Checksums.sha256().digest(truncated));
        assertThatThrownBy(() -> cache.put(vague, cut.file(), truncatedSha))
                .isInstanceOf(InstanceCache.RejectedException.class).hasMessageContaining("not a whole DICOM object");

        Received other = receive(32);
        InstanceCache.Declared wrongInstance = new InstanceCache.Declared("NODE-A", other.declared().studyUid(),
                other.declared().seriesUid(), TestObjects.uid(), other.bytes().length, other.sha());
        assertThatThrownBy(() -> cache.put(wrongInstance, other.file(), other.sha()))
                .isInstanceOf(InstanceCache.RejectedException.class).hasMessageContaining("not the instance");

        for (Received r : new Received[] {shorter, garbled, cut, other}) {
            assertThat(r.file()).doesNotExist();
            assertThat(cache.get(r.declared().key())).isEmpty();
        }
        try (var listed = blobs.list(InstanceCache.PREFIX)) {
            assertThat(listed).isEmpty();
        }
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void staysWithinItsSizeEvictingTheLeastRecentlyUsed() throws Exception {
        Received a = receive(64);
        Received b = receive(64);
        Received c = receive(64);
        long each = a.bytes().length;
        InstanceCache cache = cache(DataSize.ofBytes(2 * each + each / 2), Duration.ofDays(1));
        InstanceLocation la = cache.put(a.declared(), a.file(), a.sha());
        InstanceLocation lb = cache.put(b.declared(), b.file(), b.sha());
        assertThat(cache.get(a.declared().key())).isPresent(); // a is now more recent than b

        cache.put(c.declared(), c.file(), c.sha());

        assertThat(cache.get(b.declared().key())).isEmpty();
        assertThat(blobs.stat(lb.blobKey())).isEmpty();
        assertThat(cache.get(a.declared().key())).isPresent();
        assertThat(blobs.stat(la.blobKey())).isPresent();
        assertThat(cache.get(c.declared().key())).isPresent();
        assertThat(cache.bytes()).isLessThanOrEqualTo(2 * each + each / 2);
    }

    @Test
    void fetchesAgainWhatIsOlderThanTheMaximumAge() throws Exception {
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofHours(1));
        Received r = receive(16);
        InstanceLocation loc = cache.put(r.declared(), r.file(), r.sha());
        clock.add(Duration.ofMinutes(59));
        assertThat(cache.get(r.declared().key())).isPresent();
        clock.add(Duration.ofMinutes(2));
        assertThat(cache.get(r.declared().key())).isEmpty();
        assertThat(blobs.stat(loc.blobKey())).isEmpty();
    }

    @Test
    void whatOneNodeSentIsNeverServedAsAnotherNodesNorUnderAnotherStudy() throws Exception {
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        Received fromA = receive(16);
        InstanceCache.Declared a = fromA.declared();
        InstanceLocation atA = cache.put(a, fromA.file(), fromA.sha());

        // node C answers with the same SOP Instance UID: under C's own study, or even under A's study UID
        String studyOfC = TestObjects.uid();
        assertThat(cache.get(new InstanceCache.Key("NODE-C", studyOfC, a.sopInstanceUid()))).isEmpty();
        assertThat(cache.get(new InstanceCache.Key("NODE-C", a.studyUid(), a.sopInstanceUid()))).isEmpty();
        assertThat(cache.get(new InstanceCache.Key("NODE-A", studyOfC, a.sopInstanceUid()))).isEmpty();
        Path sentByC = dir.resolve("from-c.spool");
        Files.write(sentByC, fromA.bytes());
        InstanceLocation atC = cache.put(new InstanceCache.Declared("NODE-C", a.studyUid(), a.seriesUid(),
                a.sopInstanceUid(), fromA.bytes().length, fromA.sha()), sentByC, fromA.sha());
        assertThat(atC.blobKey()).isNotEqualTo(atA.blobKey());
        assertThat(cache.get(a.key())).contains(atA); // A's is still A's
        assertThat(cache.count()).isEqualTo(2);

        // node ids may hold ':' and '_', blob keys not ':': each still has a folder of its own
        Received odd = receive(16);
        InstanceCache.Declared d = odd.declared();
        InstanceLocation colon = cache.put(new InstanceCache.Declared("site:7", d.studyUid(), d.seriesUid(),
                d.sopInstanceUid(), odd.bytes().length, odd.sha()), odd.file(), odd.sha());
        assertThat(cache.get(new InstanceCache.Key("site_-7", d.studyUid(), d.sopInstanceUid()))).isEmpty();
        assertThat(cache.get(new InstanceCache.Key("site:7", d.studyUid(), d.sopInstanceUid()))).contains(colon);

        // a restart finds each where it was
        InstanceCache again = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        clock.setInstant(Instant.now());
        again.load();
        assertThat(again.get(a.key()).orElseThrow().blobKey()).isEqualTo(atA.blobKey());
        assertThat(again.get(new InstanceCache.Key("NODE-C", a.studyUid(), a.sopInstanceUid())).orElseThrow()
                .blobKey()).isEqualTo(atC.blobKey());
    }

    @Test
    void keysOfAnEarlierLayoutAreDroppedAtStart() throws Exception {
        Received r = receive(16);
        String old = InstanceCache.PREFIX + r.declared().studyUid() + "/" + r.declared().seriesUid() + "/"
                + r.declared().sopInstanceUid() + "." + r.sha().substring(0, 16);
        blobs.putFile(old, r.file(), r.sha());
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        cache.load();
        assertThat(cache.count()).isZero();
        assertThat(blobs.stat(old)).isEmpty();
    }

    @Test
    void anInstanceAnotherNodeSharingTheStoreEvictedIsFetchedAgainNotServedFromAMissingBlob() throws Exception {
        InstanceCache cache = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        Received r = receive(16);
        InstanceLocation loc = cache.put(r.declared(), r.file(), r.sha());
        assertThat(cache.get(r.declared().key())).contains(loc);

        blobs.delete(loc.blobKey()); // the other node's eviction
        assertThat(cache.get(r.declared().key())).isEmpty();
        assertThat(cache.count()).isZero();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void aRestartedNodeFindsItsCachedInstancesAgain() throws Exception {
        InstanceCache first = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        Received r = receive(16);
        InstanceLocation loc = first.put(r.declared(), r.file(), r.sha());

        clock.setInstant(Instant.now()); // the listing's dates are real ones
        InstanceCache second = cache(DataSize.ofMegabytes(10), Duration.ofDays(7));
        second.load();

        assertThat(second.count()).isEqualTo(1);
        InstanceLocation again = second.get(r.declared().key()).orElseThrow();
        assertThat(again.blobKey()).isEqualTo(loc.blobKey());
        assertThat(again.datasetOffset()).isEqualTo(loc.datasetOffset());
        assertThat(again.transferSyntaxUid()).isEqualTo(loc.transferSyntaxUid());
        assertThat(again.sopClassUid()).isEqualTo(loc.sopClassUid());
        assertThat(again.seriesInstanceUid()).isEqualTo(r.declared().seriesUid());
    }

    @Test
    void contentDigestHeadersAreRead() {
        byte[] digest = new byte[32];
        digest[0] = 1;
        String header = "sha-512=:AAAA:, sha-256=:" + Base64.getEncoder().encodeToString(digest) + ":";
        assertThat(RemoteStudiesService.sha256Of(header)).isEqualTo(HexFormat.of().formatHex(digest));
        assertThat(RemoteStudiesService.sha256Of("sha-256=:AAAA:")).isNull();
        assertThat(RemoteStudiesService.sha256Of(null)).isNull();
    }
}
