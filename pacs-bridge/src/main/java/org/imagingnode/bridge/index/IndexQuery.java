package org.imagingnode.bridge.index;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A search of the index at one level. Conditions on higher levels restrict the entities searched
 * (e.g. a SERIES query with a StudyInstanceUID condition); conditions on lower levels than the query
 * level are not allowed, except ModalitiesInStudy/SOPClassesInStudy at STUDY level.
 *
 * @param returnAttributes attributes wanted in each row, besides the level's unique keys, which are always returned
 * @param limit            at most this many rows (0 = no limit)
 * @param offset           rows to skip, in the index's stable order (over visible rows)
 * @param visibility       what the caller may see, applied before limit and offset
 */
public record IndexQuery(QueryLevel level, List<Condition> conditions, Set<IndexAttribute> returnAttributes,
        int limit, int offset, Visibility visibility) {
    public IndexQuery {
        Objects.requireNonNull(level);
        Objects.requireNonNull(visibility, "visibility (Visibility.ALL for no restriction)");
        conditions = List.copyOf(conditions);
        returnAttributes = Set.copyOf(returnAttributes);
        if (limit < 0 || offset < 0) {
            throw new IllegalArgumentException("limit and offset must not be negative");
        }
    }

    /** A query with no visibility restriction (the caller checked access otherwise, or may see everything). */
    public IndexQuery(QueryLevel level, List<Condition> conditions, Set<IndexAttribute> returnAttributes, int limit,
            int offset) {
        this(level, conditions, returnAttributes, limit, offset, Visibility.ALL);
    }

    /** The same query, answering at most {@code max} rows. */
    public IndexQuery limitedTo(int max) {
        return new IndexQuery(level, conditions, returnAttributes, max, offset, visibility);
    }

    /** The same query, restricted to what a caller may see. */
    public IndexQuery visibleTo(Visibility v) {
        return new IndexQuery(level, conditions, returnAttributes, limit, offset, visibility.and(v));
    }
}
