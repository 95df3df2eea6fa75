package org.imagingnode.bridge.dicomweb;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.MatchingKeys;
import org.imagingnode.bridge.index.QueryLevel;

/**
 * A QIDO-RS request's query parameters (PS3.18 8.3.4) as an index query: matching keys by keyword or
 * tag ({@code PatientID=P1}, {@code 00100020=P1}), with the same matching semantics as C-FIND
 * ({@link MatchingKeys}); {@code includefield} (repeated or comma-separated, or {@code all});
 * {@code limit}, {@code offset}; {@code fuzzymatching} (fuzzy matching is not supported: with
 * {@code true}, a Warning says so and exact/wildcard matching applies).
 */
record QidoQuery(IndexQuery query, Set<IndexAttribute> returned, List<String> warnings, int requestedLimit) {

    /** Default attributes returned at each level (PS3.18 Table 10.6.3-3/4/5), besides the unique keys. */
    static final Set<IndexAttribute> STUDY_DEFAULTS = EnumSet.of(IndexAttribute.StudyDate, IndexAttribute.StudyTime,
            IndexAttribute.AccessionNumber, IndexAttribute.ModalitiesInStudy, IndexAttribute.ReferringPhysicianName,
            IndexAttribute.PatientName, IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID,
            IndexAttribute.PatientBirthDate, IndexAttribute.PatientSex, IndexAttribute.StudyInstanceUID,
            IndexAttribute.StudyID, IndexAttribute.StudyDescription, IndexAttribute.NumberOfStudyRelatedSeries,
            IndexAttribute.NumberOfStudyRelatedInstances);
    static final Set<IndexAttribute> SERIES_DEFAULTS = EnumSet.of(IndexAttribute.Modality,
            IndexAttribute.SeriesDescription, IndexAttribute.SeriesInstanceUID, IndexAttribute.SeriesNumber,
            IndexAttribute.BodyPartExamined, IndexAttribute.NumberOfSeriesRelatedInstances);
    static final Set<IndexAttribute> INSTANCE_DEFAULTS = EnumSet.of(IndexAttribute.SOPClassUID,
            IndexAttribute.SOPInstanceUID, IndexAttribute.InstanceNumber, IndexAttribute.Rows, IndexAttribute.Columns,
            IndexAttribute.NumberOfFrames);

    private static final Set<String> CONTROL = Set.of("limit", "offset", "includefield", "fuzzymatching", "accept",
            "charset", "orderby");

