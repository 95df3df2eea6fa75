package org.imagingnode.bridge.blobstore;

import org.imagingnode.storage.BlobStore;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The blob store answers (a metadata lookup: reaches the S3 server with valid credentials, or reads
 * the filesystem root). Part of readiness: a node that cannot store must not receive.
 */
@Component
public class BlobStoreHealthIndicator implements HealthIndicator {
    private static final String PROBE_KEY = "health/probe";

    private final BlobStore blobs;

    public BlobStoreHealthIndicator(BlobStore blobs) {
        this.blobs = blobs;
    }

    @Override
    public Health health() {
        try {
            blobs.stat(PROBE_KEY);
            return Health.up().withDetail("store", blobs.describe()).build();
        } catch (Exception e) {
            return Health.down().withDetail("store", blobs.describe()).withDetail("error", e.getMessage()).build();
        }
    }
}
