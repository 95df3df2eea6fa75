package org.imagingnode.bridge.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.dimse.AeRegistry;
import org.imagingnode.bridge.dimse.StoreScu;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.space.PatientSpacePolicy;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The import job itself, when what it sends does not all arrive: a study of another node whose source delivers
 * some instances only, or none, or whose import is cancelled while it is being fetched; a stored instance that
 * left the store after the job was queued. The destination is a real storescp. The remote study is played by a
 * study stored here (its fetches return the stored instances, fail or wait where a test says), since the fetching
 * over the network is SharingNetworkTest's.
 */
class PacsImportsTest extends TokensNode {
    private static final Caller PROFESSIONAL = new Caller("10021", PatientSpacePolicy.PROFESSIONAL, null, "127.0.0.1");
    private static final AeRegistry.RemoteAe PACS = new AeRegistry.RemoteAe(SITE_PACS, "127.0.0.1", SITE_PACS_PORT);

    @Autowired
    PacsImports imports;

    @Autowired
    StoreScu scu;

    @Autowired
    AccessGuard guard;

    @TempDir
    Path work;

    @Test
    void a_remote_study_is_sent_under_this_nodes_identity_and_instances_its_source_did_not_deliver_fail_the_job()
            throws Exception {
        List<InstanceLocation> stored = storedStudy(3);
        SourceStudy source = new SourceStudy(stored, Set.of(stored.get(2).sopInstanceUid()), null);
        List<Path> received = new ArrayList<>();
        PacsImports.Job done = withPacs(received, () -> awaitOver(imports.start(PROFESSIONAL, "viewer",
                stored.get(0).studyInstanceUid(), source, source.instances(null, null), PACS)));

        assertThat(done.state()).isEqualTo("failed");
        assertThat(done.sourceNode()).isEqualTo("NODE-X");
        assertThat(List.of(done.total(), done.fetched(), done.completed(), done.failed())).containsExactly(3, 2, 2, 1);
        assertThat(done.error()).isEqualTo("1 of 3 instances could not be fetched from node NODE-X");
        assertThat(received).hasSize(2);
        for (Path p : received) {
            DicomDataset ds = TestObjects.read(p);
            assertThat(ds.getString(Tag.PatientID)).isEqualTo("LOCAL-7");
            assertThat(ds.getString(Tag.IssuerOfPatientID)).isEqualTo("SITE-B");
        }
        assertThat(audited(done.studyInstanceUid(), "failure")).singleElement().asString()
                .endsWith(": 2 sent, 0 with warnings, 1 failed (remote study, node NODE-X), patient identity reconciled");
    }

    @Test
    void an_import_cancelled_while_its_study_is_fetched_sends_nothing() throws Exception {
        List<InstanceLocation> stored = storedStudy(3);
        CountDownLatch secondFetch = new CountDownLatch(1);
        SourceStudy source = new SourceStudy(stored, Set.of(), secondFetch);
        List<Path> received = new ArrayList<>();
        PacsImports.Job done = withPacs(received, () -> {
            PacsImports.Job job = imports.start(PROFESSIONAL, "viewer", stored.get(0).studyInstanceUid(), source,
                    source.instances(null, null), PACS);
            awaitState(job.id(), j -> j.fetched() == 1);
            assertThat(imports.cancel(job.id(), PROFESSIONAL.id()).orElseThrow().state()).isEqualTo("cancelling");
            secondFetch.countDown();
            return awaitOver(job);
        });

        assertThat(done.state()).isEqualTo("cancelled");
        assertThat(done.error()).isEqualTo("cancelled while fetching from node NODE-X: nothing sent");
        assertThat(List.of(done.fetched(), done.completed())).containsExactly(2, 0);
        assertThat(received).isEmpty();
        assertThat(audited(done.studyInstanceUid(), "cancelled")).singleElement().asString()
                .endsWith("cancelled while fetching: 2 of 3 fetched, none sent (remote study, node NODE-X)");
    }

