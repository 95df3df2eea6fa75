package org.imagingnode.bridge.sharing.consumer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.imagingnode.bridge.dicom.DatasetStructure;
import org.imagingnode.bridge.dicom.FileMeta;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.storage.BlobInfo;
import org.imagingnode.storage.BlobNotFoundException;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances retrieved from other nodes, kept in the node's blob store under {@value #PREFIX} so that the retrieve
 * edges (WADO-RS, C-GET, C-MOVE) serve them exactly like local ones. Bounded in bytes and in age; the least
 * recently used instance goes first.
 *
 * <p>Nothing half-way is ever served as complete: an instance enters the cache only once it was fully received
 * in a spool file, checked (byte count and SHA-256 against what the source declared, a Part 10 header naming the
 * expected instance, a data set whose structure walks to its end), and written to the blob store, whose puts
 * are atomic (a reader sees the whole blob or none). The key carries the checksum's prefix
 * ({@code remote-cache/<study>/<series>/<sop>.<sha16>}).
 *
 * <p>The bookkeeping (which instance, its size, its last use) is in memory, rebuilt from the store's listing at
 * start; with several nodes sharing a store each bounds its own view, and an instance one evicted while another
 * still lists it is fetched again by the other (see {@link #get}).
 */
public class InstanceCache {
    private static final Logger log = LoggerFactory.getLogger(InstanceCache.class);
    static final String PREFIX = "remote-cache/";

    /** One cached instance: where it is, when it was fetched; its location is read from its header on first use. */
    private static final class Entry {
        final String key;
        final long size;
        final Instant storedAt;
        volatile InstanceLocation location;

        Entry(String key, long size, Instant storedAt, InstanceLocation location) {
            this.key = key;
            this.size = size;
            this.storedAt = storedAt;
            this.location = location;
        }
    }

    /** What a source said about an instance it sent: checked before the instance is kept. */
    public record Declared(String studyUid, String seriesUid, String sopInstanceUid, long contentLength,
            String sha256Hex) {
    }

    /** The received bytes are not the instance that was asked for, or not all of it. */
    public static final class RejectedException extends IOException {
        RejectedException(String message) {
            super(message);
        }
    }

    private final BlobStore blobs;
    private final ConsumerProperties.Cache limits;
    private final Clock clock;
    /** By SOP Instance UID, in access order (eldest first). */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;

    public InstanceCache(BlobStore blobs, ConsumerProperties.Cache limits, Clock clock) {
        this.blobs = blobs;
        this.limits = limits;
        this.clock = clock;
    }

    /** Rebuilds the bookkeeping from the store (oldest first, so they are evicted first), then applies the bounds. */
    public void load() throws IOException {
        List<BlobInfo> found = new ArrayList<>();
        try (Stream<BlobInfo> all = blobs.list(PREFIX)) {
            all.forEach(found::add);
        }
        found.sort(Comparator.comparing(BlobInfo::lastModified));
        synchronized (this) {
            for (BlobInfo b : found) {
                String sop = sopOf(b.key());
                if (sop == null) {
                    continue;
                }
                Entry old = entries.put(sop, new Entry(b.key(), b.size(), b.lastModified(), null));
                bytes += b.size() - (old == null ? 0 : old.size);
            }
        }
        List<String> gone = evict(null);
        log.info("remote instance cache: {} instance(s), {} MB, in {}{}", count(), bytes() >> 20, blobs.describe(),
                gone.isEmpty() ? "" : "; " + gone.size() + " evicted (limits)");
    }

    /**
     * The cached instance, if it is there and not too old. Its blob is looked for each time (a stat, or an S3
     * HEAD): another node sharing the store may have evicted it, and an instance gone is fetched again rather
     * than failing every request for it until this node's own bounds drop it.
     */
    public Optional<InstanceLocation> get(String sopInstanceUid) throws IOException {
        Entry e;
        synchronized (this) {
            e = entries.get(sopInstanceUid);
        }
        if (e == null) {
            return Optional.empty();
        }
        if (e.storedAt.isBefore(clock.instant().minus(limits.maxAge()))) {
            remove(sopInstanceUid, e, "older than " + limits.maxAge());
            return Optional.empty();
        }
        InstanceLocation loc = e.location;
        if (loc == null) {
            try {
                loc = readLocation(e);
            } catch (BlobNotFoundException | MalformedDicomException gone) {
                remove(sopInstanceUid, e, "unreadable: " + gone.getMessage());
                return Optional.empty();
            }
            e.location = loc;
        } else if (blobs.stat(e.key).isEmpty()) {
            remove(sopInstanceUid, e, "no longer in the store");
            return Optional.empty();
        }
        return Optional.of(loc);
    }

    /**
     * Checks a fully received instance and keeps it; the file is consumed (moved into the store, or deleted when
     * rejected).
     *
     * @throws RejectedException when the bytes are not what the source declared, or not a whole DICOM object
     */
    public InstanceLocation put(Declared declared, Path file, String sha256Hex) throws IOException {
        InstanceLocation loc;
        try {
            long size = Files.size(file);
            if (declared.contentLength() >= 0 && size != declared.contentLength()) {
                throw new RejectedException("received " + size + " bytes of " + declared.contentLength() + " announced");
            }
            if (declared.sha256Hex() != null && !declared.sha256Hex().equalsIgnoreCase(sha256Hex)) {
                throw new RejectedException("the SHA-256 of the received bytes differs from the one announced");
            }
            FileMeta meta;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 65536)) {
                FileMeta.Reader r = FileMeta.read(in);
                meta = r.meta();
                DatasetStructure.verify(r.dataset(), meta.transferSyntaxUid());
            } catch (MalformedDicomException e) {
                throw new RejectedException("not a whole DICOM object: " + e.getMessage());
            }
            if (!declared.sopInstanceUid().equals(meta.sopInstanceUid())) {
                throw new RejectedException("the object received is not the instance asked for");
            }
            String key = PREFIX + declared.studyUid() + "/" + declared.seriesUid() + "/" + declared.sopInstanceUid()
                    + "." + sha256Hex.substring(0, 16);
            blobs.putFile(key, file, sha256Hex);
            loc = new InstanceLocation(declared.studyUid(), declared.seriesUid(), declared.sopInstanceUid(),
                    meta.sopClassUid(), meta.transferSyntaxUid(), key, size, sha256Hex, meta.datasetOffset());
        } finally {
            Files.deleteIfExists(file);
        }
        Entry added = new Entry(loc.blobKey(), loc.blobSize(), clock.instant(), loc);
        Entry replaced;
        synchronized (this) {
            replaced = entries.put(loc.sopInstanceUid(), added);
            bytes += added.size - (replaced == null ? 0 : replaced.size);
        }
        if (replaced != null && !replaced.key.equals(added.key)) {
            deleteBlob(replaced.key);
        }
        evict(loc.sopInstanceUid());
        return loc;
    }

    /**
     * Drops the cached instances of a study (or of one series of it, {@code seriesUid} not null) that its source no
     * longer lists: rejected there (IHE IOCM), they are neither served nor kept here. Returns their SOP UIDs.
     */
    public List<String> retainListed(String studyUid, String seriesUid, Set<String> listed) {
        String prefix = PREFIX + studyUid + "/" + (seriesUid == null ? "" : seriesUid + "/");
        Map<String, Entry> unlisted = new LinkedHashMap<>();
        synchronized (this) {
            entries.forEach((sop, e) -> {
                if (e.key.startsWith(prefix) && !listed.contains(sop)) {
                    unlisted.put(sop, e);
                }
            });
        }
        unlisted.forEach((sop, e) -> remove(sop, e, "no longer listed by its source"));
        return List.copyOf(unlisted.keySet());
    }

    /** Whether any instance of the study is cached. */
    public boolean holdsStudy(String studyUid) {
        String prefix = PREFIX + studyUid + "/";
        synchronized (this) {
            return entries.values().stream().anyMatch(e -> e.key.startsWith(prefix));
        }
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int count() {
        return entries.size();
    }

    /** Applies the bounds (age, then size, least recently used first); {@code keep} is never evicted. */
    List<String> evict(String keep) {
        List<String> gone = new ArrayList<>();
        List<Entry> toDelete = new ArrayList<>();
        long max = limits.maxSize().toBytes();
        long left;
        synchronized (this) {
            Instant oldest = clock.instant().minus(limits.maxAge());
            Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<String, Entry> me = it.next();
                Entry e = me.getValue();
                if ((e.storedAt.isBefore(oldest) || bytes > max) && !me.getKey().equals(keep)) {
                    it.remove();
                    bytes -= e.size;
                    gone.add(me.getKey());
                    toDelete.add(e);
                }
            }
            left = bytes;
        }
        toDelete.forEach(e -> deleteBlob(e.key)); // outside the lock: a slow store must not stall readers
        if (!gone.isEmpty()) {
            log.info("remote instance cache: {} instance(s) evicted, {} MB kept of {} MB allowed", gone.size(),
                    left >> 20, max >> 20);
        }
        return gone;
    }

    private void remove(String sop, Entry e, String why) {
        synchronized (this) {
            if (!entries.remove(sop, e)) {
                return;
            }
            bytes -= e.size;
        }
        log.info("remote instance cache: {} dropped ({})", sop, why);
        deleteBlob(e.key);
    }

    private void deleteBlob(String key) {
        try {
            blobs.delete(key);
        } catch (IOException | RuntimeException ex) {
            log.warn("remote instance cache: could not delete {}: {}", key, ex.toString());
        }
    }

    private InstanceLocation readLocation(Entry e) throws IOException, MalformedDicomException {
        String[] parts = e.key.substring(PREFIX.length()).split("/");
        FileMeta meta;
        try (InputStream in = new BufferedInputStream(blobs.get(e.key, 0, 65536 + 132), 8192)) {
            meta = FileMeta.read(in).meta();
        }
        String sha = blobs.recordedSha256(e.key).orElse(null);
        return new InstanceLocation(parts[0], parts[1], meta.sopInstanceUid(), meta.sopClassUid(),
                meta.transferSyntaxUid(), e.key, e.size, sha, meta.datasetOffset());
    }

    /** The SOP Instance UID of a cache key, or null for a key this cache did not make. */
    static String sopOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return null;
        }
        String[] parts = key.substring(PREFIX.length()).split("/");
        if (parts.length != 3) {
            return null;
        }
        int dot = parts[2].lastIndexOf('.');
        String sop = dot > 0 ? parts[2].substring(0, dot) : null;
        return sop != null && Uids.isValid(sop) && Uids.isValid(parts[0]) && Uids.isValid(parts[1]) ? sop : null;
    }
}
