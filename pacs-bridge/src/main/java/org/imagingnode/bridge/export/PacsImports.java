package org.imagingnode.bridge.export;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
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

import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.dimse.AeRegistry;
import org.imagingnode.bridge.dimse.StoreScu;
import org.imagingnode.bridge.index.InstanceLocation;
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
    /** No progress on a job under way for this long: its node is gone (each instance fetched or sent updates it). */
    private static final String STALLED = "state IN ('fetching', 'sending')"
            + " AND updated_at < clock_timestamp() - interval '10 minutes'";
    /** Asked to stop while under way: its node stops after the instance in flight. */
    private static final String CANCELLING = "state IN ('fetching', 'sending') AND cancel_requested_at IS NOT NULL";

    /**
     * A job as the requester sees it.
     *
     * @param sourceNode the node holding the study when it is not held here (its instances are fetched first, counted
     *                   in {@code fetched}), else null
     * @param patientId  the study's patient as the audit trail names them (not shown to the requester)
     */
    public record Job(UUID id, String studyInstanceUid, String sourceNode, String patientId, String destination,
            String state, int total, int fetched, int completed, int warning, int failed, String error,
            Instant createdAt, Instant updatedAt) {
    }

    /**
     * What a job sends: the instances of a study held here ({@code held}), or those another node lists for the
     * requester ({@code refs} of {@code remote}), fetched first.
     */
    private record Shipment(String studyUid, String patientId, List<InstanceLocation> held,
            RemoteStudies.Study remote, List<RemoteStudies.Ref> refs) {
        int total() {
            return held != null ? held.size() : refs.size();
        }

        String sourceNode() {
            return remote == null ? null : remote.sourceNode();
        }

        /** For log lines and audit details. */
        String origin() {
            return remote == null ? "" : " (remote study, node " + remote.sourceNode() + ")";
        }
    }

    /** The instances of a remote study fetched into the cache, and how many could not be. */
    private record Fetched(List<InstanceLocation> instances, int failed) {
    }

    /** A job as queued on this node: what it needs to run, or to be ended when the node stops before it ran. */
    private final class Queued implements Runnable {
        final UUID id;
        final Caller caller;
        final String channel;
        final Shipment shipment;
        final AeRegistry.RemoteAe destination;

        Queued(UUID id, Caller caller, String channel, Shipment shipment, AeRegistry.RemoteAe destination) {
            this.id = id;
            this.caller = caller;
            this.channel = channel;
            this.shipment = shipment;
            this.destination = destination;
        }

        @Override
        public void run() {
            try {
                PacsImports.this.run(id, caller, channel, shipment, destination);
            } catch (RuntimeException e) { // the database or a bug: the job must not stay "under way" unaudited
                log.error("import {} of study {} stopped: {}", id, shipment.studyUid(), e.toString(), e);
                end(this, "import to " + destination.aeTitle() + " (job " + id + ") failed: " + e.getMessage(),
                        "state IN ('fetching', 'sending')", "failed: " + e.getMessage());
            }
        }
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
     * Queues the sending of a study held here to the destination for this caller (already allowed to see the
     * study and to use the destination) and returns the new job.
     *
     * @throws BusyException when the queue is full
     */
    public Job start(Caller caller, String channel, StoredStudy study, AeRegistry.RemoteAe destination) {
        return start(caller, channel, new Shipment(study.studyInstanceUid(), study.patientId(), study.instances(), null,
                null), destination);
    }

    /**
     * Queues the import of a study another node holds, whose instances its source listed for this caller: the job
     * fetches them (state {@code fetching}) with the caller's own credentials, so that the source decides and
     * audits each, then sends them under this node's identity of the patient ({@link
     * RemoteStudies.Study#reconciledIdentity}), as a C-MOVE of that study would.
     *
     * @throws BusyException when the queue is full
     */
    public Job start(Caller caller, String channel, String studyUid, RemoteStudies.Study study,
            List<RemoteStudies.Ref> instances, AeRegistry.RemoteAe destination) {
        return start(caller, channel, new Shipment(studyUid, study.patient(), null, study, List.copyOf(instances)),
                destination);
    }

    private Job start(Caller caller, String channel, Shipment shipment, AeRegistry.RemoteAe destination) {
        UUID id = UUID.randomUUID();
        jdbc.update("INSERT INTO pacs_import (id, requested_by, requested_role, study_uid, source_node, patient_id,"
                + " destination_ae, state, total) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)", id, caller.id(),
                caller.role(), shipment.studyUid(), shipment.sourceNode(), shipment.patientId(), destination.aeTitle(),
                shipment.total());
        try {
            workers.execute(new Queued(id, caller, channel, shipment, destination));
        } catch (RejectedExecutionException e) {
            finish(id, "failed", null, "refused: too many imports in progress");
            throw new BusyException();
        }
        return find(id, caller.id()).orElseThrow();
    }

    /**
     * Cancels a job of this caller: one still queued is cancelled at once, one being fetched or sent is
     * {@code cancelling} until its node has stopped after the instance in flight and released the association
     * ({@code cancelled}, with the counts of what was sent); one already over is left as it is. Returns the job as it now stands
     * (empty for anyone but its requester, as {@link #find}).
     */
    public Optional<Job> cancel(UUID id, String requestedBy) {
        jdbc.update("UPDATE pacs_import SET cancel_requested_at = coalesce(cancel_requested_at, clock_timestamp()),"
                + " state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,"
                + " error = CASE WHEN state = 'queued' THEN 'cancelled before sending' ELSE error END,"
                + " updated_at = clock_timestamp()"
                + " WHERE id = ? AND requested_by = ? AND state IN ('queued', 'fetching', 'sending') AND NOT (" + STALLED
                + ")",
                id, requestedBy);
        return find(id, requestedBy);
    }

    /** A job, only for the caller who asked for it (anyone else: empty, as if it did not exist). */
    public Optional<Job> find(UUID id, String requestedBy) {
        // a job still "sending" with no progress for that long lost its node (stopped or crashed mid-way)
        List<Job> jobs = jdbc.query("SELECT id, study_uid, source_node, patient_id, destination_ae, CASE WHEN "
                + STALLED + " THEN 'failed' WHEN " + CANCELLING + " THEN 'cancelling' ELSE state END, total, fetched,"
                + " completed, warning, failed, CASE WHEN " + STALLED
                + " THEN 'interrupted: the node sending it stopped; ask again' ELSE error END, created_at, updated_at"
                + " FROM pacs_import WHERE id = ? AND requested_by = ?",
                (rs, i) -> new Job(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getInt(7), rs.getInt(8), rs.getInt(9), rs.getInt(10),
                        rs.getInt(11), rs.getString(12), rs.getTimestamp(13).toInstant(),
                        rs.getTimestamp(14).toInstant()), id, requestedBy);
        return jobs.stream().findFirst();
    }

    private void run(UUID id, Caller caller, String channel, Shipment s, AeRegistry.RemoteAe destination) {
        String to = destination.aeTitle() + " (" + destination.host() + ":" + destination.port() + ")";
        if (jdbc.update("UPDATE pacs_import SET state = ?, updated_at = clock_timestamp() WHERE id = ?"
                + " AND state = 'queued'", s.remote() == null ? "sending" : "fetching", id) == 0) {
            guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), "cancelled",
                    "import to " + to + " (job " + id + ") cancelled before sending" + s.origin());
            return;
        }
        List<InstanceLocation> instances = s.held();
        int notFetched = 0;
        PatientIdRewrite identity = null;
        if (s.remote() != null) {
            Fetched fetched = fetch(id, caller, channel, s, to);
            if (fetched == null) {
                return;
            }
            instances = fetched.instances();
            notFetched = fetched.failed();
            identity = s.remote().reconciledIdentity();
            jdbc.update("UPDATE pacs_import SET state = 'sending', updated_at = clock_timestamp() WHERE id = ?", id);
        }
        int failedBefore = notFetched;
        AtomicBoolean cancelled = new AtomicBoolean();
        StoreScu.Counts sent;
        try {
            // each instance's progress is written, and the answer says whether the requester cancelled meanwhile
            sent = scu.send(destination, instances, identity, c -> {
                cancelled.set(jdbc.queryForObject("UPDATE pacs_import SET completed = ?, warning = ?, failed = ?,"
                        + " updated_at = clock_timestamp() WHERE id = ? RETURNING cancel_requested_at IS NOT NULL",
                        Boolean.class, c.completed(), c.warning(), failedBefore + c.failed(), id));
                return !cancelled.get();
            });
        } catch (IOException | RuntimeException e) {
            log.warn("import {} of study {}{} to {} failed: {}", id, s.studyUid(), s.origin(), to, e.getMessage());
            // audited before the job says it is over: whoever sees the outcome finds it in the trail
            guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), "failure",
                    "import to " + to + " (job " + id + ") failed: " + e.getMessage() + s.origin());
            finish(id, "failed", null, "could not send to " + destination.aeTitle() + ": " + e.getMessage());
            return;
        }
        StoreScu.Counts counts = new StoreScu.Counts(s.total(), sent.completed(), sent.warning(),
                notFetched + sent.failed());
        String outcome = counts.completed() + " sent, " + counts.warning() + " with warnings, " + counts.failed()
                + " failed";
        if (cancelled.get() && sent.remaining() > 0) {
            log.info("import {} of study {}{} to {} cancelled: {}, {} not sent", id, s.studyUid(), s.origin(), to,
                    outcome, sent.remaining());
            guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), "cancelled", "import to " + to
                    + " (job " + id + ") cancelled: " + outcome + ", " + sent.remaining() + " not sent" + s.origin());
            finish(id, "cancelled", counts, "cancelled after " + (counts.total() - counts.remaining()) + " of "
                    + counts.total() + " instances");
            return;
        }
        boolean ok = counts.failed() == 0;
        log.info("import {} of study {}{} to {}: {}", id, s.studyUid(), s.origin(), to, outcome);
        guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), ok ? "success" : "failure",
                "import to " + to + " (job " + id + "): " + outcome + s.origin()
                        + (identity == null ? "" : ", patient identity reconciled"));
        finish(id, ok ? "completed" : "failed", counts, ok ? null : failures(s, notFetched, sent, destination));
    }

    /**
     * Fetches the remote study's instances into the cache with the requester's credentials, writing the progress
     * after each; null when the job ended there (cancelled meanwhile, or nothing could be fetched), its outcome
     * written and audited. An instance the source does not deliver counts as failed; the others are still sent.
     */
    private Fetched fetch(UUID id, Caller caller, String channel, Shipment s, String to) {
        List<InstanceLocation> fetched = new ArrayList<>(s.total());
        int failed = 0;
        String lastError = null;
        for (RemoteStudies.Ref ref : s.refs()) {
            try {
                fetched.add(s.remote().fetch(ref));
            } catch (IOException | RuntimeException e) {
                log.warn("import {}: instance {} of study {} not fetched from node {}: {}", id, ref.sopInstanceUid(),
                        s.studyUid(), s.sourceNode(), e.getMessage());
                failed++;
                lastError = e.getMessage();
            }
            if (jdbc.queryForObject("UPDATE pacs_import SET fetched = ?, failed = ?, updated_at = clock_timestamp()"
                    + " WHERE id = ? RETURNING cancel_requested_at IS NOT NULL", Boolean.class, fetched.size(), failed,
                    id)) {
                log.info("import {} of study {}{} to {} cancelled while fetching: {} of {} fetched, none sent", id,
                        s.studyUid(), s.origin(), to, fetched.size(), s.total());
                guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), "cancelled", "import to "
                        + to + " (job " + id + ") cancelled while fetching: " + fetched.size() + " of " + s.total()
                        + " fetched, none sent" + s.origin());
                finish(id, "cancelled", null, "cancelled while fetching from node " + s.sourceNode()
                        + ": nothing sent");
                return null;
            }
        }
        if (fetched.isEmpty()) {
            log.warn("import {} of study {}{} to {} failed: nothing could be fetched", id, s.studyUid(), s.origin(),
                    to);
            guard.audit(caller, channel, Action.RETRIEVE, s.patientId(), s.studyUid(), "failure", "import to " + to
                    + " (job " + id + ") failed: nothing could be fetched: " + lastError + s.origin());
            finish(id, "failed", null, "could not fetch the study from node " + s.sourceNode() + ": " + lastError);
            return null;
        }
        return new Fetched(fetched, failed);
    }

    /** Why a job that ran to its end failed, in the requester's words. */
    private static String failures(Shipment s, int notFetched, StoreScu.Counts sent, AeRegistry.RemoteAe destination) {
        List<String> why = new ArrayList<>();
        if (notFetched > 0) {
            why.add(notFetched + " of " + s.total() + " instances could not be fetched from node " + s.sourceNode());
        }
        if (sent.failed() > 0) {
            why.add(sent.failed() + " of " + s.total() + " instances not taken by " + destination.aeTitle());
        }
        return String.join("; ", why);
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

    /**
     * Stops the jobs under way (each ends after the instance in flight) and ends those still queued here: nobody else
     * would ever run them, and their requesters would see them queued forever.
     */
    @PreDestroy
    void stop() {
        for (Runnable r : workers.shutdownNow()) {
            if (r instanceof Queued q) {
                log.warn("import {} of study {} not started: the node is stopping", q.id, q.shipment.studyUid());
                end(q, "import to " + q.destination.aeTitle() + " (job " + q.id + ") not started: the node stopped",
                        "state = 'queued'", "interrupted: the node stopped before the import started; ask again");
            }
        }
    }

    /** Audits a job's failure and ends it, if it is still in one of the states {@code stillIn} (SQL) says. */
    private void end(Queued q, String audited, String stillIn, String error) {
        try {
            guard.audit(q.caller, q.channel, Action.RETRIEVE, q.shipment.patientId(), q.shipment.studyUid(), "failure",
                    audited + q.shipment.origin());
            jdbc.update("UPDATE pacs_import SET state = 'failed', error = ?, updated_at = clock_timestamp()"
                    + " WHERE id = ? AND " + stillIn, error, q.id);
        } catch (RuntimeException e) {
            log.error("import {}: could not record its end ({}): {}", q.id, error, e.toString());
        }
    }
}
