package org.imagingnode.bridge.index;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds the parameterised SQL of index queries. Values are never written into the SQL text: every
 * value is a bind parameter, and LIKE patterns are escaped. Package-private: {@link PostgresInstanceIndex}
 * runs what this builds.
 *
 * <p>Table aliases: {@code p} patient, {@code st} study, {@code se} series, {@code i} instance.
 */
final class IndexSql {

    /** A built statement: SQL text, its bind values in order, and the attributes of its result columns. */
    record Statement(String sql, List<Object> params, List<IndexAttribute> columns) {
    }

    /** A list of text values bound as one text[] parameter. */
    record TextArray(List<String> values) {
    }

    private static final Map<IndexAttribute, String> COLUMN = new EnumMap<>(IndexAttribute.class);
    private static final Map<IndexAttribute, String> MATCH_COLUMN = new EnumMap<>(IndexAttribute.class);

    static {
        COLUMN.put(IndexAttribute.PatientID, "p.patient_id");
        COLUMN.put(IndexAttribute.IssuerOfPatientID, "p.issuer");
        COLUMN.put(IndexAttribute.PatientName, "p.patient_name");
        COLUMN.put(IndexAttribute.PatientBirthDate, "p.birth_date");
        COLUMN.put(IndexAttribute.PatientSex, "p.sex");
        COLUMN.put(IndexAttribute.StudyInstanceUID, "st.study_instance_uid");
        COLUMN.put(IndexAttribute.StudyDate, "st.study_date");
        COLUMN.put(IndexAttribute.StudyTime, "st.study_time");
        COLUMN.put(IndexAttribute.AccessionNumber, "st.accession_number");
        COLUMN.put(IndexAttribute.StudyID, "st.study_id");
        COLUMN.put(IndexAttribute.StudyDescription, "st.study_description");
        COLUMN.put(IndexAttribute.ReferringPhysicianName, "st.referring_physician_name");
        COLUMN.put(IndexAttribute.SeriesInstanceUID, "se.series_instance_uid");
        COLUMN.put(IndexAttribute.Modality, "se.modality");
        COLUMN.put(IndexAttribute.SeriesNumber, "se.series_number");
        COLUMN.put(IndexAttribute.SeriesDescription, "se.series_description");
        COLUMN.put(IndexAttribute.BodyPartExamined, "se.body_part_examined");
        COLUMN.put(IndexAttribute.SOPInstanceUID, "i.sop_instance_uid");
        COLUMN.put(IndexAttribute.SOPClassUID, "i.sop_class_uid");
        COLUMN.put(IndexAttribute.InstanceNumber, "i.instance_number");
        COLUMN.put(IndexAttribute.NumberOfFrames, "i.number_of_frames");
        COLUMN.put(IndexAttribute.Rows, "i.pixel_rows");
        COLUMN.put(IndexAttribute.Columns, "i.pixel_columns");

        MATCH_COLUMN.putAll(COLUMN);
        MATCH_COLUMN.put(IndexAttribute.PatientName, "p.patient_name_norm");
        MATCH_COLUMN.put(IndexAttribute.ReferringPhysicianName, "st.referring_physician_name_norm");
    }

    /**
     * Derived (COUNT / LIST) attributes: SQL computed in the outer query from the page's keys (q.*_pk). They count
     * only what the caller may see: {@value #VISIBLE_STUDIES} stands for the visibility's predicate over the
     * studies (aliases p and st) and {@value #VISIBLE_SERIES} for its series restriction (alias y), so that a hidden
     * study or, under a series-scoped credential, the study's other series are not given away by a count.
     */
    private static final Map<IndexAttribute, String> DERIVED = new EnumMap<>(IndexAttribute.class);
    private static final String VISIBLE_STUDIES = "%VISIBLE_STUDIES%";
    private static final String VISIBLE_SERIES = "%VISIBLE_SERIES%";

