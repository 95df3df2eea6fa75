package org.imagingnode.bridge.blobstore;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.imagingnode.storage.BlobCorruptedException;
import org.imagingnode.storage.BlobInfo;
import org.imagingnode.storage.BlobStore;
import org.imagingnode.storage.StoredBlob;

/**
 * Copies every blob of one store into another, verifying checksums, and resumes where an earlier
 * run stopped: puts are atomic, so a blob present in the target with the source's size (and
 * checksum, when both stores record one) is complete and skipped. A blob whose content no longer
 * matches its recorded checksum is reported and never copied.
 */
public final class BlobMigration {

    /** Receives progress: one call per blob handled, with its size. */
    public interface Progress {
        void advance(long bytes);
    }

    /** What a run did. */
    public record Report(long copied, long skipped, long bytesCopied, List<String> failures) {
        public boolean complete() {
            return failures.isEmpty();
        }
    }

    private final BlobStore from;
    private final BlobStore to;

    public BlobMigration(BlobStore from, BlobStore to) {
        this.from = from;
        this.to = to;
    }

    /** The number of blobs and bytes under {@code prefix}, for a progress bar. */
    public long[] count(String prefix) throws IOException {
        try (Stream<BlobInfo> blobs = from.list(prefix)) {
            long[] total = new long[2];
            blobs.forEach(b -> {
                total[0]++;
                total[1] += b.size();
            });
            return total;
        }
    }

    public Report run(String prefix, Progress progress) throws IOException {
        long copied = 0;
        long skipped = 0;
        long bytes = 0;
        List<String> failures = new ArrayList<>();
        try (Stream<BlobInfo> blobs = from.list(prefix)) {
            for (BlobInfo blob : (Iterable<BlobInfo>) blobs::iterator) {
                String key = blob.key();
                try {
                    Optional<String> expected = from.recordedSha256(key);
                    if (alreadyCopied(blob, expected)) {
                        skipped++;
                    } else {
                        StoredBlob stored;
                        try (InputStream in = expected.isPresent() ? from.getVerified(key, expected.get()) : from.get(key)) {
                            stored = to.put(key, in);
                        }
                        if (stored.size() != blob.size()) {
                            to.delete(key);
                            failures.add(key + ": copied " + stored.size() + " bytes, source has " + blob.size());
                        } else {
                            copied++;
                            bytes += stored.size();
                        }
                    }
                } catch (BlobCorruptedException e) {
                    failures.add(key + ": corrupted in the source store, not copied (" + e.getMessage() + ")");
                } catch (IOException e) {
                    failures.add(key + ": " + e.getMessage());
                }
                progress.advance(blob.size());
            }
        }
        return new Report(copied, skipped, bytes, List.copyOf(failures));
    }

    private boolean alreadyCopied(BlobInfo source, Optional<String> sourceSha) throws IOException {
        Optional<BlobInfo> target = to.stat(source.key());
        if (target.isEmpty() || target.get().size() != source.size()) {
            return false;
        }
        if (sourceSha.isEmpty()) {
            return true;
        }
        Optional<String> targetSha = to.recordedSha256(source.key());
        return targetSha.isEmpty() || targetSha.get().equals(sourceSha.get());
    }
}
