package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagingnode.bridge.index.TestInstances.instance;
import static org.imagingnode.bridge.index.TestInstances.token;
import static org.imagingnode.bridge.index.TestInstances.uid;

import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/** Ingest writes the index with {@link PostgresInstanceIndex#upsert}: insert, idempotent re-send, replacement. */
class PostgresInstanceIndexUpsertTest {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(4);

    private final PostgresInstanceIndex index = new PostgresInstanceIndex(TestPostgres.get().dataSource());
    private final JdbcTemplate jdbc = TestPostgres.get().jdbc();

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    @Test
    void aNewInstanceCreatesItsPatientStudySeriesAndInstanceRowsAndReplacesNothing() {
        IndexedInstance ct = instance().patient(token(), "Doe^Jane").accession("A1").build();

        assertThat(index.upsert(ct)).isEmpty();

        assertThat(index.findInstance(ct.sopInstanceUid())).contains(new InstanceLocation(ct.studyInstanceUid(),
                ct.seriesInstanceUid(), ct.sopInstanceUid(), ct.sopClassUid(), ct.transferSyntaxUid(), ct.blobKey(),
                ct.blobSize(), ct.sha256(), ct.datasetOffset()));
        assertThat(jdbc.queryForObject("SELECT count(*) FROM patient WHERE patient_id = ?", Integer.class, ct.patientId()))
                .isEqualTo(1);
        assertThat(jdbc.queryForMap("SELECT source_ae, specific_character_set, pixel_rows, pixel_columns, received_at"
                + " FROM instance WHERE sop_instance_uid = ?", ct.sopInstanceUid()))
                .containsEntry("source_ae", "MODALITY1").containsEntry("specific_character_set", "ISO_IR 192")
                .containsEntry("pixel_rows", 512).containsEntry("pixel_columns", 512)
                .extractingByKey("received_at").isNotNull();
    }

    @Test
    void anInstanceAwaitsItsStudysNextManifestUntilABuildSawItAndAgainOnceSentWithOtherContent() {
        IndexedInstance ct = instance().patient(token(), "Doe^Jane").build();
        index.upsert(ct);
        assertThat(awaitsDerived(ct.sopInstanceUid())).isTrue();

        index.markSeenByDerived(List.of(ct.sopInstanceUid()));
        assertThat(awaitsDerived(ct.sopInstanceUid())).isFalse();
        index.upsert(ct); // the same content again: nothing changes
        assertThat(awaitsDerived(ct.sopInstanceUid())).isFalse();
        // sent again into another series of its study: its study's manifest must say so
        index.upsert(instance().patient(ct.patientId(), "Doe^Jane").study(ct.studyInstanceUid())
                .series(uid(), "CT", 2).sop(ct.sopInstanceUid()).build());
        assertThat(awaitsDerived(ct.sopInstanceUid())).isTrue();
    }

    private boolean awaitsDerived(String sopInstanceUid) {
        return jdbc.queryForObject("SELECT awaits_derived FROM instance WHERE sop_instance_uid = ?", Boolean.class,
                sopInstanceUid);
    }

    @Test
    void theRowsAreWrittenWhileTheBytesAreFlushedButCommittedOnlyOnceTheyAreDurable() throws Exception {
        IndexedInstance ct = instance().patient(token(), "Doe^Jane").build();
        CompletableFuture<Void> bytesDurable = new CompletableFuture<>();

        Future<Optional<String>> upsert = POOL.submit(() -> index.upsert(ct, bytesDurable));
        // the upsert has run and its transaction waits for the bytes
        for (int polls = 0; polls < 600 && !waitingInTransaction(); polls++) {
            Thread.sleep(50);
        }
        assertThat(waitingInTransaction()).as("the upsert's transaction, open and idle").isTrue();
        assertThat(index.findInstance(ct.sopInstanceUid())).isEmpty();

        bytesDurable.complete(null);
        assertThat(upsert.get(30, TimeUnit.SECONDS)).isEmpty();
        assertThat(index.findInstance(ct.sopInstanceUid())).isPresent();
    }

