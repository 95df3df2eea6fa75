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
 * @param offset           rows to skip, in the index's stable order
 */
public record IndexQuery(QueryLevel level, List<Condition> conditions, Set<IndexAttribute> returnAttributes,
        int limit, int offset) {
    public IndexQuery {
        Objects.requireNonNull(level);
        conditions = List.copyOf(conditions);
        returnAttributes = Set.copyOf(returnAttributes);
        if (limit < 0 || offset < 0) {
            throw new IllegalArgumentException("limit and offset must not be negative");
        }
    }
}
