package org.imagingnode.bridge.index;

import java.util.Map;

/**
 * One match of an {@link IndexQuery}: attribute values by attribute (String, Integer, LocalDate or
 * List of String as the attribute's kind says). A requested attribute with no value is absent.
 */
public record IndexRow(Map<IndexAttribute, Object> values) {
    public IndexRow {
        values = Map.copyOf(values);
    }

    public Object get(IndexAttribute attribute) {
        return values.get(attribute);
    }
}
