package org.imagingnode.bridge.index;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The PostgreSQL index of stored instances: written by ingest, read by the query and retrieve edges. */
public interface InstanceIndex {

    /** The stored location of an instance, if indexed. */
    Optional<InstanceLocation> findInstance(String sopInstanceUid);

    /**
     * Inserts or replaces the rows of one instance (patient, study, series, instance) in one
     * transaction. Returns the blob key the instance had before, if it was already indexed under
     * another key (the caller then deletes that blob).
     */
    Optional<String> upsert(IndexedInstance instance);

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
     * manifest) last changed before {@code quietSince} and after the newest instance from
     * {@code derivedSource}: the studies whose derived object is missing or out of date.
     */
    List<String> studiesChangedSinceDerived(String derivedSource, Instant quietSince, int limit);
}
