package org.imagingnode.bridge.index;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The PostgreSQL index of stored instances: written by ingest, read by the query and retrieve edges. */
public interface InstanceIndex {
    /**
     * Sources (the {@code sourceAeTitle} of {@link IndexedInstance}) of the objects the node derives itself, such
     * as study manifests; longer than any AE title, so no DICOM peer can share them. Never rejected.
     */
    String OWN_SOURCE_PREFIX = "imaging-node:";

    /** The stored location of an instance, if indexed. */
    Optional<InstanceLocation> findInstance(String sopInstanceUid);

    /** {@link #upsert(IndexedInstance, CompletableFuture)} of an instance whose bytes are already durable. */
    default Optional<String> upsert(IndexedInstance instance) {
        return upsert(instance, CompletableFuture.completedFuture(null));
    }

    /**
     * Inserts or replaces the rows of one instance (patient, study, series, instance) in one transaction, which
     * commits only once {@code bytesDurable} has completed normally: ingest writes the rows while the blob store
     * flushes the bytes, and the rows are never committed before the bytes are durable. Returns the blob key the
     * instance had before, if it was already indexed under another key (the caller then deletes that blob).
     *
     * @throws PreviouslyRejectedException when the SOP Instance UID was rejected (nothing is written)
     * @throws java.util.concurrent.CompletionException when {@code bytesDurable} failed (nothing is written)
     */
    Optional<String> upsert(IndexedInstance instance, CompletableFuture<?> bytesDurable);

    /**
     * Applies a rejection note in one transaction: the referenced instances of the note's study leave every query
     * and retrieval (their bytes stay in the blob store), and their SOP Instance UIDs stay rejected for good.
     * Idempotent. Returns what became of each referenced instance.
     */
    Map<String, Rejection.Outcome> reject(Rejection rejection);

    /** The SOP Instance UIDs of the rejection notes received for a study. */
    Set<String> rejectionNotesOf(String studyUid);

    /** The blob keys kept for the rejected instances among {@code sopInstanceUids} (their bytes are kept). */
    Map<String, String> rejectedBlobKeys(Collection<String> sopInstanceUids);

    /**
     * Removes an instance's row (a derived object of the node's own, such as a withdrawn study's manifest) and its
     * series when left empty; returns the blob key it had, for the caller to delete.
     */
    Optional<String> remove(String sopInstanceUid);

    /** Runs a query; rows come in a stable order (so limit/offset pages are consistent). */
    List<IndexRow> find(IndexQuery query);

    /**
     * The instances matching every condition (conditions may be on any level, e.g. StudyInstanceUID
     * plus a SeriesInstanceUID list). Ordered by study, series, instance number. At least one
     * condition is required: a retrieve never addresses the whole archive.
     */
    List<InstanceLocation> locate(List<Condition> conditions);

    /**
     * Studies whose instances (other than those received from {@code derivedSource}, e.g. their
     * manifest, and other than rejection notes) or rejections last changed before {@code quietSince}
     * and after the newest instance from {@code derivedSource}, or that hold an instance no derived object
     * was built from ({@link #markSeenByDerived}): the studies whose derived object is missing or out of date. A study with nothing left but rejection notes is listed only while it
     * still has a derived object (to be withdrawn).
     */
    List<String> studiesChangedSinceDerived(String derivedSource, Instant quietSince, int limit);

    /** The SOP Instance UIDs of the study's instances received from {@code derivedSource} (e.g. its manifests). */
    Set<String> derivedInstances(String studyUid, String derivedSource);

    /**
     * A build of the study's derived object looked at these instances (the object itself included): they no longer
     * make their study due. An instance committed while the object was being built was not among them, so its
     * study stays due.
     */
    void markSeenByDerived(Collection<String> sopInstanceUids);
}
