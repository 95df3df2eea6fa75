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
 * ({@code remote-cache/<source node>/<study>/<series>/<sop>.<sha16>}).
 *
 * <p>Each source node has its own part of the cache, and an instance is found there only under the study it was
 * fetched for: what one node sent is never served as another node's, nor under another study, whatever SOP
 * Instance UIDs a node's answers name.
 *
 * <p>The bookkeeping (which instance, its size, its last use) is in memory, rebuilt from the store's listing at
 * start; with several nodes sharing a store each bounds its own view, and an instance one evicted while another
 * still lists it is fetched again by the other (see {@link #get}).
 */
public class InstanceCache {
    private static final Logger log = LoggerFactory.getLogger(InstanceCache.class);
    static final String PREFIX = "remote-cache/";

    /** Which cached instance: an instance of a study, as one source node sent it. */
    public record Key(String sourceNode, String studyUid, String sopInstanceUid) {
    }

    /** One cached instance: where it is, when it was fetched; its location is read from its header on first use. */
    private static final class Entry {
        final String key;
        final String studyUid;
        final String sopInstanceUid;
        final long size;
        final Instant storedAt;
        volatile InstanceLocation location;

        Entry(String key, String studyUid, String sopInstanceUid, long size, Instant storedAt,
                InstanceLocation location) {
            this.key = key;
            this.studyUid = studyUid;
            this.sopInstanceUid = sopInstanceUid;
            this.size = size;
            this.storedAt = storedAt;
            this.location = location;
        }
    }

    /** What a source said about an instance it sent: checked before the instance is kept. */
    public record Declared(String sourceNode, String studyUid, String seriesUid, String sopInstanceUid,
            long contentLength, String sha256Hex) {
        public Key key() {
            return new Key(sourceNode, studyUid, sopInstanceUid);
        }
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
    /** By blob key folder and SOP Instance UID ({@link #id}), in access order (eldest first). */
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
        List<String> foreign = new ArrayList<>();
        synchronized (this) {
            for (BlobInfo b : found) {
                String[] parts = partsOf(b.key());
                if (parts == null) {
                    foreign.add(b.key()); // not one of this cache's keys (an earlier layout): a cache, so dropped
                    continue;
                }
                Entry old = entries.put(id(parts[0], parts[1], parts[3]),
                        new Entry(b.key(), parts[1], parts[3], b.size(), b.lastModified(), null));
                bytes += b.size() - (old == null ? 0 : old.size);
            }
        }
        foreign.forEach(this::deleteBlob);
        List<String> gone = evict(null);
        log.info("remote instance cache: {} instance(s), {} MB, in {}{}{}", count(), bytes() >> 20, blobs.describe(),
                gone.isEmpty() ? "" : "; " + gone.size() + " evicted (limits)",
                foreign.isEmpty() ? "" : "; " + foreign.size() + " of another key layout deleted");
    }

    /**
     * The cached instance, if it is there and not too old. Its blob is looked for each time (a stat, or an S3
     * HEAD): another node sharing the store may have evicted it, and an instance gone is fetched again rather
     * than failing every request for it until this node's own bounds drop it.
     */
    public Optional<InstanceLocation> get(Key key) throws IOException {
        String id = id(key);
        Entry e;
        synchronized (this) {
            e = entries.get(id);
        }
        if (e == null) {
            return Optional.empty();
        }
        if (e.storedAt.isBefore(clock.instant().minus(limits.maxAge()))) {
            remove(id, e, "older than " + limits.maxAge());
            return Optional.empty();
        }
        InstanceLocation loc = e.location;
        if (loc == null) {
            try {
                loc = readLocation(e);
            } catch (BlobNotFoundException | MalformedDicomException gone) {
                remove(id, e, "unreadable: " + gone.getMessage());
                return Optional.empty();
            }
            e.location = loc;
        } else if (blobs.stat(e.key).isEmpty()) {
            remove(id, e, "no longer in the store");
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
            String key = PREFIX + nodeFolder(declared.sourceNode()) + "/" + declared.studyUid() + "/" + declared.seriesUid()
                    + "/" + declared.sopInstanceUid() + "." + sha256Hex.substring(0, 16);
            blobs.putFile(key, file, sha256Hex);
            loc = new InstanceLocation(declared.studyUid(), declared.seriesUid(), declared.sopInstanceUid(),
                    meta.sopClassUid(), meta.transferSyntaxUid(), key, size, sha256Hex, meta.datasetOffset());
        } finally {
            Files.deleteIfExists(file);
        }
        Entry added = new Entry(loc.blobKey(), loc.studyInstanceUid(), loc.sopInstanceUid(), loc.blobSize(),
                clock.instant(), loc);
        String id = id(declared.key());
        Entry replaced;
        synchronized (this) {
            replaced = entries.put(id, added);
            bytes += added.size - (replaced == null ? 0 : replaced.size);
        }
        if (replaced != null && !replaced.key.equals(added.key)) {
            deleteBlob(replaced.key);
        }
        evict(id);
        return loc;
    }

    /**
     * Drops the cached instances of a study (or of one series of it, {@code seriesUid} not null) that its source no
     * longer lists: rejected there (IHE IOCM), they are neither served nor kept here. Returns their SOP UIDs.
     */
    public List<String> retainListed(String sourceNode, String studyUid, String seriesUid, Set<String> listed) {
        String prefix = PREFIX + nodeFolder(sourceNode) + "/" + studyUid + "/"
                + (seriesUid == null ? "" : seriesUid + "/");
        Map<String, Entry> unlisted = new LinkedHashMap<>();
        synchronized (this) {
            entries.forEach((id, e) -> {
                if (e.key.startsWith(prefix) && !listed.contains(e.sopInstanceUid)) {
                    unlisted.put(id, e);
                }
            });
        }
        unlisted.forEach((id, e) -> remove(id, e, "no longer listed by its source"));
        return unlisted.values().stream().map(e -> e.sopInstanceUid).toList();
    }

    /** Whether any instance of the study is cached. */
    public boolean holdsStudy(String studyUid) {
        synchronized (this) {
            return entries.values().stream().anyMatch(e -> e.studyUid.equals(studyUid));
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

    private void remove(String id, Entry e, String why) {
        synchronized (this) {
            if (!entries.remove(id, e)) {
                return;
            }
            bytes -= e.size;
        }
        log.info("remote instance cache: {} dropped ({})", e.key, why);
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
        return new InstanceLocation(parts[1], parts[2], meta.sopInstanceUid(), meta.sopClassUid(),
                meta.transferSyntaxUid(), e.key, e.size, sha, meta.datasetOffset());
    }

    /** Where an instance is in {@link #entries}: its node's folder, its study, its SOP Instance UID. */
    private static String id(Key key) {
        return id(nodeFolder(key.sourceNode()), key.studyUid(), key.sopInstanceUid());
    }

    private static String id(String nodeFolder, String studyUid, String sopInstanceUid) {
        return nodeFolder + "/" + studyUid + "/" + sopInstanceUid;
    }

    /** A source node's folder in the blob keys: node ids may hold ':', which keys may not (the mapping is one to one). */
    private static String nodeFolder(String sourceNode) {
        return sourceNode.replace("_", "__").replace(":", "_-");
    }

    /**
     * A blob key this cache made, as {node folder, study, series, SOP Instance UID}; null for any other key (one of
     * an earlier layout, without the node's folder, among them).
     */
    static String[] partsOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return null;
        }
        String[] parts = key.substring(PREFIX.length()).split("/");
        if (parts.length != 4) {
            return null;
        }
        int dot = parts[3].lastIndexOf('.');
        String sop = dot > 0 ? parts[3].substring(0, dot) : null;
        if (sop == null || !Uids.isValid(sop) || !Uids.isValid(parts[1]) || !Uids.isValid(parts[2])) {
            return null;
        }
        return new String[] {parts[0], parts[1], parts[2], sop};
    }
}
