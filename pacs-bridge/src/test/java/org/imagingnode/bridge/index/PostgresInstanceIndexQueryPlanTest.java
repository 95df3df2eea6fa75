package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imagingnode.bridge.index.TestInstances.instance;
import static org.imagingnode.bridge.index.TestInstances.uid;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;

import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queries the node answers most reach every table through an index, so that their cost follows
 * the size of the answer, not of the archive. Checked on the plans PostgreSQL chooses when sequential
 * scans are priced out (a table with no usable index is still scanned, and shows). How fast they are
 * is measured by the benchmarks (bench/dimse, bench/dicomweb: latency at 2k, 100k and 1M instances),
 * never by a timed test.
 */
class PostgresInstanceIndexQueryPlanTest {
    private static final DataSource DB = TestPostgres.get().dataSource();
    private static final PostgresInstanceIndex INDEX = new PostgresInstanceIndex(DB);
    private static final List<String> PATIENTS = new ArrayList<>();
    private static final List<String> STUDIES = new ArrayList<>();
    private static final Set<IndexAttribute> STUDY_KEYS = Set.of(IndexAttribute.StudyDate, IndexAttribute.StudyTime,
            IndexAttribute.AccessionNumber, IndexAttribute.StudyDescription, IndexAttribute.PatientName,
            IndexAttribute.PatientBirthDate, IndexAttribute.ModalitiesInStudy,
            IndexAttribute.NumberOfStudyRelatedSeries, IndexAttribute.NumberOfStudyRelatedInstances);

    @BeforeAll
    static void indexAnArchive() {
        String prefix = TestInstances.token() + "-";
        for (int p = 0; p < 100; p++) {
            String patientId = prefix + p;
            PATIENTS.add(patientId);
            for (int s = 0; s < 2; s++) {
                String study = uid();
                STUDIES.add(study);
                for (int r = 0; r < 2; r++) {
                    String series = uid();
                    for (int i = 1; i <= 5; i++) {
                        INDEX.upsert(instance().patient(patientId, "Plan^Patient" + p).study(study)
                                .studyDate(LocalDate.of(2020, 1, 1).plusDays(p * 2L + s)).accession("ACC" + p + "-" + s)
                                .series(series, r == 0 ? "CT" : "MR", r + 1).sop(uid(), TestInstances.CT_IMAGE, i).build());
                    }
                }
            }
        }
        TestPostgres.get().jdbc().execute("ANALYZE patient; ANALYZE study; ANALYZE series; ANALYZE instance");
    }

    @Test
    void aStudySearchByPatientIdWithTheUsualReturnKeysUsesIndexesOnly() throws SQLException {
        IndexQuery query = new IndexQuery(QueryLevel.STUDY,
                List.of(new Condition.SingleValue(IndexAttribute.PatientID, PATIENTS.get(42))), STUDY_KEYS, 0, 0);

        assertThat(INDEX.find(query)).hasSize(2)
                .allSatisfy(row -> assertThat(row.get(IndexAttribute.NumberOfStudyRelatedInstances)).isEqualTo(10));
        assertThat(plan(IndexSql.find(query))).doesNotContain("Seq Scan");
    }

    @Test
    void aStudySearchByExactPatientNameUsesIndexesOnly() throws SQLException {
        IndexQuery query = new IndexQuery(QueryLevel.STUDY,
                List.of(new Condition.SingleValue(IndexAttribute.PatientName, "plan^patient42")), STUDY_KEYS, 0, 0);

        assertThat(INDEX.find(query)).extracting(row -> row.get(IndexAttribute.PatientID)).contains(PATIENTS.get(42));
        assertThat(plan(IndexSql.find(query))).doesNotContain("Seq Scan");
    }

    @Test
    void aStudyByItsUidAndItsSeriesAndInstancesUseIndexesOnly() throws SQLException {
        String study = STUDIES.get(77);
        var byUid = List.<Condition>of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, study));

        assertThat(plan(IndexSql.find(new IndexQuery(QueryLevel.STUDY, byUid, STUDY_KEYS, 0, 0))))
                .doesNotContain("Seq Scan");
        assertThat(plan(IndexSql.find(new IndexQuery(QueryLevel.SERIES, byUid,
                Set.of(IndexAttribute.Modality, IndexAttribute.NumberOfSeriesRelatedInstances), 0, 0))))
                .doesNotContain("Seq Scan");
        assertThat(INDEX.locate(byUid)).hasSize(10);
        assertThat(plan(IndexSql.locate(byUid))).doesNotContain("Seq Scan");
    }

    @Test
    void theIdempotencyLookUpOfEveryIngestUsesAnIndex() throws SQLException {
        String sop = INDEX.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, STUDIES.get(3))))
                .get(0).sopInstanceUid();
        var bySop = List.<Condition>of(new Condition.SingleValue(IndexAttribute.SOPInstanceUID, sop));

        assertThat(INDEX.findInstance(sop)).isPresent();
        assertThat(plan(IndexSql.locate(bySop))).doesNotContain("Seq Scan");
    }

    @Test
    void theManifestPollLooksOnlyAtStudiesHoldingAnInstanceNoManifestSaw() throws SQLException {
        String source = "imaging-node:manifest";
        String poll = plan(PostgresInstanceIndex.CHANGED_SINCE_DERIVED, ps -> {
            ps.setString(1, source);
            ps.setTimestamp(2, Timestamp.from(Instant.now()));
            for (int k = 3; k <= 7; k++) {
                ps.setString(k, source);
            }
            ps.setInt(8, 100);
        });
        // the candidates come from the partial index of the instances awaiting their study's manifest, not from a
        // pass over every instance of the archive
        assertThat(poll).contains("instance_awaits_derived_idx");
    }

    /** The plan PostgreSQL chooses with sequential scans priced out. */
    private static String plan(IndexSql.Statement statement) throws SQLException {
        return plan(statement.sql(), ps -> PostgresInstanceIndex.prepare(ps, statement.params()));
    }

    private interface Binding {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static String plan(String sql, Binding binding) throws SQLException {
        try (Connection con = DB.getConnection()) {
            con.setAutoCommit(false);
            try (Statement set = con.createStatement()) {
                set.execute("SET LOCAL enable_seqscan = off");
            }
            StringBuilder plan = new StringBuilder();
            try (PreparedStatement ps = con.prepareStatement("EXPLAIN " + sql)) {
                binding.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
            } finally {
                con.rollback();
                con.setAutoCommit(true);
            }
            return plan.toString();
        }
    }
}
