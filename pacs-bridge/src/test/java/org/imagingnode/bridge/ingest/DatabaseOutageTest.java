package org.imagingnode.bridge.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.imagingnode.bridge.database.KillablePostgres;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.imagingnode.storage.BlobInfo;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The node's PostgreSQL (an external server here, as in production) is killed with SIGKILL while
 * DCMTK's storescu and a STOW-RS client keep sending, then restarted. Every instance acknowledged
 * before, during or after the outage is retrievable and byte-identical; an instance refused during
 * the outage was refused with a failure (a C-STORE failure status, an HTTP 503 with Retry-After), and
 * is either absent or complete, never half-indexed; a query during the outage is a 503 (QIDO-RS) or
 * a C-FIND failure status, and every access is audited, those answered during the outage too;
 * reconciliation leaves exactly the blobs of indexed instances; and the node recovers by itself,
 * without a restart.
 */
class DatabaseOutageTest extends NodeIntegrationTest {
    private static final int PER_CHANNEL = 50;
    private static KillablePostgres postgres;

    @DynamicPropertySource
    static void externalDatabase(DynamicPropertyRegistry registry) throws IOException {
        ownDataDir(registry);
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "external-postgres");
        postgres = KillablePostgres.start(dir.resolve("data"));
        registry.add("spring.datasource.url", postgres::jdbcUrl);
        registry.add("spring.datasource.username", postgres::user);
        registry.add("spring.datasource.password", postgres::password);
        // shorter than the outage, so that requests fail during it, not only those caught in flight
        registry.add("spring.datasource.hikari.connection-timeout", () -> "1500");
    }

    @AfterAll
    static void stopDatabase() throws IOException {
        // the node's pool keeps retrying against a stopped server until Spring closes the context: harmless
        postgres.close();
    }

    @TempDir
    Path work;

    @Autowired
    OrphanBlobReconciler reconciler;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** When each storescu association and each STOW-RS request began and ended, for the audit check. */
    private final List<Instant[]> associations = Collections.synchronizedList(new ArrayList<>());
    private final List<Instant[]> stowRequests = Collections.synchronizedList(new ArrayList<>());
    private volatile Instant crash;

    /** What a client was told about one instance. */
    private record Sent(TestObjects.Spec spec, Path file, boolean acknowledged, String answer) {
    }

    @Test
    void ingestDuringADatabaseCrashEitherSucceedsDurablyOrFailsCleanly() throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        List<Path> dimseFiles = new ArrayList<>();
        List<Path> stowFiles = new ArrayList<>();
        List<TestObjects.Spec> specs = new ArrayList<>();
        TestObjects.Spec s = first;
        for (int i = 0; i < 2 * PER_CHANNEL; i++) {
            specs.add(s);
            (i % 2 == 0 ? dimseFiles : stowFiles).add(TestObjects.write(s, work.resolve("in" + i + ".dcm")));
            s = s.sameSeries();
        }

        Map<String, Sent> outcomes = new ConcurrentHashMap<>();
        CountDownLatch warmedUp = new CountDownLatch(2);
        AtomicBoolean databaseBack = new AtomicBoolean();
        ExecutorService senders = Executors.newFixedThreadPool(2);
        try {
            Future<?> dimse = senders.submit(() -> send(dimseFiles, specs, 0, warmedUp, databaseBack, outcomes,
                    this::storescu));
            Future<?> stow = senders.submit(() -> send(stowFiles, specs, 1, warmedUp, databaseBack, outcomes,
                    this::stow));
            assertThat(warmedUp.await(120, TimeUnit.SECONDS)).as("both channels store before the crash").isTrue();

            crash = Instant.now();
            postgres.kill();
            Thread.sleep(1000); // the outage: both channels keep sending
            HttpResponse<String> query = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/dicomweb/studies?PatientID=" + first.patientId)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(query.statusCode()).as(query.body()).isEqualTo(503);
            assertThat(query.headers().firstValue("Retry-After")).isPresent();
            assertThat(query.body()).contains("database is unavailable").doesNotContain("Exception");
            Dcmtk.Result find = Dcmtk.run(60, "findscu", "-v", "-S", "-aet", "ALL", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                    "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + first.patientId, "-k", "StudyInstanceUID");
            assertThat(find.output()).as("C-FIND answers a failure status, the association is not aborted")
                    .contains("Final Find Response (Refused: OutOfResources)").doesNotContain("Abort");
            Thread.sleep(3000);
            postgres.restart();
            databaseBack.set(true);

            dimse.get(10, TimeUnit.MINUTES);
            stow.get(10, TimeUnit.MINUTES);
        } finally {
            senders.shutdownNow();
        }

        List<Sent> acknowledged = outcomes.values().stream().filter(Sent::acknowledged).toList();
        List<Sent> refused = outcomes.values().stream().filter(o -> !o.acknowledged()).toList();
        assertThat(outcomes).hasSize(2 * PER_CHANNEL);
        assertThat(refused).as("some instances arrived while the database was down").isNotEmpty();

        // Every acknowledged instance is retrievable, byte for byte.
        for (Sent a : acknowledged) {
            assertThat(TestObjects.dataSetOf(retrieve(a.spec())))
                    .as("data set of acknowledged " + a.spec().sopInstanceUid)
                    .isEqualTo(TestObjects.dataSetOf(Files.readAllBytes(a.file())));
        }
        // A refused one is absent, or (the commit reached the database but its answer was lost) complete.
        for (Sent r : refused) {
            byte[] got = retrieve(r.spec());
            if (got != null) {
                assertThat(TestObjects.dataSetOf(got))
                        .as("refused " + r.spec().sopInstanceUid + " (" + r.answer() + ")")
                        .isEqualTo(TestObjects.dataSetOf(Files.readAllBytes(r.file())));
            }
        }

        // The blob store holds exactly the indexed instances once reconciliation ran.
        reconciler.reconcile(Instant.now());
        String prefix = InstanceBlobKeys.PREFIX + first.studyUid + "/";
        List<String> indexedKeys = jdbc.queryForList("SELECT blob_key FROM instance WHERE blob_key LIKE ?",
                String.class, prefix + "%");
        try (Stream<BlobInfo> stored = blobs.list(prefix)) {
            assertThat(stored.map(BlobInfo::key).toList()).containsExactlyInAnyOrderElementsOf(indexedKeys);
        }
        assertThat(indexedKeys).hasSizeGreaterThanOrEqualTo(acknowledged.size());

        // Every access from the crash on is audited, those answered during the outage too (kept on disk, written
        // once the database was back). Rows committed just before the crash may be lost: the audit table commits
        // without waiting for its WAL flush (PostgresAuditLog), so only accesses after the crash are counted.
        String count = "SELECT count(*) FROM audit_event WHERE action = 'store' AND channel = ? AND event_time >= ?";
        OffsetDateTime from = crash.atOffset(ZoneOffset.UTC);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && jdbc.queryForObject(count, Long.class, "DIMSE", from)
                < startedAfterCrash(associations)) {
            Thread.sleep(500);
        }
        assertThat(jdbc.queryForObject(count, Long.class, "DIMSE", from)).as("one per association")
                .isBetween(startedAfterCrash(associations), endedAfterCrash(associations));
        assertThat(jdbc.queryForObject(count, Long.class, "DICOMweb", from)).as("one per STOW-RS request")
                .isBetween(startedAfterCrash(stowRequests), endedAfterCrash(stowRequests));
        assertThat(startedAfterCrash(associations)).as("associations during and after the outage").isPositive();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE action = 'query' AND actor = 'ALL'"
                + " AND outcome = 'failure'", Long.class)).as("the C-FIND refused during the outage").isEqualTo(1);
    }

    /** One channel's loop: warms up, then sends its instances one by one, through the outage and after it. */
    private interface Channel {
        Sent send(TestObjects.Spec spec, Path file) throws Exception;
    }

    private void send(List<Path> files, List<TestObjects.Spec> specs, int parity, CountDownLatch warmedUp,
            AtomicBoolean databaseBack, Map<String, Sent> outcomes, Channel channel) {
        try {
            for (int k = 0; k < files.size(); k++) {
                TestObjects.Spec spec = specs.get(2 * k + parity);
                Sent sent = channel.send(spec, files.get(k));
                outcomes.put(spec.sopInstanceUid, sent);
                if (k == 4) {
                    assertThat(sent.acknowledged()).as("before the crash: " + sent.answer()).isTrue();
                    warmedUp.countDown();
                }
                if (k == files.size() - 1) {
                    assertThat(databaseBack).as("the outage happened while this channel was sending").isTrue();
                    // the node recovers by itself: within a minute of the restart, a new instance is stored
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!sent.acknowledged() && System.nanoTime() < deadline) {
                        Thread.sleep(500);
                        sent = channel.send(spec, files.get(k));
                        outcomes.put(spec.sopInstanceUid, sent);
                    }
                    assertThat(sent.acknowledged()).as("after the restart: " + sent.answer()).isTrue();
                } else if (k > 4 && !databaseBack.get()) {
                    Thread.sleep(50); // spread the channel over the outage rather than racing through it
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Sent storescu(TestObjects.Spec spec, Path file) throws Exception {
        Instant start = Instant.now();
        Dcmtk.Result r = Dcmtk.run(120, "storescu", "-v", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), file.toString());
        associations.add(new Instant[] {start, Instant.now()});
        boolean success = r.output().contains("Received Store Response (Success)");
        assertThat(r.ok()).as("storescu's exit code agrees with the status: " + r.output()).isEqualTo(success);
        if (!success) {
            assertThat(r.output()).as("a refusal is a DIMSE failure status").contains("Refused: OutOfResources");
        }
        return new Sent(spec, file, success, r.output());
    }

    private Sent stow(TestObjects.Spec spec, Path file) throws Exception {
        Instant start = Instant.now();
        String boundary = "outage-" + spec.sopInstanceUid;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(Files.readAllBytes(file));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> rs = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/dicomweb/studies")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                .header("Accept", "application/dicom+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        stowRequests.add(new Instant[] {start, Instant.now()});
        String answer = rs.statusCode() + " " + rs.headers().map() + " " + rs.body();
        if (rs.statusCode() != 200) {
            assertThat(rs.statusCode()).as(answer).isEqualTo(503);
            assertThat(rs.headers().firstValue("Retry-After")).as(answer).isPresent();
            assertThat(rs.body()).as(answer).doesNotContain("Exception").doesNotContain("\tat ");
        }
        return new Sent(spec, file, rs.statusCode() == 200, answer);
    }

    private long startedAfterCrash(List<Instant[]> spans) {
        synchronized (spans) {
            return spans.stream().filter(t -> t[0].isAfter(crash)).count();
        }
    }

    private long endedAfterCrash(List<Instant[]> spans) {
        synchronized (spans) {
            return spans.stream().filter(t -> t[1].isAfter(crash)).count();
        }
    }

    /** The instance as stored (WADO-URI, application/dicom, as stored), or null when the node has none. */
    private byte[] retrieve(TestObjects.Spec spec) throws Exception {
        HttpResponse<byte[]> rs = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/wado?requestType=WADO&contentType=application/dicom&transferSyntax=*&studyUID=" + spec.studyUid
                + "&seriesUID=" + spec.seriesUid + "&objectUID=" + spec.sopInstanceUid)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (rs.statusCode() == 404) {
            return null;
        }
        assertThat(rs.statusCode()).as(new String(rs.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return rs.body();
    }
}
