package org.imagingnode.bridge.export;

import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;

import org.imagingnode.bridge.dimse.AeRegistry;
import org.imagingnode.bridge.dimse.StoreScu;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * "Import into my PACS": sends a study by C-STORE to a destination AE, in the background, recording its progress
 * in {@code pacs_import} so that the portal can show it (from any node sharing the database). Access to the study
 * and to the destination are decided before a job is created; the job audits its outcome.
 */
public class PacsImports {
    private static final Logger log = LoggerFactory.getLogger(PacsImports.class);
    /** No progress on a job being sent for this long: its node is gone (each instance sent updates it). */
    private static final String STALLED = "state = 'sending' AND updated_at < clock_timestamp() - interval '10 minutes'";
    /** Asked to stop while being sent: its node stops after the instance in flight. */
    private static final String CANCELLING = "state = 'sending' AND cancel_requested_at IS NOT NULL";

    /** A job as the requester sees it. */
    public record Job(UUID id, String studyInstanceUid, String destination, String state, int total, int completed,
            int warning, int failed, String error, Instant createdAt, Instant updatedAt) {
    }

    /** Too many imports waiting: try again later. */
    public static final class BusyException extends RuntimeException {
        BusyException() {
            super("too many imports in progress", null, false, false);
        }
    }

    private final JdbcTemplate jdbc;
    private final StoreScu scu;
    private final AccessGuard guard;
    private final ThreadPoolExecutor workers;

