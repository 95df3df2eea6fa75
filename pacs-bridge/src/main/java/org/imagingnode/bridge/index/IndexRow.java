package org.imagingnode.bridge.index;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

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

    /**
     * The row another node's QIDO-RS answer gives for one object (DICOM JSON): each attribute's first value, text
     * as a String (dates stay DICOM DA text), a number as an Integer, a person name as its alphabetic form.
     */
    public static IndexRow fromDicomJson(JsonNode object, Set<IndexAttribute> attributes) {
        Map<IndexAttribute, Object> values = new HashMap<>();
        for (IndexAttribute a : attributes) {
            JsonNode v = object.path(String.format("%08X", a.tag())).path("Value").path(0);
            if (v.isObject()) {
                v = v.path("Alphabetic");
            }
            if (v.isNumber()) {
                values.put(a, v.intValue());
            } else if (v.isTextual()) {
                values.put(a, v.asText());
            }
        }
        return new IndexRow(values);
    }
}