    static {
        String patientStudies = "study st JOIN patient p ON p.pk = st.patient_fk";
        // a study with nothing left but rejection notes is not one of the patient's
        String ofPatient = " st.patient_fk = q.p_pk AND " + StudyContent.SQL;
        DERIVED.put(IndexAttribute.NumberOfPatientRelatedStudies,
                "(SELECT count(*)::int FROM " + patientStudies + " WHERE" + ofPatient + VISIBLE_STUDIES + ")");
        DERIVED.put(IndexAttribute.NumberOfPatientRelatedSeries,
                "(SELECT count(*)::int FROM " + patientStudies + " JOIN series y ON y.study_fk = st.pk"
                        + " WHERE" + ofPatient + VISIBLE_STUDIES + VISIBLE_SERIES + ")");
        DERIVED.put(IndexAttribute.NumberOfPatientRelatedInstances,
                "(SELECT count(*)::int FROM " + patientStudies + " JOIN series y ON y.study_fk = st.pk"
                        + " JOIN instance z ON z.series_fk = y.pk WHERE" + ofPatient + VISIBLE_STUDIES
                        + VISIBLE_SERIES + ")");
        DERIVED.put(IndexAttribute.NumberOfStudyRelatedSeries,
                "(SELECT count(*)::int FROM series y WHERE y.study_fk = q.st_pk" + VISIBLE_SERIES + ")");
        DERIVED.put(IndexAttribute.NumberOfStudyRelatedInstances,
                "(SELECT count(*)::int FROM series y JOIN instance z ON z.series_fk = y.pk WHERE y.study_fk = q.st_pk"
                        + VISIBLE_SERIES + ")");
        DERIVED.put(IndexAttribute.NumberOfSeriesRelatedInstances,
                "(SELECT count(*)::int FROM instance z WHERE z.series_fk = q.se_pk)");
        DERIVED.put(IndexAttribute.ModalitiesInStudy,
                "(SELECT array_agg(DISTINCT y.modality ORDER BY y.modality) FROM series y"
                        + " WHERE y.study_fk = q.st_pk AND y.modality IS NOT NULL" + VISIBLE_SERIES + ")");
        DERIVED.put(IndexAttribute.SOPClassesInStudy,
                "(SELECT array_agg(DISTINCT z.sop_class_uid ORDER BY z.sop_class_uid) FROM series y"
                        + " JOIN instance z ON z.series_fk = y.pk WHERE y.study_fk = q.st_pk AND z.sop_class_uid IS NOT NULL"
                        + VISIBLE_SERIES + ")");
    }

    /** A derived attribute's SQL for a caller who sees {@code v}, adding the bind values it needs to {@code params}. */
    private static String derived(IndexAttribute a, Visibility v, List<Object> params) {
        String sql = DERIVED.get(a);
        if (sql.contains(VISIBLE_STUDIES)) {
            if ("TRUE".equals(v.predicate())) {
                sql = sql.replace(VISIBLE_STUDIES, "");
            } else {
                sql = sql.replace(VISIBLE_STUDIES, " AND (" + v.predicate() + ")");
                params.addAll(v.params());
            }
        }
        if (sql.contains(VISIBLE_SERIES)) {
            if (v.seriesInstanceUid() == null) {
                sql = sql.replace(VISIBLE_SERIES, "");
            } else {
                sql = sql.replace(VISIBLE_SERIES, " AND y.series_instance_uid = ?");
                params.add(v.seriesInstanceUid());
            }
        }
        return sql;
    }

    /** Unique keys returned at each level (the level's own and those of the levels above). */
    static List<IndexAttribute> uniqueKeys(QueryLevel level) {
        List<IndexAttribute> keys = new ArrayList<>(List.of(IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID));
        if (level.compareTo(QueryLevel.STUDY) >= 0) {
            keys.add(IndexAttribute.StudyInstanceUID);
        }
        if (level.compareTo(QueryLevel.SERIES) >= 0) {
            keys.add(IndexAttribute.SeriesInstanceUID);
        }
        if (level == QueryLevel.IMAGE) {
            keys.add(IndexAttribute.SOPInstanceUID);
        }
        return keys;
    }

