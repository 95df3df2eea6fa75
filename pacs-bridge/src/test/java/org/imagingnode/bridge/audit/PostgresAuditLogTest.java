package org.imagingnode.bridge.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Every access to patient data is recorded in an append-only trail that the database itself protects. */
class PostgresAuditLogTest {
    private final PostgresAuditLog audit = new PostgresAuditLog(TestPostgres.get().dataSource());
    private final JdbcTemplate jdbc = TestPostgres.get().jdbc();

    private static String studyUid() {
        return "2.25." + (UUID.randomUUID().getMostSignificantBits() & Long.MAX_VALUE);
    }

    private static AuditEvent event(Instant time, String study, String action) {
        return new AuditEvent(time, "DR_SMITH", "professional", action, "DICOMweb", "PAT-1", study, "success",
                "QIDO-RS study search", "192.0.2.10");
    }

    @Test
    void eventsAreRecordedAndReadBackNewestFirstUpToTheLimit() {
        String study = studyUid();
        Instant t0 = Instant.parse("2025-06-01T08:00:00.123456Z");
        audit.record(event(t0, study, "query"));
        audit.record(event(t0.plusSeconds(60), study, "retrieve"));
        audit.record(event(t0.plusSeconds(120), study, "read"));
        audit.record(event(t0.plusSeconds(30), studyUid(), "query"));

        List<AuditEvent> events = audit.forStudy(study, 2);

        assertThat(events).extracting(AuditEvent::action).containsExactly("read", "retrieve");
        assertThat(audit.forStudy(study, 10)).hasSize(3).last().isEqualTo(event(t0, study, "query"));
    }

    @Test
    void aPatientSeesTheAccessHistoryOfAllTheirStudies() {
        String patient = "PAT-" + UUID.randomUUID();
        Instant t0 = Instant.parse("2025-06-02T10:00:00Z");
        audit.record(new AuditEvent(t0, "STORESCU", "dimse-ae", "store", "DIMSE", patient, studyUid(), "success", null,
                "192.0.2.1"));
        audit.record(new AuditEvent(t0.plusSeconds(3600), "DR_SMITH", "professional", "read", "viewer", patient,
                studyUid(), "success", null, "192.0.2.2"));
        audit.record(new AuditEvent(t0.plusSeconds(60), "DR_OTHER", "professional", "read", "viewer", "PAT-else",
                studyUid(), "success", null, "192.0.2.3"));

        assertThat(audit.forPatient(patient, 10)).extracting(AuditEvent::actor).containsExactly("DR_SMITH", "STORESCU");
    }

    @Test
    void anEventWithoutTimeIsStampedByTheDatabase() {
        String study = studyUid();
        Instant before = Instant.now().minusSeconds(5);
        audit.record(new AuditEvent(null, "STORESCU", "dimse-ae", "store", "DIMSE", null, study, "success", null, null));

        AuditEvent stored = audit.forStudy(study, 1).get(0);
        assertThat(stored.time()).isBetween(before, Instant.now().plusSeconds(5));
        assertThat(stored.patientId()).isNull();
    }

    @Test
    void theDatabaseRefusesToUpdateDeleteOrTruncateTheTrail() {
        String study = studyUid();
        audit.record(event(Instant.now(), study, "read"));

        assertThatThrownBy(() -> jdbc.update("UPDATE audit_event SET outcome = 'denied' WHERE study_uid = ?", study))
                .isInstanceOf(DataAccessException.class).rootCause().hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.update("DELETE FROM audit_event WHERE study_uid = ?", study))
                .isInstanceOf(DataAccessException.class).rootCause().hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.execute("TRUNCATE audit_event"))
                .isInstanceOf(DataAccessException.class).rootCause().hasMessageContaining("append-only");
        assertThat(audit.forStudy(study, 10)).singleElement().extracting(AuditEvent::outcome).isEqualTo("success");
    }

    @Test
    void anEventStaysRecordedWhenTheCallersTransactionRollsBack() {
        String study = studyUid();
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(TestPostgres.get().dataSource()));

        tx.executeWithoutResult(status -> {
            audit.record(new AuditEvent(Instant.now(), "DR_WHO", "professional", "read", "viewer", "PAT-2", study,
                    "denied", "blocked by the patient", "198.51.100.7"));
            status.setRollbackOnly();
        });

        assertThat(audit.forStudy(study, 10)).singleElement().extracting(AuditEvent::outcome).isEqualTo("denied");
    }

    @Test
    void recordingAnEventDoesNotWaitForTheWalFlush() {
        // after a synchronous commit the WAL is flushed up to the commit record; after an asynchronous
        // one the flush position lags behind until the WAL writer catches up (every 200 ms)
        int lagging = 0;
        for (int i = 0; i < 20; i++) {
            audit.record(event(Instant.now(), studyUid(), "query"));
            if (Boolean.TRUE.equals(jdbc.queryForObject(
                    "SELECT pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn()", Boolean.class))) {
                lagging++;
            }
        }
        assertThat(lagging).as("events whose commit had not been flushed yet").isPositive();
    }

    @Test
    void aSpooledEventReplayedAgainIsRecordedOnce() {
        String study = studyUid();
        AuditEvent refused = new AuditEvent(Instant.parse("2026-11-24T08:00:00Z"), "CT1", "dimse-ae", "query", "DIMSE",
                null, study, "failure", "database unavailable", "127.0.0.1");
        UUID spoolId = UUID.randomUUID();

        audit.recordSpooled(refused, spoolId);
        audit.recordSpooled(refused, spoolId); // the node died before it could drop the event from its spool
        audit.recordSpooled(refused, UUID.randomUUID()); // the same access twice is two events

        assertThat(audit.forStudy(study, 10)).hasSize(2).allSatisfy(e -> assertThat(e).isEqualTo(refused));
    }

    @Test
    void timesKeepMicrosecondPrecision() {
        String study = studyUid();
        Instant time = Instant.parse("2025-06-01T08:00:00.123456789Z");
        audit.record(event(time, study, "read"));

        assertThat(audit.forStudy(study, 1).get(0).time()).isEqualTo(time.truncatedTo(ChronoUnit.MICROS));
    }

    @Test
    void anEventNeedsAnActorAnActionAndAnOutcome() {
        assertThatThrownBy(() -> audit.record(new AuditEvent(Instant.now(), " ", "system", "read", "API", null, null,
                "success", null, null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actor");
        assertThatThrownBy(() -> audit.record(new AuditEvent(Instant.now(), "system", "system", "read", "API", null, null,
                null, null, null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outcome");
    }
}
