package org.imagingnode.bridge.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The planner's statistics of the index tables follow a bulk ingest without the node running
 * ANALYZE: autovacuum (every 10 s on the node's server settings) analyzes a table once 50 rows + 2%
 * of it changed (V61; PostgreSQL's default is 10%), so queries right after an ingest are not planned on an empty table's statistics.
 */
class IndexStatisticsTest {
    private final JdbcTemplate jdbc = TestPostgres.get().jdbc();

    @Test
    void indexTablesAnalyzeAfterAFifthOfTheChangesPostgresWouldWaitFor() {
        for (String table : new String[] {"patient", "study", "series", "instance"}) {
            assertThat(jdbc.queryForObject("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = ?::regclass",
                    String.class, table)).as(table)
                    .isEqualTo("autovacuum_analyze_scale_factor=0.02");
        }
    }

    @Test
    void aBulkInsertIsAnalyzedByAutovacuumWithinAFewNaptimes() throws InterruptedException {
        long before = autoanalyzeCount();
        String run = UUID.randomUUID().toString();
        jdbc.update("INSERT INTO patient (patient_id, issuer, patient_name, patient_name_norm)"
                + " SELECT 'STATS-' || ? || '-' || g, '', 'Stats^Patient', 'STATS^PATIENT' FROM generate_series(1, 2000) g", run);

        // bounded wait for the server to act on its own (10 s naptime); no duration is asserted
        for (int i = 0; i < 180 && autoanalyzeCount() == before; i++) {
            Thread.sleep(500);
        }
        assertThat(autoanalyzeCount()).as("patient analyzed by autovacuum after 2000 new rows").isGreaterThan(before);
    }

    private long autoanalyzeCount() {
        return jdbc.queryForObject("SELECT autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'patient'", Long.class);
    }
}
