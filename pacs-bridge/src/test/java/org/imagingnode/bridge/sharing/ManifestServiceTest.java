package org.imagingnode.bridge.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.index.IndexedInstance;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.index.PatientIndex;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A study's manifest: a Key Object Selection document "Manifest" (113030) that references every
 * instance with its retrieve location, stored like any instance, rebuilt when the study changes.
 * Read back with DCMTK's dcmdump, an independent parser.
 */
class ManifestServiceTest extends NodeIntegrationTest {

    @TempDir
    Path work;

    @Autowired
    ManifestService manifests;

    @Autowired
    SharingProperties sharing;

    @Autowired
    PatientIndex patientIndex;

    private List<TestObjects.Spec> storeStudy(int firstSeries, int secondSeries) throws Exception {
        List<TestObjects.Spec> specs = new ArrayList<>();
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 64;
        s.columns = 64;
        for (int i = 0; i < firstSeries + secondSeries; i++) {
            if (i == firstSeries) {
                s.seriesUid = TestObjects.uid();
                s.seriesNumber = 2;
            }
            specs.add(s);
            s = s.sameSeries();
        }
        store(specs);
        return specs;
    }

    private void store(List<TestObjects.Spec> specs) throws Exception {
        List<String> files = new ArrayList<>();
        for (TestObjects.Spec s : specs) {
            files.add(TestObjects.write(s, work.resolve(s.sopInstanceUid + ".dcm")).toString());
        }
        Dcmtk.Result r = Dcmtk.run(60, Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), files).toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    /** The study's manifest: there is one, a superseded one is removed. */
    private String manifestUid(String studyUid) {
        Set<String> manifests = index.derivedInstances(studyUid, ManifestService.SOURCE);
        assertThat(manifests).hasSize(1);
        return manifests.iterator().next();
    }

    /** Values of one attribute wherever it occurs in the stored manifest, as dcmdump prints them. */
    private List<String> manifestValues(String studyUid, String tag) throws Exception {
        InstanceLocation manifest = index.findInstance(manifestUid(studyUid)).orElseThrow();
        Path copy = work.resolve("manifest-" + System.nanoTime() + ".dcm");
        try (InputStream in = blobs.get(manifest.blobKey())) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        Dcmtk.Result dump = Dcmtk.run(30, "dcmdump", "-Un", "+L", "+P", tag, copy.toString());
        assertThat(dump.ok()).as(dump.output()).isTrue();
        return Arrays.stream(dump.output().split("\n")).filter(l -> l.contains("["))
                .map(l -> l.substring(l.indexOf('[') + 1, l.lastIndexOf(']'))).toList();
    }

    @Test
    void theManifestReferencesEveryInstanceWithWhereToRetrieveIt() throws Exception {
        List<TestObjects.Spec> specs = storeStudy(2, 1);
        String study = specs.get(0).studyUid;

        assertThat(manifests.rebuild(study)).get().extracting(IngestResult::outcome)
                .isEqualTo(IngestResult.Outcome.STORED);

        assertThat(manifestValues(study, "0008,0016")).containsExactly("1.2.840.10008.5.1.4.1.1.88.59");
        assertThat(manifestValues(study, "0008,0100")).contains("113030");
        assertThat(manifestValues(study, "0008,0104")).contains("Manifest");
        assertThat(manifestValues(study, "0008,1155")).as("referenced in the evidence and in the content tree")
                .hasSize(6).containsAll(specs.stream().map(s -> s.sopInstanceUid).toList());
        assertThat(manifestValues(study, "0008,1190")).containsExactlyInAnyOrder(
                sharing.retrieveUrl() + "/studies/" + study + "/series/" + specs.get(0).seriesUid,
                sharing.retrieveUrl() + "/studies/" + study + "/series/" + specs.get(2).seriesUid);
        assertThat(manifestValues(study, "0008,0054")).containsOnly(NODE_AE).hasSize(2);
        assertThat(manifestValues(study, "0010,0020")).containsExactly(specs.get(0).patientId);
    }