    @Test
    void a_remote_study_nothing_of_which_arrives_fails_without_calling_the_pacs() throws Exception {
        List<InstanceLocation> stored = storedStudy(2);
        SourceStudy source = new SourceStudy(stored, Set.of(stored.get(0).sopInstanceUid(),
                stored.get(1).sopInstanceUid()), null);
        // no PACS listens: had the job tried to send, it would fail with "could not send to SITEPACS"
        PacsImports.Job done = awaitOver(imports.start(PROFESSIONAL, "viewer", stored.get(0).studyInstanceUid(),
                source, source.instances(null, null), PACS));

        assertThat(done.state()).isEqualTo("failed");
        assertThat(done.error()).isEqualTo("could not fetch the study from node NODE-X: node NODE-X could not be"
                + " reached: connection refused");
        assertThat(List.of(done.fetched(), done.completed(), done.failed())).containsExactly(0, 0, 2);
    }

    @Test
    void an_instance_removed_from_the_store_after_the_job_was_queued_fails_alone_on_the_same_association()
            throws Exception {
        List<InstanceLocation> stored = storedStudy(3);
        StoredStudy study = StoredStudy.read(index, stored.get(0).studyInstanceUid()).orElseThrow();
        InstanceLocation removed = study.instances().get(1);
        assertThat(blobs.delete(removed.blobKey())).isTrue();
        List<Path> received = new ArrayList<>();
        PacsImports.Job done = withPacs(received, () -> awaitOver(imports.start(PROFESSIONAL, "viewer", study, PACS)));

        assertThat(done.state()).isEqualTo("failed");
        assertThat(List.of(done.completed(), done.failed())).containsExactly(2, 1);
        assertThat(done.error()).isEqualTo("1 of 3 instances not taken by " + SITE_PACS);
        assertThat(received).extracting(p -> p.getFileName().toString().replaceFirst("^[A-Z]{2}\\.", ""))
                .containsExactlyInAnyOrder(study.instances().get(0).sopInstanceUid(),
                        study.instances().get(2).sopInstanceUid());
    }

    @Test
    void imports_still_queued_when_the_node_stops_end_failed_and_audited_rather_than_queued_forever()
            throws Exception {
        List<InstanceLocation> stored = storedStudy(2);
        String study = stored.get(0).studyInstanceUid();
        CountDownLatch secondFetch = new CountDownLatch(1);
        SourceStudy source = new SourceStudy(stored, Set.of(), secondFetch);
        PacsImports node = new PacsImports(jdbc, scu, guard, new PacsImportProperties(null, 1, 5));
        PacsImports.Job running = node.start(PROFESSIONAL, "viewer", study, source, source.instances(null, null), PACS);
        awaitState(running.id(), j -> j.fetched() == 1); // its one worker waits in the second fetch
        PacsImports.Job waiting = node.start(PROFESSIONAL, "viewer", study, source, source.instances(null, null), PACS);
        assertThat(waiting.state()).isEqualTo("queued");

        node.stop();
        secondFetch.countDown();
        PacsImports.Job ended = imports.find(waiting.id(), PROFESSIONAL.id()).orElseThrow();
        assertThat(ended.state()).isEqualTo("failed");
        assertThat(ended.error()).isEqualTo("interrupted: the node stopped before the import started; ask again");
        assertThat(audited(study, "failure")).contains("import to " + SITE_PACS + " (job " + waiting.id()
                + ") not started: the node stopped (remote study, node NODE-X)");
        assertThat(awaitOver(running).state()).as("the one under way ends by itself").isEqualTo("failed");
    }