    /**
     * @param level       the level searched
     * @param scope       the conditions of the path (e.g. the study of /studies/{s}/series)
     * @param withParents also return the default attributes of the levels above (queries not scoped by the path)
     * @param maxResults  the node's cap on one response
     */
    static QidoQuery parse(QueryLevel level, List<Condition> scope, boolean withParents,
            Map<String, List<String>> parameters, int maxResults) {
        List<Condition> conditions = new ArrayList<>(scope);
        Set<IndexAttribute> returned = new LinkedHashSet<>();
        List<String> warnings = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        addDefaults(level, withParents, returned);
        int limit = 0;
        int offset = 0;
        Map<IndexAttribute, String> keys = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
            String name = p.getKey();
            String lower = name.toLowerCase(Locale.ROOT);
            List<String> values = p.getValue();
            if (CONTROL.contains(lower)) {
                switch (lower) {
                    case "limit" -> limit = nonNegative(name, last(values));
                    case "offset" -> offset = nonNegative(name, last(values));
                    case "includefield" -> includeFields(values, level, returned);
                    case "fuzzymatching" -> {
                        if ("true".equalsIgnoreCase(last(values).strip())) {
                            warnings.add("299 imaging-node: \"fuzzymatching=true is not supported; exact and wildcard"
                                    + " matching were used\"");
                        } else if (!"false".equalsIgnoreCase(last(values).strip())) {
                            throw DicomWebException.badRequest("fuzzymatching must be true or false");
                        }
                    }
                    default -> {
                        // accept / charset are negotiation, orderby is not supported (stable index order)
                    }
                }
                continue;
            }
            int tag = tagOf(name);
            IndexAttribute attribute = IndexAttribute.forTag(tag).orElse(null);
            if (attribute == null) {
                unsupported.add(name);
                continue;
            }
            if (!matchableAt(attribute, level)) {
                throw DicomWebException.badRequest(attribute + " cannot be a matching key of a "
                        + level.name().toLowerCase(Locale.ROOT).replace("image", "instance") + "-level query");
            }
            String joined = String.join(",", values);
            keys.merge(attribute, joined, (a, b) -> a + "," + b);
            returned.add(attribute);
        }
        for (Map.Entry<IndexAttribute, String> k : keys.entrySet()) {
            try {
                MatchingKeys.parse(k.getKey(), k.getValue()).ifPresent(conditions::add);
            } catch (IllegalArgumentException e) {
                throw DicomWebException.badRequest(e.getMessage());
            }
        }
        if (!unsupported.isEmpty()) {
            warnings.add("299 imaging-node: \"The following attributes were not supported for matching and were"
                    + " ignored: " + String.join(", ", unsupported) + "\"");
        }
        int effective = limit == 0 ? maxResults : Math.min(limit, maxResults);
        // one more than asked, to know whether the answer was cut
        IndexQuery q = new IndexQuery(level, conditions, returned, effective + 1, offset);
        return new QidoQuery(q, returned, warnings, effective);
    }

    private static void addDefaults(QueryLevel level, boolean withParents, Set<IndexAttribute> returned) {
        switch (level) {
            case STUDY -> returned.addAll(STUDY_DEFAULTS);
            case SERIES -> {
                returned.addAll(SERIES_DEFAULTS);
                if (withParents) {
                    returned.addAll(STUDY_DEFAULTS);
                }
            }
            case IMAGE -> {
                returned.addAll(INSTANCE_DEFAULTS);
                if (withParents) {
                    returned.addAll(SERIES_DEFAULTS);
                    returned.addAll(STUDY_DEFAULTS);
                }
            }
            default -> throw new IllegalStateException("no QIDO at " + level);
        }
    }

    private static void includeFields(List<String> values, QueryLevel level, Set<IndexAttribute> returned) {
        for (String v : values) {
            for (String field : v.split(",")) {
                String f = field.strip();
                if (f.isEmpty()) {
                    continue;
                }
                if (f.equalsIgnoreCase("all")) {
                    for (IndexAttribute a : IndexAttribute.values()) {
                        if (a.level().compareTo(level) <= 0) {
                            returned.add(a);
                        }
                    }
                    continue;
                }
                int tag = tagOf(f);
                // attributes the index does not hold are not returned (the object's metadata has them)
                IndexAttribute.forTag(tag).filter(a -> a.level().compareTo(level) <= 0).ifPresent(returned::add);
            }
        }
    }

    private static boolean matchableAt(IndexAttribute a, QueryLevel level) {
        if (a.kind() == IndexAttribute.Kind.COUNT) {
            throw DicomWebException.badRequest(a + " is computed and cannot be a matching key");
        }
        if (a.kind() == IndexAttribute.Kind.LIST) {
            return level == QueryLevel.STUDY;
        }
        return a.level().compareTo(level) <= 0;
    }

    /** A keyword ("PatientID") or a tag ("00100020"); 400 for anything else. */
    static int tagOf(String name) {
        String n = name.strip();
        if (n.matches("[0-9A-Fa-f]{8}")) {
            return (int) Long.parseLong(n, 16);
        }
        if (n.contains(".")) {
            throw DicomWebException.badRequest("nested attributes ('" + n + "') are not supported in queries");
        }
        int tag = DicomDataset.tagForKeyword(n);
        if (tag < 0) {
            throw DicomWebException.badRequest("unknown attribute '" + n + "': use a DICOM keyword or an eight-digit tag");
        }
        return tag;
    }

    private static int nonNegative(String name, String value) {
        try {
            int v = Integer.parseInt(value.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw DicomWebException.badRequest(name + " must be a non-negative integer, not '" + value + "'");
        }
    }

    private static String last(List<String> values) {
        return values.isEmpty() ? "" : values.get(values.size() - 1);
    }
}
