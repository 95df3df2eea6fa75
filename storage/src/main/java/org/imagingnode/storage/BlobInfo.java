package org.imagingnode.storage;

import java.time.Instant;

/** Metadata of a stored blob as reported by the store. */
public record BlobInfo(String key, long size, Instant lastModified) {
}
