package org.imagingnode.bridge.audit;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;

import org.imagingnode.bridge.NodeProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Primary;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;

/**
 * The audit trail as the node writes it: into {@link PostgresAuditLog}, and while the database
 * cannot be reached (down, restarting, no connection within the pool's timeout) into a local spool
 * file ({@code <node.data-dir>/audit-spool.jsonl}, forced to disk), from which a background task
 * writes the events to the table, with their original times, once the database answers again. So
 * an access answered during a database outage (mostly refusals) is audited all the same. Each spooled
 * event has an id of its own: if the node dies in the middle of a replay, the next replay writes
 * again what was already written, and the table keeps it once.
 */
@Primary
@Component
public class SpooledAuditLog implements AuditLog {
    private static final Logger log = LoggerFactory.getLogger(SpooledAuditLog.class);
    static final long REPLAY_SECONDS = 5;

    private final PostgresAuditLog table;
    private final AuditSpool spool;
    private final ScheduledExecutorService replayer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "audit-replay");
        t.setDaemon(true);
        return t;
    });

    public SpooledAuditLog(PostgresAuditLog table, NodeProperties node) {
        this.table = table;
        this.spool = new AuditSpool(node.dataDir().resolve("audit-spool.jsonl"));
        replayer.scheduleWithFixedDelay(this::replay, 0, REPLAY_SECONDS, TimeUnit.SECONDS);
    }

    @PreDestroy
    void stop() {
        replayer.shutdownNow();
    }

    @Override
    public void record(AuditEvent event) {
        AuditEvent timed = event.time() != null ? event : new AuditEvent(Instant.now(), event.actor(), event.actorRole(),
                event.action(), event.channel(), event.patientId(), event.studyUid(), event.outcome(), event.detail(),
                event.sourceAddress());
        try {
            table.record(timed);
        } catch (DataAccessResourceFailureException e) {
            if (!unreachable(e)) {
                throw e;
            }
            synchronized (spool) {
                try {
                    spool.append(timed);
                } catch (IOException io) {
                    e.addSuppressed(io);
                    throw e;
                }
            }
            log.warn("database unreachable: audit event {} by {} kept in {} until it is back", timed.action(),
                    timed.actor(), spool.file());
        }
    }

    /** Writes the spooled events to the table, oldest first; stops at the first failure and keeps the rest. */
    void replay() {
        synchronized (spool) {
            if (spool.isEmpty()) {
                return;
            }
            try {
                List<AuditSpool.Spooled> waiting = spool.read();
                int written = 0;
                try {
                    for (AuditSpool.Spooled e : waiting) {
                        table.recordSpooled(e.event(), e.id());
                        written++;
                    }
                } finally {
                    if (written > 0) {
                        spool.replace(waiting.subList(written, waiting.size()));
                        log.info("{} audit event(s) kept during a database outage written to the audit table", written);
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.debug("audit spool not replayed yet: {}", e.toString());
            }
        }
    }

    /** A connection problem (the database is down or restarting), not a refusal of the event itself. */
    static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<AuditEvent> forStudy(String studyUid, int limit) {
        return table.forStudy(studyUid, limit);
    }

    @Override
    public List<AuditEvent> forPatient(String patientId, int limit) {
        return table.forPatient(patientId, limit);
    }
}