    public PacsImports(JdbcTemplate jdbc, StoreScu scu, AccessGuard guard, PacsImportProperties props) {
        this.jdbc = jdbc;
        this.scu = scu;
        this.guard = guard;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(props.maxConcurrent(), props.maxConcurrent(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(props.maxQueued()), r -> {
                    Thread t = new Thread(r, "pacs-import-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.workers.allowCoreThreadTimeOut(true);
    }

    /**
     * Queues the sending of the study's instances to the destination for this caller (already allowed to see the
     * study and to use the destination) and returns the new job.
     *
     * @throws BusyException when the queue is full
     */
    public Job start(Caller caller, String channel, StoredStudy study, AeRegistry.RemoteAe destination) {
        UUID id = UUID.randomUUID();
        jdbc.update("INSERT INTO pacs_import (id, requested_by, requested_role, study_uid, destination_ae, state, total)"
                + " VALUES (?, ?, ?, ?, ?, 'queued', ?)", id, caller.id(), caller.role(), study.studyInstanceUid(),
                destination.aeTitle(), study.instances().size());
        try {
            workers.execute(() -> run(id, caller, channel, study, destination));
        } catch (RejectedExecutionException e) {
            finish(id, "failed", null, "refused: too many imports in progress");
            throw new BusyException();
        }
        return find(id, caller.id()).orElseThrow();
    }

    /**
     * Cancels a job of this caller: one still queued is cancelled at once, one being sent is {@code cancelling}
     * until its node has stopped after the instance in flight and released the association ({@code cancelled},
     * with the counts of what was sent); one already over is left as it is. Returns the job as it now stands
     * (empty for anyone but its requester, as {@link #find}).
     */
    public Optional<Job> cancel(UUID id, String requestedBy) {
        jdbc.update("UPDATE pacs_import SET cancel_requested_at = coalesce(cancel_requested_at, clock_timestamp()),"
                + " state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,"
                + " error = CASE WHEN state = 'queued' THEN 'cancelled before sending' ELSE error END,"
                + " updated_at = clock_timestamp()"
                + " WHERE id = ? AND requested_by = ? AND state IN ('queued', 'sending') AND NOT (" + STALLED + ")",
                id, requestedBy);
        return find(id, requestedBy);
    }

    /** A job, only for the caller who asked for it (anyone else: empty, as if it did not exist). */
    public Optional<Job> find(UUID id, String requestedBy) {
        // a job still "sending" with no progress for that long lost its node (stopped or crashed mid-way)
        List<Job> jobs = jdbc.query("SELECT id, study_uid, destination_ae, CASE WHEN " + STALLED + " THEN 'failed'"
                + " WHEN " + CANCELLING + " THEN 'cancelling' ELSE state END, total, completed, warning, failed,"
                + " CASE WHEN " + STALLED + " THEN 'interrupted: the node sending it stopped; ask again' ELSE error END,"
                + " created_at, updated_at FROM pacs_import"
                + " WHERE id = ? AND requested_by = ?",
                (rs, i) -> new Job(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5), rs.getInt(6), rs.getInt(7), rs.getInt(8), rs.getString(9),
                        rs.getTimestamp(10).toInstant(), rs.getTimestamp(11).toInstant()), id, requestedBy);
        return jobs.stream().findFirst();
    }

    private void run(UUID id, Caller caller, String channel, StoredStudy study, AeRegistry.RemoteAe destination) {
        String to = destination.aeTitle() + " (" + destination.host() + ":" + destination.port() + ")";
        if (jdbc.update("UPDATE pacs_import SET state = 'sending', updated_at = clock_timestamp() WHERE id = ?"
                + " AND state = 'queued'", id) == 0) {
            guard.audit(caller, channel, Action.RETRIEVE, study.patientId(), study.studyInstanceUid(), "cancelled",
                    "import to " + to + " (job " + id + ") cancelled before sending");
            return;
        }
        AtomicBoolean cancelled = new AtomicBoolean();
        StoreScu.Counts counts;
        try {
            // each instance's progress is written, and the answer says whether the requester cancelled meanwhile
            counts = scu.send(destination, study.instances(), c -> {
                cancelled.set(jdbc.queryForObject("UPDATE pacs_import SET completed = ?, warning = ?, failed = ?,"
                        + " updated_at = clock_timestamp() WHERE id = ? RETURNING cancel_requested_at IS NOT NULL",
                        Boolean.class, c.completed(), c.warning(), c.failed(), id));
                return !cancelled.get();
            });
        } catch (IOException | RuntimeException e) {
            log.warn("import {} of study {} to {} failed: {}", id, study.studyInstanceUid(), to, e.getMessage());
            // audited before the job says it is over: whoever sees the outcome finds it in the trail
            guard.audit(caller, channel, Action.RETRIEVE, study.patientId(), study.studyInstanceUid(), "failure",
                    "import to " + to + " (job " + id + ") failed: " + e.getMessage());
            finish(id, "failed", null, "could not send to " + destination.aeTitle() + ": " + e.getMessage());
            return;
        }
        if (cancelled.get() && counts.remaining() > 0) {
            log.info("import {} of study {} to {} cancelled: {} sent, {} with warnings, {} failed, {} not sent", id,
                    study.studyInstanceUid(), to, counts.completed(), counts.warning(), counts.failed(),
                    counts.remaining());
            guard.audit(caller, channel, Action.RETRIEVE, study.patientId(), study.studyInstanceUid(), "cancelled",
                    "import to " + to + " (job " + id + ") cancelled: " + counts.completed() + " sent, "
                            + counts.warning() + " with warnings, " + counts.failed() + " failed, "
                            + counts.remaining() + " not sent");
            finish(id, "cancelled", counts, "cancelled after " + (counts.total() - counts.remaining()) + " of "
                    + counts.total() + " instances");
            return;
        }
        boolean ok = counts.failed() == 0;
        log.info("import {} of study {} to {}: {} sent, {} with warnings, {} failed", id, study.studyInstanceUid(), to,
                counts.completed(), counts.warning(), counts.failed());
        guard.audit(caller, channel, Action.RETRIEVE, study.patientId(), study.studyInstanceUid(),
                ok ? "success" : "failure", "import to " + to + " (job " + id + "): " + counts.completed() + " sent, "
                        + counts.warning() + " with warnings, " + counts.failed() + " failed");
        finish(id, ok ? "completed" : "failed", counts, ok ? null
                : counts.failed() + " of " + counts.total() + " instances refused by " + destination.aeTitle());
    }

    private void finish(UUID id, String state, StoreScu.Counts counts, String error) {
        if (counts == null) {
            jdbc.update("UPDATE pacs_import SET state = ?, error = ?, updated_at = clock_timestamp() WHERE id = ?",
                    state, error, id);
        } else {
            jdbc.update("UPDATE pacs_import SET state = ?, error = ?, completed = ?, warning = ?, failed = ?,"
                    + " updated_at = clock_timestamp() WHERE id = ?", state, error, counts.completed(), counts.warning(),
                    counts.failed(), id);
        }
    }

    @PreDestroy
    void stop() {
        workers.shutdownNow();
    }
}
