package org.imagingnode.bridge.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import javax.sql.DataSource;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Repository;

/**
 * The audit trail in the append-only {@code audit_event} table (the database refuses UPDATE, DELETE
 * and TRUNCATE on it).
 *
 * <p>Each event is written on a connection of its own, in autocommit, outside any transaction of the
 * caller: an access that fails or is denied, and whose own transaction rolls back, stays audited.
 * {@link #record} returns once the row is committed. Times are kept to the microsecond (truncated).
 *
 * <p>The commit does not wait for its WAL flush ({@code synchronous_commit = off} for this
 * transaction only): a WAL flush per query would double the latency of every C-FIND and QIDO
 * request. PostgreSQL stays consistent; a crash of the database server can lose at most the last
 * few hundred milliseconds of audit rows (flushed by the WAL writer, and by the next synchronous
 * commit of an ingest).
 */
@Repository
public class PostgresAuditLog implements AuditLog {
    /**
     * One statement, so one round trip in autocommit: the CTE turns {@code synchronous_commit} off for
     * the statement's own implicit transaction ({@code set_config(..., true)} is transaction-local).
     */
    private static final String INSERT = "WITH async AS (SELECT set_config('synchronous_commit', 'off', true))"
            + " INSERT INTO audit_event (event_time, actor, actor_role, action, channel,"
            + " patient_id, study_uid, outcome, detail, source_address)"
            + " SELECT COALESCE(?, clock_timestamp()), ?, ?, ?, ?, ?, ?, ?, ?, ? FROM async";
    /** A spooled event: written once however often its replay is repeated (V60). */
    private static final String INSERT_SPOOLED = "INSERT INTO audit_event (event_time, actor, actor_role, action,"
            + " channel, patient_id, study_uid, outcome, detail, source_address, spool_id)"
            + " VALUES (COALESCE(?, clock_timestamp()), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (spool_id) WHERE spool_id IS NOT NULL DO NOTHING";
    private static final String SELECT = "SELECT event_time, actor, actor_role, action, channel, patient_id,"
            + " study_uid, outcome, detail, source_address FROM audit_event";
    private static final String FOR_STUDY = SELECT + " WHERE study_uid = ? ORDER BY event_time DESC, id DESC LIMIT ?";
    private static final String FOR_PATIENT = SELECT + " WHERE patient_id = ? ORDER BY event_time DESC, id DESC LIMIT ?";

    private final DataSource dataSource;

    public PostgresAuditLog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void record(AuditEvent event) {
        write(INSERT, event, null);
    }

    /**
     * Records an event that waited in the local spool under {@code spoolId}: when the same event is replayed again
     * (the node died before it could forget it), the trail keeps it once. Committed with a WAL flush.
     */
    void recordSpooled(AuditEvent event, UUID spoolId) {
        write(INSERT_SPOOLED, event, Objects.requireNonNull(spoolId, "spool id"));
    }

    private void write(String sql, AuditEvent event, UUID spoolId) {
        Objects.requireNonNull(event, "event");
        require(event.actor(), "actor");
        require(event.action(), "action");
        require(event.outcome(), "outcome");
        try (Connection con = dataSource.getConnection();
                PreparedStatement ps = con.prepareStatement(sql)) {
            con.setAutoCommit(true); // whatever the pool's default: the event commits on its own
            if (event.time() == null) {
                ps.setNull(1, Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                ps.setObject(1, OffsetDateTime.ofInstant(event.time().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
            }
            ps.setString(2, event.actor());
            ps.setString(3, event.actorRole());
            ps.setString(4, event.action());
            ps.setString(5, event.channel());
            ps.setString(6, event.patientId());
            ps.setString(7, event.studyUid());
            ps.setString(8, event.outcome());
            ps.setString(9, event.detail());
            ps.setString(10, event.sourceAddress());
            if (spoolId != null) {
                ps.setObject(11, spoolId);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new DataAccessResourceFailureException("could not write audit event " + event.action()
                    + " by " + event.actor(), e);
        }
    }

    @Override
    public List<AuditEvent> forStudy(String studyUid, int limit) {
        return select(FOR_STUDY, studyUid, limit);
    }

    @Override
    public List<AuditEvent> forPatient(String patientId, int limit) {
        return select(FOR_PATIENT, patientId, limit);
    }

    private List<AuditEvent> select(String sql, String key, int limit) {
        if (key == null || limit <= 0) {
            return List.of();
        }
        try (Connection con = dataSource.getConnection();
                PreparedStatement ps = con.prepareStatement(sql)) {
            ps.setString(1, key);
            ps.setInt(2, limit);
            List<AuditEvent> events = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new AuditEvent(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getString(2),
                            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                            rs.getString(8), rs.getString(9), rs.getString(10)));
                }
            }
            return events;
        } catch (SQLException e) {
            throw new DataAccessResourceFailureException("could not read audit events of " + key, e);
        }
    }

    private static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("an audit event needs " + what);
        }
    }
}