    private boolean waitingInTransaction() {
        return jdbc.queryForObject("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
                + " AND query LIKE '%index_store_instance%'", Integer.class) > 0;
    }

    @Test
    void whenTheBytesCannotBeMadeDurableNothingIsIndexed() {
        IndexedInstance ct = instance().patient(token(), "Doe^Jane").build();

        assertThatThrownBy(() -> index.upsert(ct, CompletableFuture.failedFuture(new IOException("disk full"))))
                .isInstanceOf(CompletionException.class).hasRootCauseMessage("disk full");
        assertThat(index.findInstance(ct.sopInstanceUid())).isEmpty();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM patient WHERE patient_id = ?", Integer.class, ct.patientId()))
                .isZero();
    }

    @Test
    void instancesOfOneStudyShareTheirPatientStudyAndSeriesRows() {
        String patientId = token();
        String study = uid();
        String series = uid();
        for (int n = 1; n <= 3; n++) {
            index.upsert(instance().patient(patientId, "Doe^Jane").study(study).series(series, "CT", 1)
                    .sop(uid(), TestInstances.CT_IMAGE, n).build());
        }
        index.upsert(instance().patient(patientId, "Doe^Jane").study(study).series(uid(), "SR", 99)
                .sop(uid(), TestInstances.SR_DOCUMENT, 1).build());

        assertThat(jdbc.queryForObject("SELECT count(*) FROM patient WHERE patient_id = ?", Integer.class, patientId))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM study WHERE study_instance_uid = ?", Integer.class, study))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM series s JOIN study t ON t.pk = s.study_fk"
                + " WHERE t.study_instance_uid = ?", Integer.class, study)).isEqualTo(2);
        assertThat(index.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, study)))).hasSize(4);
    }

    @Test
    void reSendingAnIdenticalInstanceIsIdempotentAndWritesNoRow() {
        IndexedInstance ct = instance().build();
        index.upsert(ct);
        List<Long> versionsBefore = rowVersions(ct);

        assertThat(index.upsert(ct)).isEmpty();

        assertThat(rowVersions(ct)).as("xmin of the patient, study, series and instance rows").isEqualTo(versionsBefore);
    }

    @Test
    void reSendingAnInstanceUnderANewBlobKeyReplacesItAndReturnsTheKeyItReplaced() {
        String sop = uid();
        IndexedInstance first = instance().sop(sop).blob("blobs/first").build();
        index.upsert(first);

        Optional<String> replaced = index.upsert(instance().study(first.studyInstanceUid())
                .series(first.seriesInstanceUid(), "CT", 1).patient(first.patientId(), first.patientName())
                .sop(sop).blob("blobs/second").transferSyntax("1.2.840.10008.1.2.4.50").build());

        assertThat(replaced).contains("blobs/first");
        InstanceLocation now = index.findInstance(sop).orElseThrow();
        assertThat(now.blobKey()).isEqualTo("blobs/second");
        assertThat(now.transferSyntaxUid()).isEqualTo("1.2.840.10008.1.2.4.50");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM instance WHERE sop_instance_uid = ?", Integer.class, sop))
                .isEqualTo(1);
    }

    @Test
    void changedAttributesUnderTheSameBlobKeyAreUpdatedWithoutReportingAReplacedBlob() {
        IndexedInstance first = instance().blob("blobs/same").frames(1).build();
        index.upsert(first);

        Optional<String> replaced = index.upsert(instance().patient(first.patientId(), first.patientName())
                .study(first.studyInstanceUid()).series(first.seriesInstanceUid(), "CT", 1)
                .sop(first.sopInstanceUid()).blob("blobs/same").frames(3).build());

        assertThat(replaced).isEmpty();
        assertThat(jdbc.queryForObject("SELECT number_of_frames FROM instance WHERE sop_instance_uid = ?", Integer.class,
                first.sopInstanceUid())).isEqualTo(3);
    }

    @Test
    void studyAttributesFollowTheLatestInstanceButAnAbsentValueNeverErasesAStoredOne() {
        IndexedInstance first = instance().studyDescription("CT THORAX").accession("ACC-1").build();
        index.upsert(first);
        index.upsert(instance().patient(first.patientId(), first.patientName()).study(first.studyInstanceUid())
                .studyDescription(null).accession("ACC-2").build());

        assertThat(jdbc.queryForMap("SELECT study_description, accession_number FROM study WHERE study_instance_uid = ?",
                first.studyInstanceUid()))
                .containsEntry("study_description", "CT THORAX")
                .containsEntry("accession_number", "ACC-2");
    }

    @Test
    void anInstanceClaimingAnotherPatientForAnExistingStudyDoesNotMoveTheStudy() {
        IndexedInstance first = instance().patient(token(), "First^Patient").build();
        index.upsert(first);
        String otherPatient = token();

        index.upsert(instance().patient(otherPatient, "Other^Patient").study(first.studyInstanceUid())
                .series(first.seriesInstanceUid(), "CT", 1).build());

        List<IndexRow> studies = index.find(new IndexQuery(QueryLevel.STUDY,
                List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, first.studyInstanceUid())),
                Set.of(IndexAttribute.NumberOfStudyRelatedInstances), 0, 0));
        assertThat(studies).singleElement().satisfies(row -> {
            assertThat(row.get(IndexAttribute.PatientID)).isEqualTo(first.patientId());
            assertThat(row.get(IndexAttribute.NumberOfStudyRelatedInstances)).isEqualTo(2);
        });
    }

    @Test
    void anAbsentPatientIdOrIssuerIsIndexedAsEmptyAndReturnedAsAbsent() {
        IndexedInstance anonymous = instance().patient(null, "Unknown^Patient").build();
        index.upsert(anonymous);

        IndexRow row = index.find(new IndexQuery(QueryLevel.STUDY,
                List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, anonymous.studyInstanceUid())),
                Set.of(IndexAttribute.PatientName), 0, 0)).get(0);
        assertThat(row.values()).doesNotContainKeys(IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID)
                .containsEntry(IndexAttribute.PatientName, "Unknown^Patient");
    }

    @Test
    void theSamePatientIdFromTwoIssuersIsTwoPatients() {
        String id = token();
        index.upsert(instance().patient(id, "A^A").issuer("HOSPITAL-A").build());
        index.upsert(instance().patient(id, "B^B").issuer("HOSPITAL-B").build());

        List<IndexRow> patients = index.find(new IndexQuery(QueryLevel.PATIENT,
                List.of(new Condition.SingleValue(IndexAttribute.PatientID, id)), Set.of(IndexAttribute.PatientName), 0, 0));
        assertThat(patients).extracting(r -> r.get(IndexAttribute.IssuerOfPatientID))
                .containsExactly("HOSPITAL-A", "HOSPITAL-B");
    }

    @Test
    void anInstanceWithoutItsUniqueKeysOrBlobIsRefused() {
        IndexedInstance noStudy = instance().study(null).build();
        IndexedInstance noBlob = instance().blob(" ").build();
        IndexedInstance negativeSize = new IndexedInstance("P", null, null, null, null, uid(), null, null, null, null,
                null, null, uid(), null, null, null, null, uid(), null, null, null, null, null,
                TestInstances.EXPLICIT_LE, null, "k", -1, null, 0, null);

        assertThatThrownBy(() -> index.upsert(noStudy)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("StudyInstanceUID");
        assertThatThrownBy(() -> index.upsert(noBlob)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blob key");
        assertThatThrownBy(() -> index.upsert(negativeSize)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fourAssociationsStoringOneNewStudyConcurrentlyAllSucceedWithOneRowPerEntity() throws Exception {
        for (int round = 0; round < 5; round++) {
            String patientId = token();
            String study = uid();
            String sharedSeries = uid();
            int threads = 4;
            int perThread = 30;
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String ownSeries = uid();
                results.add(POOL.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int n = 0; n < perThread; n++) {
                        boolean shared = n % 2 == 0;
                        index.upsert(instance().patient(patientId, "Concurrent^Test").study(study)
                                .series(shared ? sharedSeries : ownSeries, "CT", shared ? 1 : 2)
                                .sop(uid(), TestInstances.CT_IMAGE, n).build());
                    }
                    return perThread;
                }));
            }
            int stored = 0;
            for (Future<Integer> f : results) {
                stored += f.get(60, TimeUnit.SECONDS);
            }

            assertThat(stored).isEqualTo(threads * perThread);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM patient WHERE patient_id = ?", Integer.class, patientId))
                    .isEqualTo(1);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM study WHERE study_instance_uid = ?", Integer.class, study))
                    .isEqualTo(1);
            IndexRow row = index.find(new IndexQuery(QueryLevel.STUDY,
                    List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, study)),
                    Set.of(IndexAttribute.NumberOfStudyRelatedSeries, IndexAttribute.NumberOfStudyRelatedInstances), 0, 0))
                    .get(0);
            assertThat(row.get(IndexAttribute.NumberOfStudyRelatedSeries)).isEqualTo(1 + threads);
            assertThat(row.get(IndexAttribute.NumberOfStudyRelatedInstances)).isEqualTo(threads * perThread);
        }
    }

    @Test
    void concurrentReplacementsOfOneInstanceReportEverySupersededBlobExactlyOnce() throws Exception {
        IndexedInstance original = instance().blob("blobs/v0").build();
        index.upsert(original);
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Optional<String>>> results = new ArrayList<>();
        for (int t = 1; t <= threads; t++) {
            String key = "blobs/v" + t;
            results.add(POOL.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return index.upsert(instance().patient(original.patientId(), original.patientName())
                        .study(original.studyInstanceUid()).series(original.seriesInstanceUid(), "CT", 1)
                        .sop(original.sopInstanceUid()).blob(key).build());
            }));
        }
        List<String> superseded = Collections.synchronizedList(new ArrayList<>());
        for (Future<Optional<String>> f : results) {
            superseded.add(f.get(30, TimeUnit.SECONDS).orElseThrow());
        }
        String current = index.findInstance(original.sopInstanceUid()).orElseThrow().blobKey();

        Set<String> all = new HashSet<>(superseded);
        all.add(current);
        assertThat(superseded).doesNotHaveDuplicates().doesNotContain(current);
        assertThat(all).containsExactlyInAnyOrder("blobs/v0", "blobs/v1", "blobs/v2", "blobs/v3", "blobs/v4");
    }

    @Test
    void datesAreStoredAsDates() {
        IndexedInstance ct = instance().studyDate(LocalDate.of(2023, 12, 31)).birthDate(LocalDate.of(1901, 2, 3)).build();
        index.upsert(ct);

        assertThat(jdbc.queryForObject("SELECT study_date FROM study WHERE study_instance_uid = ?", LocalDate.class,
                ct.studyInstanceUid())).isEqualTo(LocalDate.of(2023, 12, 31));
        assertThat(jdbc.queryForObject("SELECT pg_typeof(birth_date)::text FROM patient WHERE patient_id = ?",
                String.class, ct.patientId())).isEqualTo("date");
    }

    private List<Long> rowVersions(IndexedInstance in) {
        return jdbc.queryForList("SELECT xmin::text::bigint FROM patient WHERE patient_id = ?"
                + " UNION ALL SELECT xmin::text::bigint FROM study WHERE study_instance_uid = ?"
                + " UNION ALL SELECT xmin::text::bigint FROM series WHERE series_instance_uid = ?"
                + " UNION ALL SELECT xmin::text::bigint FROM instance WHERE sop_instance_uid = ?", Long.class,
                in.patientId(), in.studyInstanceUid(), in.seriesInstanceUid(), in.sopInstanceUid());
    }
}