    /** A study of {@code n} instances in one series, stored here by storescu, in retrieve order. */
    private List<InstanceLocation> storedStudy(int n) throws Exception {
        TestObjects.Spec first = study("IMP-" + System.nanoTime(), "SITE-A", null);
        List<TestObjects.Spec> specs = new ArrayList<>(List.of(first));
        for (int i = 2; i <= n; i++) {
            TestObjects.Spec next = first.sameSeries();
            next.instanceNumber = i;
            specs.add(next);
        }
        store(specs.toArray(TestObjects.Spec[]::new));
        return index.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, first.studyUid)));
    }

    private interface Sending {
        PacsImports.Job call() throws Exception;
    }

    /** Runs {@code sending} with a storescp as the site's PACS, and adds the files it received to {@code received}. */
    private PacsImports.Job withPacs(List<Path> received, Sending sending) throws Exception {
        Path dir = Files.createDirectories(work.resolve("pacs-" + System.nanoTime()));
        Process pacs = Dcmtk.start(work.resolve("storescp.log"), "storescp", "-aet", SITE_PACS, "+xa", "-od",
                dir.toString(), Integer.toString(SITE_PACS_PORT));
        try {
            Dcmtk.awaitListening(SITE_PACS_PORT);
            PacsImports.Job done = sending.call();
            try (Stream<Path> files = Files.list(dir)) {
                received.addAll(files.toList());
            }
            return done;
        } finally {
            pacs.destroy();
            pacs.waitFor();
        }
    }

    private PacsImports.Job awaitOver(PacsImports.Job job) throws Exception {
        return awaitState(job.id(), j -> !List.of("queued", "fetching", "sending", "cancelling").contains(j.state()));
    }

    private PacsImports.Job awaitState(UUID id, Predicate<PacsImports.Job> reached) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            PacsImports.Job j = imports.find(id, PROFESSIONAL.id()).orElseThrow();
            if (reached.test(j)) {
                return j;
            }
            assertThat(System.nanoTime()).as("job " + j).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private List<String> audited(String studyUid, String outcome) {
        return jdbc.queryForList("SELECT detail FROM audit_event WHERE study_uid = ? AND outcome = ? AND actor = ?",
                String.class, studyUid, outcome, PROFESSIONAL.id());
    }

    /**
     * A study "held by NODE-X", played by instances stored here: a fetch returns the stored instance, fails as an
     * unreachable source does for those in {@code failing}, and the second one waits for {@code secondFetch}.
     */
    private static final class SourceStudy implements RemoteStudies.Study {
        private final List<InstanceLocation> stored;
        private final Set<String> failing;
        private final CountDownLatch secondFetch;
        private int fetches;

        SourceStudy(List<InstanceLocation> stored, Set<String> failing, CountDownLatch secondFetch) {
            this.stored = stored;
            this.failing = failing;
            this.secondFetch = secondFetch;
        }

        @Override
        public String sourceNode() {
            return "NODE-X";
        }

        @Override
        public String patient() {
            return "123456789012345^^^&1.2.250.1.213.1.4.8&ISO";
        }

        @Override
        public List<RemoteStudies.Ref> instances(String seriesUid, String sopInstanceUid) {
            return stored.stream().map(i -> new RemoteStudies.Ref(i.seriesInstanceUid(), i.sopInstanceUid())).toList();
        }

        @Override
        public InstanceLocation fetch(RemoteStudies.Ref instance) throws IOException {
            if (++fetches == 2 && secondFetch != null) {
                try {
                    assertThat(secondFetch.await(30, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            if (failing.contains(instance.sopInstanceUid())) {
                throw new IOException("node NODE-X could not be reached: connection refused");
            }
            return stored.stream().filter(i -> i.sopInstanceUid().equals(instance.sopInstanceUid())).findFirst()
                    .orElseThrow();
        }

        @Override
        public PatientIdRewrite reconciledIdentity() {
            return new PatientIdRewrite("LOCAL-7", "SITE-B");
        }

        // not used by imports

        @Override
        public List<JsonNode> instanceAttributes() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void entrust(String viewerTokenId, Instant expiresAt) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RemoteStudies.Study series(String seriesUid) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void proxy(String relativePath, String accept, String thisBase, HttpServletResponse response) {
            throw new UnsupportedOperationException();
        }
    }
}
