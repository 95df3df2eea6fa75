package org.imagingnode.bridge.sharing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.index.PatientIndex;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenIssuer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * Publishes this node's studies to the patient-space index through a durable outbox ({@code index_outbox}):
 * {@link #put} and {@link #withdraw} record the wish in PostgreSQL, a background thread delivers it (PUT or
 * DELETE over HTTP with this node's node token, or straight into the local index when {@code node.sharing.index-url}
 * is unset) and removes it once acknowledged; failures are retried with exponential back-off, across restarts.
 * Several nodes sharing one database share the outbox (rows are leased while being delivered).
 */
@Service
public class IndexPublisher {
    private static final Logger log = LoggerFactory.getLogger(IndexPublisher.class);
    private static final int BATCH = 20;
    /** How long a claimed row is left alone by other nodes sharing the database while it is being delivered. */
    private static final Duration LEASE = Duration.ofMinutes(2);

    private final JdbcTemplate jdbc;
    private final PatientIndex localIndex;
    private final NodeTokenIssuer tokens;
    private final SharingProperties props;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "index-publisher");
        t.setDaemon(true);
        return t;
    });

    public IndexPublisher(DataSource dataSource, PatientIndex localIndex, NodeTokenIssuer tokens,
            SharingProperties props, ObjectMapper json, MeterRegistry meters) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.localIndex = localIndex;
        this.tokens = tokens;
        this.props = props;
        this.json = json;
        Gauge.builder("sharing.index.outbox.backlog", this, p -> {
            try {
                return p.backlog();
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }).description("publications to the patient-space index not yet acknowledged").register(meters);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        long pending = backlog();
        log.info("index publication: {}{}", props.indexUrl() == null ? "this node is its own index"
                : "to " + props.indexUrl() + " (node " + props.indexNodeId() + ")",
                pending > 0 ? "; " + pending + " publication(s) pending from before" : "");
        long every = props.publication().pollInterval().toMillis();
        worker.scheduleWithFixedDelay(this::deliverQuietly, 0, every, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
    }

    /** Records that the index must hold this entry (replacing any pending wish for the study). */
    public void put(IndexEntry entry) {
        String body;
        try {
            body = json.writeValueAsString(entry.validated());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an index entry", e);
        }
        enqueue(entry.studyInstanceUid(), "PUT", body);
    }

    /** Records that the index must forget the study (withdrawn: nothing of it is left to share). */
    public void withdraw(String studyUid) {
        enqueue(studyUid, "DELETE", null);
    }

    private void enqueue(String studyUid, String operation, String entry) {
        jdbc.update("INSERT INTO index_outbox (study_instance_uid, operation, entry) VALUES (?, ?, ?)"
                + " ON CONFLICT (study_instance_uid) DO UPDATE SET operation = excluded.operation, entry = excluded.entry,"
                + " version = index_outbox.version + 1, attempts = 0, next_attempt_at = now(), last_error = NULL",
                studyUid, operation, entry);
        worker.execute(this::deliverQuietly);
    }

    /** Publications recorded and not yet acknowledged by the index. */
    public long backlog() {
        Long n = jdbc.queryForObject("SELECT count(*) FROM index_outbox", Long.class);
        return n == null ? 0 : n;
    }

    private record Pending(String studyUid, String operation, String entry, long version, int attempts) {
    }

    private void deliverQuietly() {
        try {
            while (deliverDue() == BATCH) {
                // a full batch: there may be more due
            }
        } catch (RuntimeException e) {
            log.warn("index publication: outbox unavailable: {}", e.toString());
        }
    }

    /** Delivers the publications that are due; returns how many were claimed. */
    int deliverDue() {
        List<Pending> due = jdbc.query("UPDATE index_outbox SET next_attempt_at = now() + ? * interval '1 millisecond'"
                + " WHERE study_instance_uid IN (SELECT study_instance_uid FROM index_outbox WHERE next_attempt_at <= now()"
                + "   ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)"
                + " RETURNING study_instance_uid, operation, entry, version, attempts",
                (rs, n) -> new Pending(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getInt(5)),
                LEASE.toMillis(), BATCH);
        for (Pending p : due) {
            String failure;
            try {
                failure = deliver(p);
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return due.size();
            }
            if (failure == null) {
                jdbc.update("DELETE FROM index_outbox WHERE study_instance_uid = ? AND version = ?", p.studyUid(),
                        p.version());
                log.info("index publication: {} of study {} acknowledged{}", p.operation(), p.studyUid(),
                        p.attempts() > 0 ? " after " + (p.attempts() + 1) + " attempts" : "");
            } else {
                Duration delay = backOff(p.attempts() + 1);
                jdbc.update("UPDATE index_outbox SET attempts = attempts + 1, next_attempt_at = now() + ? * interval"
                        + " '1 millisecond', last_error = ? WHERE study_instance_uid = ? AND version = ?",
                        delay.toMillis(), failure.length() > 500 ? failure.substring(0, 500) : failure, p.studyUid(),
                        p.version());
                log.warn("index publication: {} of study {} failed (attempt {}): {}; next attempt in {} ms",
                        p.operation(), p.studyUid(), p.attempts() + 1, failure, delay.toMillis());
            }
        }
        return due.size();
    }

    /** The delay after the n-th consecutive failure: initial x 2^(n-1), at most the configured maximum. */
    Duration backOff(int failures) {
        Duration d = props.publication().retryInitial();
        for (int i = 1; i < failures && d.compareTo(props.publication().retryMax()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(props.publication().retryMax()) > 0 ? props.publication().retryMax() : d;
    }

    /** Delivers one publication; null on success, else why it failed. */
    private String deliver(Pending p) throws IOException, InterruptedException {
        if (props.indexUrl() == null) {
            if (p.operation().equals("PUT")) {
                localIndex.publish(json.readValue(p.entry(), IndexEntry.class).validated(), tokens.nodeId(), null);
            } else {
                localIndex.withdraw(tokens.nodeId(), p.studyUid(), tokens.nodeId(), null);
            }
            return null;
        }
        URI uri = URI.create(props.indexUrl() + "/index/v1/studies/" + enc(tokens.nodeId()) + "/" + enc(p.studyUid()));
        HttpRequest.Builder rq = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Authorization", tokens.authorizationFor(props.indexNodeId()));
        if (p.operation().equals("PUT")) {
            rq.header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(p.entry()));
        } else {
            rq.DELETE();
        }
        HttpResponse<String> rs = http.send(rq.build(), HttpResponse.BodyHandlers.ofString());
        if (rs.statusCode() / 100 == 2) {
            return null;
        }
        String body = rs.body() == null ? "" : rs.body();
        return "index answered " + rs.statusCode() + " " + (body.length() > 200 ? body.substring(0, 200) : body);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
