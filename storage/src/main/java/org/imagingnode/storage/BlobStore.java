package org.imagingnode.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A durable store of immutable byte blobs addressed by string keys.
 *
 * <p>Keys are relative, slash-separated names made of {@code [A-Za-z0-9._-]} segments (see
 * {@link BlobKeys#validate}). A put returns only once the blob is durable (fsync'd on a filesystem,
 * acknowledged by an S3 server), so callers may then commit index rows that point at it.
 */
public interface BlobStore extends AutoCloseable {

    /** Stores the stream's bytes under {@code key}, replacing any previous blob atomically. */
    StoredBlob put(String key, InputStream data) throws IOException;

    /**
     * Stores the content of a local file under {@code key}. The store may take the file over (move
     * it) instead of copying it, so the caller must not use {@code source} afterwards. (The stores
     * of this module consume it: once this returns, {@code source} no longer exists; if it throws,
     * the file is left in place.)
     */
    StoredBlob putFile(String key, Path source) throws IOException;

    /**
     * {@link #putFile(String, Path)} for a file whose SHA-256 the caller computed while writing it,
     * so that the store need not read it again to hash it. A store may still verify it.
     */
    default StoredBlob putFile(String key, Path source, String sha256Hex) throws IOException {
        return putFile(key, source);
    }

    /** Opens the whole blob. Throws {@link BlobNotFoundException} if absent. */
    default InputStream get(String key) throws IOException {
        return get(key, 0, Long.MAX_VALUE);
    }

    /** Opens {@code length} bytes starting at {@code offset} (fewer if the blob ends first). */
    InputStream get(String key, long offset, long length) throws IOException;

    /**
     * Opens the whole blob and checks its SHA-256 while it is read: the stream throws
     * {@link BlobCorruptedException} at end of data when the content does not match.
     */
    InputStream getVerified(String key, String expectedSha256Hex) throws IOException;

    Optional<BlobInfo> stat(String key) throws IOException;

    /**
     * The SHA-256 (lower-case hex) the store recorded beside the blob when it was written, if it
     * keeps one: S3 user metadata {@code x-amz-meta-sha256}, or a {@code user.sha256} extended
     * attribute on filesystems that support them. This is what the store was told, not a fresh
     * hash of the content: use {@link #getVerified} to check the bytes.
     *
     * @throws BlobNotFoundException if there is no such blob
     */
    default Optional<String> recordedSha256(String key) throws IOException {
        if (stat(key).isEmpty()) {
            throw new BlobNotFoundException(key);
        }
        return Optional.empty();
    }

    /** Deletes the blob; returns false if there was none. */
    boolean delete(String key) throws IOException;

    /** Lists the blobs whose key starts with {@code prefix} ("" for all), in no particular order. */
    Stream<BlobInfo> list(String prefix) throws IOException;

    /** A short description for logs, without credentials (e.g. "filesystem /data/blobs"). */
    String describe();

    @Override
    void close() throws IOException;
}
