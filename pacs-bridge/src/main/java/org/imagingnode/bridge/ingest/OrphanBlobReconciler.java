package org.imagingnode.bridge.ingest;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jakarta.annotation.PreDestroy;
import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.storage.BlobInfo;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Removes instance blobs that no index row (nor rejected instance) points to: left by an ingest interrupted between its
 * blob write and its index commit (a crash, a database outage), or by a replacement whose old blob
 * could not be deleted. Runs at start-up and then periodically. A blob younger than the grace period
 * is kept, since it may belong to an ingest still in progress (on this node or another one sharing
 * the store).
 */
@Component
public class OrphanBlobReconciler {
    private static final Logger log = LoggerFactory.getLogger(OrphanBlobReconciler.class);
    private static final int BATCH = 500;

    private final BlobStore blobs;
    private final InstanceIndex index;
    private final AuditLog audit;
    private final Duration grace;
    private final Duration interval;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "blob-reconciliation");
        t.setDaemon(true);
        return t;
    });

    /** What one pass found. */
    public record Report(long checked, long removed, long keptTooRecent) {
    }

    public OrphanBlobReconciler(BlobStore blobs, InstanceIndex index, AuditLog audit,
            @Value("${node.reconciliation.grace:10m}") Duration grace,
            @Value("${node.reconciliation.interval:6h}") Duration interval) {
        this.blobs = blobs;
        this.index = index;
        this.audit = audit;
        this.grace = grace;
        this.interval = interval;
    }

    @EventListener(ApplicationReadyEvent.class)
    void schedule() {
        scheduler.scheduleWithFixedDelay(this::runLogged, 0, interval.toSeconds(), TimeUnit.SECONDS);
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }

    private void runLogged() {
        try {
            Report r = reconcile(Instant.now().minus(grace));
            if (r.removed() > 0) {
                log.warn("blob reconciliation: {} instance blobs checked, {} orphans removed, {} recent ones kept",
                        r.checked(), r.removed(), r.keptTooRecent());
                audit.record(new AuditEvent(Instant.now(), "system", "system", "reconcile", "storage", null, null,
                        "success", r.removed() + " orphan blobs removed of " + r.checked() + " checked", null));
            } else {
                log.info("blob reconciliation: {} instance blobs checked, no orphan", r.checked());
            }
        } catch (RuntimeException | IOException e) {
            log.error("blob reconciliation failed: {}", e.toString());
        }
    }

    /** One pass: removes orphan instance blobs last modified before {@code olderThan}. */
    public Report reconcile(Instant olderThan) throws IOException {
        long[] counts = new long[3];
        List<BlobInfo> batch = new ArrayList<>(BATCH);
        try (Stream<BlobInfo> all = blobs.list(InstanceBlobKeys.PREFIX)) {
            for (BlobInfo blob : (Iterable<BlobInfo>) all::iterator) {
                if (InstanceBlobKeys.sopInstanceUidOf(blob.key()).isEmpty()) {
                    continue;
                }
                batch.add(blob);
                if (batch.size() == BATCH) {
                    reconcileBatch(batch, olderThan, counts);
                    batch.clear();
                }
            }
        }
        reconcileBatch(batch, olderThan, counts);
        return new Report(counts[0], counts[1], counts[2]);
    }

    private void reconcileBatch(List<BlobInfo> batch, Instant olderThan, long[] counts) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        List<String> sops = batch.stream().map(b -> InstanceBlobKeys.sopInstanceUidOf(b.key()).orElseThrow())
                .distinct().toList();
        // the bytes of rejected instances are kept
        Map<String, String> indexedKey = new HashMap<>(index.rejectedBlobKeys(sops));
        for (InstanceLocation l : index.locate(List.of(new Condition.UidList(IndexAttribute.SOPInstanceUID, sops)))) {
            indexedKey.put(l.sopInstanceUid(), l.blobKey());
        }
        for (BlobInfo blob : batch) {
            counts[0]++;
            String sop = InstanceBlobKeys.sopInstanceUidOf(blob.key()).orElseThrow();
            if (blob.key().equals(indexedKey.get(sop))) {
                continue;
            }
            if (blob.lastModified() != null && blob.lastModified().isAfter(olderThan)) {
                counts[2]++;
                continue;
            }
            if (blobs.delete(blob.key())) {
                counts[1]++;
                log.info("removed orphan blob {}", blob.key());
            }
        }
    }
}
