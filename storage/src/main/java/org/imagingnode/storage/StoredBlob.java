package org.imagingnode.storage;

/** What a put wrote: the key, the byte count and the SHA-256 of the content (lower-case hex). */
public record StoredBlob(String key, long size, String sha256) {
}
