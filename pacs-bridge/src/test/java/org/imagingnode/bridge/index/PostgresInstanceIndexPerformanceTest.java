package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imagingnode.bridge.index.TestInstances.instance;
import static org.imagingnode.bridge.index.TestInstances.uid;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Performance targets of the index, on the shared test database (durable settings: fsync and
 * synchronous_commit on, one commit per instance, as ingest does):
 * ingest of 2000 instances over one connection, then a study query by PatientID with a
 * C-FIND-like set of return keys, p99 at most 5 ms (best of three rounds).
 */
class PostgresInstanceIndexPerformanceTest {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresInstanceIndexPerformanceTest.class);

    private final PostgresInstanceIndex index = new PostgresInstanceIndex(TestPostgres.get().dataSource());

    @Test
    void ingestOf2000InstancesThenStudyQueriesByPatientIdWithinFiveMillisecondsAtP99() {
        String prefix = TestInstances.token() + "-";
        List<String> patients = new ArrayList<>();
        long start = System.nanoTime();
        int stored = 0;
        for (int p = 0; p < 100; p++) {
            String patientId = prefix + p;
            patients.add(patientId);
            for (int s = 0; s < 2; s++) {
                String study = uid();
                for (int r = 0; r < 2; r++) {
                    String series = uid();
                    for (int i = 1; i <= 5; i++) {
                        index.upsert(instance().patient(patientId, "Perf^Patient" + p).study(study)
                                .studyDate(LocalDate.of(2020, 1, 1).plusDays(p * 2L + s)).accession("ACC" + p + "-" + s)
                                .series(series, r == 0 ? "CT" : "MR", r + 1).sop(uid(), TestInstances.CT_IMAGE, i).build());
                        stored++;
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = stored / seconds;
        LOG.info("index ingest: {} instances in {} s = {} instances/s (one connection, one commit each)", stored,
                String.format("%.2f", seconds), String.format("%.0f", rate));
        TestPostgres.get().jdbc().execute("ANALYZE patient; ANALYZE study; ANALYZE series; ANALYZE instance");

        Set<IndexAttribute> returned = Set.of(IndexAttribute.StudyDate, IndexAttribute.StudyTime,
                IndexAttribute.AccessionNumber, IndexAttribute.StudyDescription, IndexAttribute.PatientName,
                IndexAttribute.PatientBirthDate, IndexAttribute.ModalitiesInStudy,
                IndexAttribute.NumberOfStudyRelatedSeries, IndexAttribute.NumberOfStudyRelatedInstances);
        for (int q = 0; q < 100; q++) { // warm-up: JIT, prepared statements, caches
            query(patients.get(q % patients.size()), returned);
        }
        // Three rounds of 400 queries; the best round's p99 is asserted, so that a burst of load from other
        // processes on this 2-core machine (concurrent builds) does not fail the test. All rounds are logged.
        double p99 = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long[] nanos = new long[400];
            for (int q = 0; q < nanos.length; q++) {
                long t0 = System.nanoTime();
                List<IndexRow> rows = query(patients.get((q * 37 + round) % patients.size()), returned);
                nanos[q] = System.nanoTime() - t0;
                assertThat(rows).hasSize(2);
            }
            Arrays.sort(nanos);
            double p50 = nanos[nanos.length / 2] / 1e6;
            double roundP99 = nanos[(int) Math.ceil(nanos.length * 0.99) - 1] / 1e6;
            LOG.info("study query by PatientID, round {}: p50 {} ms, p99 {} ms", round, String.format("%.3f", p50),
                    String.format("%.3f", roundP99));
            p99 = Math.min(p99, roundP99);
        }

        assertThat(stored).isEqualTo(2000);
        assertThat(rate).as("instances indexed per second").isGreaterThan(350);
        assertThat(p99).as("p99 of a study query by PatientID, ms").isLessThanOrEqualTo(5.0);
    }

    private List<IndexRow> query(String patientId, Set<IndexAttribute> returned) {
        return index.find(new IndexQuery(QueryLevel.STUDY,
                List.of(new Condition.SingleValue(IndexAttribute.PatientID, patientId)), returned, 0, 0));
    }
}
