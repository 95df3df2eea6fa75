package org.imagingnode.bridge.index;

import java.util.ArrayList;
import java.util.List;

/**
 * The part of the index a caller may see, applied inside a query's SQL so that {@code limit} and {@code offset}
 * page over visible rows only (filtering a page after the fact would answer short or empty pages while more
 * visible matches exist). Written by the access policy, which owns the rules; the index only appends it.
 *
 * @param predicate an SQL boolean expression over the aliases {@code p} (patient) and {@code st} (study), with
 *                  {@code ?} for each of {@code params} (values are never written into the SQL text); at the
 *                  PATIENT level it is evaluated over the patient's studies (a patient is visible when one of
 *                  their studies is)
 * @param params    its bind values, in order
 * @param seriesInstanceUid when not null, SERIES and IMAGE level queries see only this series (a series-scoped
 *                  credential)
 */
public record Visibility(String predicate, List<String> params, String seriesInstanceUid) {
    /** No restriction. */
    public static final Visibility ALL = new Visibility("TRUE", List.of(), null);
    /** Nothing at all. */
    public static final Visibility NONE = new Visibility("FALSE", List.of(), null);

    public Visibility {
        if (predicate == null || predicate.isBlank()) {
            throw new IllegalArgumentException("a visibility needs a predicate (TRUE for everything)");
        }
        params = List.copyOf(params);
        if (predicate.chars().filter(c -> c == '?').count() != params.size()) {
            throw new IllegalArgumentException("the visibility predicate's placeholders and values differ in number");
        }
    }

    public static Visibility where(String predicate, String... params) {
        return new Visibility(predicate, List.of(params), null);
    }

    /** Both this and {@code other}. */
    public Visibility and(Visibility other) {
        if (isAll()) {
            return other;
        }
        if (other.isAll()) {
            return this;
        }
        String series = seriesInstanceUid != null ? seriesInstanceUid : other.seriesInstanceUid;
        if (seriesInstanceUid != null && other.seriesInstanceUid != null
                && !seriesInstanceUid.equals(other.seriesInstanceUid)) {
            return NONE;
        }
        List<String> both = new ArrayList<>(params);
        both.addAll(other.params);
        return new Visibility("(" + predicate + ") AND (" + other.predicate + ")", both, series);
    }

    /** The same, restricted to one series at the SERIES and IMAGE levels. */
    public Visibility onlySeries(String seriesUid) {
        return new Visibility(predicate, params, seriesUid);
    }

    public boolean isAll() {
        return "TRUE".equals(predicate) && seriesInstanceUid == null;
    }
}