    private static final String[] FROM = {
        "patient p",
        "study st JOIN patient p ON p.pk = st.patient_fk",
        "series se JOIN study st ON st.pk = se.study_fk JOIN patient p ON p.pk = st.patient_fk",
        "instance i JOIN series se ON se.pk = i.series_fk JOIN study st ON st.pk = se.study_fk"
                + " JOIN patient p ON p.pk = st.patient_fk",
    };

    private static final String[] KEYS = {
        "p.pk AS p_pk",
        "p.pk AS p_pk, st.pk AS st_pk",
        "p.pk AS p_pk, st.pk AS st_pk, se.pk AS se_pk",
        "p.pk AS p_pk, st.pk AS st_pk, se.pk AS se_pk, i.pk AS i_pk",
    };

    /** Stable orders: by insertion within patient and study; series and instances by number, then insertion. */
    private static final String[] ORDER = {
        "p.pk",
        "st.pk",
        "st.pk, se.series_number NULLS LAST, se.pk",
        "st.pk, se.series_number NULLS LAST, se.pk, i.instance_number NULLS LAST, i.pk",
    };

    private static final String[] OUTER_ORDER = {
        "q.p_pk",
        "q.st_pk",
        "q.st_pk, q.se_number NULLS LAST, q.se_pk",
        "q.st_pk, q.se_number NULLS LAST, q.se_pk, q.i_number NULLS LAST, q.i_pk",
    };

    private IndexSql() {
    }

    /** The statement of a query; throws IllegalArgumentException for a query the index cannot answer. */
    static Statement find(IndexQuery query) {
        QueryLevel level = query.level();
        for (Condition c : query.conditions()) {
            if (c.attribute().level().compareTo(level) > 0) {
                throw new IllegalArgumentException(c.attribute() + " belongs to the " + c.attribute().level()
                        + " level and cannot be a matching key of a " + level + "-level query");
            }
        }
        Set<IndexAttribute> columns = new LinkedHashSet<>(uniqueKeys(level));
        query.returnAttributes().stream()
                .filter(a -> a.level().compareTo(level) <= 0)
                .sorted()
                .forEach(columns::add);

        List<Object> params = new ArrayList<>();
        StringBuilder inner = new StringBuilder("SELECT ").append(KEYS[level.ordinal()]);
        if (level.compareTo(QueryLevel.SERIES) >= 0) {
            inner.append(", se.series_number AS se_number");
        }
        if (level == QueryLevel.IMAGE) {
            inner.append(", i.instance_number AS i_number");
        }
        List<IndexAttribute> plain = new ArrayList<>();
        List<IndexAttribute> derived = new ArrayList<>();
        for (IndexAttribute a : columns) {
            if (DERIVED.containsKey(a)) {
                derived.add(a);
            } else {
                inner.append(", ").append(COLUMN.get(a)).append(" AS c").append(plain.size());
                plain.add(a);
            }
        }
        inner.append(" FROM ").append(FROM[level.ordinal()]);
        int restricting = appendWhere(inner, query.conditions(), params);
        appendVisibility(inner, restricting == 0, level, query.visibility(), params);
        String where = restricting == 0 && query.visibility().isAll() ? " WHERE " : " AND ";
        if (level == QueryLevel.STUDY) {
            inner.append(where).append(StudyContent.SQL);
        } else if (level == QueryLevel.PATIENT) {
            inner.append(where).append("EXISTS (SELECT 1 FROM study st WHERE st.patient_fk = p.pk AND ")
                    .append(StudyContent.SQL).append(')');
        }
        inner.append(" ORDER BY ").append(ORDER[level.ordinal()]);
        if (query.limit() > 0) {
            inner.append(" LIMIT ?");
            params.add(query.limit());
        }
        if (query.offset() > 0) {
            inner.append(" OFFSET ?");
            params.add(query.offset());
        }

        // the derived columns come first in the SQL text, and so do their bind values
        List<Object> outerParams = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        List<IndexAttribute> resultColumns = new ArrayList<>();
        for (int k = 0; k < plain.size(); k++) {
            sql.append(k == 0 ? "" : ", ").append("q.c").append(k);
            resultColumns.add(plain.get(k));
        }
        for (IndexAttribute a : derived) {
            sql.append(", ").append(derived(a, query.visibility(), outerParams));
            resultColumns.add(a);
        }
        sql.append(" FROM (").append(inner).append(") q ORDER BY ").append(OUTER_ORDER[level.ordinal()]);
        outerParams.addAll(params);
        return new Statement(sql.toString(), outerParams, resultColumns);
    }