    @Test
    void aStudyThatChangesGetsItsManifestRebuiltAndAnUnchangedOneDoesNot() throws Exception {
        List<TestObjects.Spec> specs = storeStudy(2, 0);
        String study = specs.get(0).studyUid;
        Instant later = Instant.now().plusSeconds(1);
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, later, 10_000)).contains(study);
        manifests.rebuildDue(later);
        assertThat(manifestValues(study, "0008,1155")).hasSize(4);
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, Instant.now().plusSeconds(1), 10_000))
                .as("built, nothing changed since").doesNotContain(study);
        String first = manifestUid(study);
        assertThat(manifests.rebuild(study)).as("built again saying the same: the same object").get()
                .extracting(IngestResult::success, IngestResult::sopInstanceUid).containsExactly(true, first);

        TestObjects.Spec added = specs.get(1).sameSeries();
        store(List.of(added));
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, Instant.now().plusSeconds(1), 10_000))
                .contains(study);
        String firstBlob = index.findInstance(first).orElseThrow().blobKey();
        IngestResult rebuilt = manifests.rebuild(study).orElseThrow();
        assertThat(rebuilt.outcome()).as("saying something else: a new object").isEqualTo(IngestResult.Outcome.STORED);
        assertThat(rebuilt.sopInstanceUid()).isNotEqualTo(first).isEqualTo(manifestUid(study));
        assertThat(index.findInstance(first)).as("the previous manifest is removed").isEmpty();
        assertThat(blobs.stat(firstBlob)).isEmpty();
        assertThat(manifestValues(study, "0008,1155")).hasSize(6).contains(added.sopInstanceUid);
    }

    @Test
    void theIndexEntryNamesTheRebuiltManifest() throws Exception {
        NationalId person = newPerson();
        TestObjects.Spec s = imageOf(person);
        store(List.of(s));
        String first = manifests.rebuild(s.studyUid).orElseThrow().sopInstanceUid();
        awaitEntry(person, first);

        store(List.of(s.sameSeries()));
        String second = manifests.rebuild(s.studyUid).orElseThrow().sopInstanceUid();
        assertThat(second).isNotEqualTo(first);
        awaitEntry(person, second);
        assertThat(patientIndex.entries(person)).singleElement()
                .satisfies(e -> assertThat(e.numberOfInstances()).isEqualTo(2));
    }

    private static NationalId newPerson() {
        return new NationalId("1" + (System.nanoTime() % 100_000_000_000_000L), SpaceProperties.INS_NIR);
    }

    /** A small image of a new study of the person (linked to them by its OtherPatientIDsSequence, so published). */
    private static TestObjects.Spec imageOf(NationalId person) {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        s.otherPatientIds.add(new String[] {person.id(), person.issuer(), null});
        return s;
    }

    /** Waits for the index entry of the person's one study to name that manifest. */
    private void awaitEntry(NationalId person, String manifestUid) throws InterruptedException {
        for (int i = 0; i < 100 && patientIndex.entries(person).stream()
                .noneMatch(e -> e.manifestSopInstanceUid().equals(manifestUid)); i++) {
            Thread.sleep(100); // delivered from the outbox by the publisher's thread
        }
        assertThat(patientIndex.entries(person)).extracting(IndexEntry::manifestSopInstanceUid)
                .containsExactly(manifestUid);
    }

    /**
     * An instance whose transaction began before the manifest was built and committed after it (ingest commits once
     * the blob is durable) was not referenced: its study is due again, although its received_at is older than the
     * manifest.
     */
    @Test
    @Timeout(120)
    void anInstanceCommittedWhileTheManifestWasBuiltMakesTheStudyDueAgain() throws Exception {
        List<TestObjects.Spec> specs = storeStudy(2, 0);
        String study = specs.get(0).studyUid;
        TestObjects.Spec late = specs.get(1).sameSeries();
        Path file = TestObjects.write(late, work.resolve("late.dcm"));
        String key = "test/" + late.sopInstanceUid;
        long size = Files.size(file);
        blobs.putFile(key, file);
        IndexedInstance row = new IndexedInstance(late.patientId, late.issuer, null, null, null, study, null, null,
                null, null, null, null, late.seriesUid, null, null, null, null, late.sopInstanceUid, late.sopClassUid,
                null, null, null, null, TransferSyntax.EXPLICIT_VR_LE, null, key, size, null, 0, "STORESCU");
        CountDownLatch inserted = new CountDownLatch(1);
        CompletableFuture<Void> durable = new CompletableFuture<>() {
            @Override
            public Void join() {
                inserted.countDown(); // the row is written, uncommitted: ingest waits here for the blob flush
                return super.join();
            }
        };
        ExecutorService ingest = Executors.newSingleThreadExecutor();
        try {
            Future<?> upsert = ingest.submit(() -> index.upsert(row, durable));
            assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();

            assertThat(manifests.rebuild(study)).get().extracting(IngestResult::success).isEqualTo(true);
            assertThat(manifestValues(study, "0008,1155")).as("built without the uncommitted instance").hasSize(4)
                    .doesNotContain(late.sopInstanceUid);

            durable.complete(null);
            upsert.get(30, TimeUnit.SECONDS);
        } finally {
            ingest.shutdownNow();
        }
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, Instant.now().plusSeconds(1), 100_000))
                .as("due: it holds an instance its manifest does not reference").contains(study);

        manifests.rebuild(study);
        assertThat(manifestValues(study, "0008,1155")).hasSize(6).contains(late.sopInstanceUid);
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, Instant.now().plusSeconds(1), 100_000))
                .doesNotContain(study);
    }

    @Test
    void aStudyStillReceivingIsNotComplete() throws Exception {
        List<TestObjects.Spec> specs = storeStudy(1, 0);
        assertThat(index.studiesChangedSinceDerived(ManifestService.SOURCE, Instant.now().minusSeconds(60), 10_000))
                .doesNotContain(specs.get(0).studyUid);
    }

    @Test
    void aValidatedReportBuildsTheManifestAtOnceAndItCarriesTheNationalIdentifier() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        s.issuer = "SITE-M";
        s.accession = "A" + (System.nanoTime() % 1_000_000_000L);
        s.otherPatientIds.add(new String[] {"1" + (System.nanoTime() % 100_000_000_000_000L),
                SpaceProperties.INS_NIR, null});
        store(List.of(s));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> rs = http.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + httpPort + "/api/sharing/report-validated?accessionNumber=" + s.accession))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        assertThat(rs.body()).contains(manifestUid(s.studyUid));
        assertThat(manifestValues(s.studyUid, "0008,1155")).contains(s.sopInstanceUid);
        // OtherPatientIDsSequence > PatientID, IssuerOfPatientID, and the issuer's UniversalEntityID
        assertThat(manifestValues(s.studyUid, "0010,0020")).contains(s.otherPatientIds.get(0)[0]);
        assertThat(manifestValues(s.studyUid, "0040,0032")).containsExactly(s.otherPatientIds.get(0)[1]);

        for (String bad : new String[] {"/api/sharing/report-validated?accessionNumber=NOPE-" + System.nanoTime() % 1000,
            "/api/sharing/studies/1.2.3.999999/report-validated"}) {
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + bad))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).as(bad).isEqualTo(404);
        }
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/api/sharing/studies/not-a-uid/report-validated")).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    }

    @Test
    void aStudyDescriptionWithControlCharactersOrOverLongIsPublishedCleanedRatherThanRefused() throws Exception {
        NationalId person = newPerson();
        TestObjects.Spec s = imageOf(person);
        s.studyDescription = "CT\tThorax\r\nfollow-up " + "x".repeat(2 * IndexEntry.DESCRIPTION_MAX);
        store(List.of(s));
        assertThat(jdbc.queryForObject("SELECT study_description FROM study WHERE study_instance_uid = ?", String.class,
                s.studyUid)).as("stored as sent").startsWith("CT\tThorax\r\n");

        HttpResponse<String> rs = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + httpPort + "/api/sharing/studies/" + s.studyUid + "/report-validated"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);

        awaitEntry(person, manifestUid(s.studyUid));
        assertThat(patientIndex.entries(person)).singleElement().satisfies(e -> {
            assertThat(e.studyInstanceUid()).isEqualTo(s.studyUid);
            assertThat(e.studyDescription()).startsWith("CT Thorax  follow-up xxx")
                    .hasSize(IndexEntry.DESCRIPTION_MAX);
        });
    }
}