    /** The statement of a locate: instances matching conditions on any level, in retrieve order. */
    static Statement locate(List<Condition> conditions) {
        if (conditions == null || conditions.isEmpty()) {
            throw new IllegalArgumentException("a retrieve needs at least one matching key (it never addresses the whole archive)");
        }
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT st.study_instance_uid, se.series_instance_uid, i.sop_instance_uid,"
                + " i.sop_class_uid, i.transfer_syntax_uid, i.blob_key, i.blob_size, i.sha256, i.dataset_offset FROM ")
                .append(FROM[QueryLevel.IMAGE.ordinal()]);
        if (appendWhere(sql, conditions, params) == 0) {
            throw new IllegalArgumentException("a retrieve needs at least one restricting matching key (all given keys match everything)");
        }
        sql.append(" ORDER BY ").append(ORDER[QueryLevel.IMAGE.ordinal()]);
        return new Statement(sql.toString(), params, List.of());
    }

    /**
     * Appends the caller's visibility to the WHERE clause, before ORDER/LIMIT/OFFSET, so that pages are pages of
     * visible rows. At the PATIENT level (no study alias) a patient is visible when one of their studies is.
     */
    private static void appendVisibility(StringBuilder sql, boolean first, QueryLevel level, Visibility v,
            List<Object> params) {
        if (v.isAll()) {
            return;
        }
        sql.append(first ? " WHERE " : " AND ");
        if (level == QueryLevel.PATIENT) {
            sql.append("EXISTS (SELECT 1 FROM study st WHERE st.patient_fk = p.pk AND (").append(v.predicate())
                    .append("))");
        } else {
            sql.append('(').append(v.predicate()).append(')');
        }
        params.addAll(v.params());
        if (v.seriesInstanceUid() != null && level.compareTo(QueryLevel.SERIES) >= 0) {
            sql.append(" AND se.series_instance_uid = ?");
            params.add(v.seriesInstanceUid());
        }
    }

    /** Appends " WHERE ..." for the restricting conditions; returns how many restrict. */
    private static int appendWhere(StringBuilder sql, List<Condition> conditions, List<Object> params) {
        int n = 0;
        for (Condition c : conditions) {
            String predicate = predicate(c, params);
            if (predicate != null) {
                sql.append(n++ == 0 ? " WHERE " : " AND ").append(predicate);
            }
        }
        return n;
    }

    /** The SQL predicate of one condition (adding its bind values), or null when it matches everything. */
    static String predicate(Condition condition, List<Object> params) {
        IndexAttribute a = condition.attribute();
        if (a == null) {
            throw new IllegalArgumentException("condition without attribute: " + condition);
        }
        IndexAttribute.Kind kind = a.kind();
        if (kind == IndexAttribute.Kind.COUNT) {
            throw new IllegalArgumentException(a + " is computed and cannot be a matching key");
        }
        if (condition instanceof Condition.SingleValue s) {
            return singleValue(a, kind, s.value(), params);
        } else if (condition instanceof Condition.Wildcard w) {
            return wildcard(a, kind, w.pattern(), params);
        } else if (condition instanceof Condition.DateRange d) {
            return dateRange(a, kind, d.from(), d.to(), params);
        } else if (condition instanceof Condition.TimeRange t) {
            return timeRange(a, kind, t.from(), t.to(), params);
        } else if (condition instanceof Condition.UidList u) {
            return uidList(a, kind, u.uids(), params);
        }
        throw new IllegalArgumentException("unsupported condition " + condition);
    }

    private static String singleValue(IndexAttribute a, IndexAttribute.Kind kind, String value, List<Object> params) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        switch (kind) {
            case LIST -> {
                List<String> values = Arrays.stream(value.split("\\\\")).filter(v -> !v.isEmpty()).toList();
                return values.isEmpty() ? null : listExists(a, "= ANY(?)", new TextArray(values), params);
            }
            case PERSON_NAME -> {
                String norm = PersonNames.normalise(value);
                if (norm == null) {
                    return null;
                }
                // the name as given, or followed by the component groups it leaves out ("Yamada^Tarou"
                // is "Yamada^Tarou=山田^太郎"): a byte-wise range, which the pattern index answers
                String column = MATCH_COLUMN.get(a);
                params.add(norm);
                params.add(norm + '=');
                params.add(norm + '>');
                return "(" + column + " = ? OR (" + column + " ~>=~ ? AND " + column + " ~<~ ?))";
            }
            case DATE -> {
                LocalDate d = parseDate(a, value);
                params.add(d);
                return COLUMN.get(a) + " = ?";
            }
            case TIME -> {
                return timeRange(a, kind, value, value, params);
            }
            case INTEGER -> {
                try {
                    params.add(Integer.valueOf(value.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(a + " must be an integer, not '" + value + "'");
                }
                return COLUMN.get(a) + " = ?";
            }
            default -> {
                params.add(value);
                return COLUMN.get(a) + " = ?";
            }
        }
    }

    private static String wildcard(IndexAttribute a, IndexAttribute.Kind kind, String pattern, List<Object> params) {
        if (pattern == null || pattern.isEmpty() || pattern.chars().allMatch(ch -> ch == '*')) {
            return null; // "*" is universal matching
        }
        if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
            return singleValue(a, kind, pattern, params);
        }
        switch (kind) {
            case TEXT, UID -> {
                params.add(likePattern(pattern));
                return COLUMN.get(a) + " LIKE ?";
            }
            case PERSON_NAME -> {
                String like = likePattern(PersonNames.normalise(pattern));
                params.add(like);
                if (like.endsWith("%")) {
                    return MATCH_COLUMN.get(a) + " LIKE ?";
                }
                params.add(like + "=%"); // also when the name goes on with more component groups
                return "(" + MATCH_COLUMN.get(a) + " LIKE ? OR " + MATCH_COLUMN.get(a) + " LIKE ?)";
            }
            case LIST -> {
                return listExists(a, "LIKE ?", likePattern(pattern), params);
            }
            default -> throw new IllegalArgumentException("wildcard matching is not supported for " + a
                    + " (" + kind.name().toLowerCase(Locale.ROOT) + "); use a single value or a range");
        }
    }

    private static String dateRange(IndexAttribute a, IndexAttribute.Kind kind, LocalDate from, LocalDate to,
            List<Object> params) {
        if (kind != IndexAttribute.Kind.DATE) {
            throw new IllegalArgumentException("date range matching needs a date attribute, not " + a);
        }
        String column = COLUMN.get(a);
        if (from != null && to != null) {
            params.add(from);
            params.add(to);
            return column + " BETWEEN ? AND ?";
        }
        if (from != null) {
            params.add(from);
            return column + " >= ?";
        }
        if (to != null) {
            params.add(to);
            return column + " <= ?";
        }
        return null;
    }

    private static String timeRange(IndexAttribute a, IndexAttribute.Kind kind, String from, String to,
            List<Object> params) {
        if (kind != IndexAttribute.Kind.TIME) {
            throw new IllegalArgumentException("time range matching needs a time attribute, not " + a);
        }
        String column = COLUMN.get(a);
        String lower = from == null || from.isBlank() ? null : from.strip();
        String upper = to == null || to.isBlank() ? null : endOfTime(to.strip());
        if (lower != null && upper != null) {
            params.add(lower);
            params.add(upper);
            return column + " BETWEEN ? AND ?";
        }
        if (lower != null) {
            params.add(lower);
            return column + " >= ?";
        }
        if (upper != null) {
            params.add(upper);
            return column + " <= ?";
        }
        return null;
    }

    private static String uidList(IndexAttribute a, IndexAttribute.Kind kind, List<String> uids, List<Object> params) {
        if (kind != IndexAttribute.Kind.UID && kind != IndexAttribute.Kind.TEXT && kind != IndexAttribute.Kind.LIST) {
            throw new IllegalArgumentException("list matching is not supported for " + a);
        }
        List<String> values = uids == null ? List.of()
                : uids.stream().filter(u -> u != null && !u.isBlank()).map(String::strip).distinct().toList();
        if (values.isEmpty()) {
            throw new IllegalArgumentException("empty list of values for " + a);
        }
        if (kind == IndexAttribute.Kind.LIST) {
            return listExists(a, "= ANY(?)", new TextArray(values), params);
        }
        params.add(new TextArray(values));
        return COLUMN.get(a) + " = ANY(?)";
    }

    /** ModalitiesInStudy / SOPClassesInStudy: the study has a series / an instance whose value matches. */
    private static String listExists(IndexAttribute a, String match, Object value, List<Object> params) {
        params.add(value);
        return switch (a) {
            case ModalitiesInStudy -> "EXISTS (SELECT 1 FROM series y WHERE y.study_fk = st.pk AND y.modality " + match + ")";
            case SOPClassesInStudy -> "EXISTS (SELECT 1 FROM series y JOIN instance z ON z.series_fk = y.pk"
                    + " WHERE y.study_fk = st.pk AND z.sop_class_uid " + match + ")";
            default -> throw new IllegalArgumentException("no list matching for " + a);
        };
    }

    /**
     * A DICOM wildcard pattern as a LIKE pattern with backslash escapes: '*' is '%', '?' is '_', and
     * the data characters '%', '_' and '\' are escaped so they match only themselves.
     */
    static String likePattern(String dicomPattern) {
        StringBuilder sb = new StringBuilder(dicomPattern.length() + 8);
        for (int k = 0; k < dicomPattern.length(); k++) {
            char ch = dicomPattern.charAt(k);
            switch (ch) {
                case '*' -> sb.append('%');
                case '?' -> sb.append('_');
                case '%', '_', '\\' -> sb.append('\\').append(ch);
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /**
     * The largest TM text within a partial time: "12" covers up to "129999.999999", "1230" up to
     * "123099.999999" (text comparison, so 99 stands for "any"); an already complete bound is unchanged.
     */
    static String endOfTime(String time) {
        int dot = time.indexOf('.');
        String whole = dot < 0 ? time : time.substring(0, dot);
        String fraction = dot < 0 ? "" : time.substring(dot + 1);
        if (whole.length() < 6) {
            whole = whole + "999999".substring(whole.length());
        }
        if (fraction.length() < 6) {
            fraction = fraction + "999999".substring(fraction.length());
        }
        return whole + "." + fraction;
    }

    private static LocalDate parseDate(IndexAttribute a, String value) {
        String v = value.strip();
        try {
            return v.length() == 8 ? LocalDate.parse(v, DateTimeFormatter.BASIC_ISO_DATE) : LocalDate.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(a + " must be a date YYYYMMDD, not '" + value + "'");
        }
    }
}
