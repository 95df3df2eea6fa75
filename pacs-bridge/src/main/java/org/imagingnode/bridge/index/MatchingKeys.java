package org.imagingnode.bridge.index;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.imagingnode.bridge.dicom.Uids;

/**
 * Turns a matching key as written in a C-FIND identifier or a QIDO-RS query parameter into a
 * {@link Condition} (PS3.4 C.2.2.2): single value, wildcard, range, UID list, or universal match.
 */
public final class MatchingKeys {
    private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;

    private MatchingKeys() {
    }

    /**
     * The condition a value asks for; empty for universal matching (empty value, or "*").
     *
     * @throws IllegalArgumentException with a message fit for the requester when the value is malformed
     */
    public static Optional<Condition> parse(IndexAttribute attribute, String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (v.isEmpty() || v.equals("*")) {
            return Optional.empty();
        }
        return Optional.of(switch (attribute.kind()) {
            case UID -> uids(attribute, v);
            case DATE -> dateRange(attribute, v);
            case TIME -> timeRange(attribute, v);
            case INTEGER -> integer(attribute, v);
            case COUNT -> throw new IllegalArgumentException(attribute + " cannot be used as a matching key");
            case LIST -> {
                List<String> values = split(v);
                yield values.size() == 1 ? text(attribute, values.get(0)) : new Condition.UidList(attribute, values);
            }
            case TEXT, PERSON_NAME -> text(attribute, v);
        });
    }

    private static Condition text(IndexAttribute attribute, String v) {
        if (v.length() > 1024) {
            throw new IllegalArgumentException(attribute + " value too long");
        }
        return v.indexOf('*') >= 0 || v.indexOf('?') >= 0
                ? new Condition.Wildcard(attribute, v)
                : new Condition.SingleValue(attribute, v);
    }

    private static Condition uids(IndexAttribute attribute, String v) {
        List<String> uids = split(v);
        if (uids.size() > 1000) {
            throw new IllegalArgumentException("too many UIDs in " + attribute + " (at most 1000)");
        }
        for (String uid : uids) {
            if (!Uids.isValid(uid)) {
                throw new IllegalArgumentException("invalid UID in " + attribute);
            }
        }
        return uids.size() == 1 ? new Condition.SingleValue(attribute, uids.get(0))
                : new Condition.UidList(attribute, uids);
    }

    private static Condition integer(IndexAttribute attribute, String v) {
        try {
            return new Condition.SingleValue(attribute, String.valueOf(Integer.parseInt(v)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(attribute + " must be an integer");
        }
    }

    private static Condition dateRange(IndexAttribute attribute, String v) {
        int dash = v.indexOf('-');
        if (dash < 0) {
            LocalDate d = date(attribute, v);
            return new Condition.DateRange(attribute, d, d);
        }
        String from = v.substring(0, dash);
        String to = v.substring(dash + 1);
        if (from.isEmpty() && to.isEmpty()) {
            throw new IllegalArgumentException(attribute + " range needs at least one date");
        }
        LocalDate f = from.isEmpty() ? null : date(attribute, from);
        LocalDate t = to.isEmpty() ? null : date(attribute, to);
        if (f != null && t != null && f.isAfter(t)) {
            throw new IllegalArgumentException(attribute + " range starts after it ends");
        }
        return new Condition.DateRange(attribute, f, t);
    }

    private static LocalDate date(IndexAttribute attribute, String v) {
        String compact = v.length() == 10 && v.charAt(4) == '.' ? v.replace(".", "") : v; // ACR-NEMA style
        try {
            return LocalDate.parse(compact, DA);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(attribute + " must be a date YYYYMMDD or a range YYYYMMDD-YYYYMMDD");
        }
    }

    private static Condition timeRange(IndexAttribute attribute, String v) {
        int dash = v.indexOf('-');
        String from = dash < 0 ? v : v.substring(0, dash);
        String to = dash < 0 ? v : v.substring(dash + 1);
        for (String t : new String[] {from, to}) {
            if (!t.isEmpty() && !t.matches("\\d{2}(\\d{2}(\\d{2}(\\.\\d{1,6})?)?)?")) {
                throw new IllegalArgumentException(attribute + " must be a time HHMMSS or a range of times");
            }
        }
        if (from.isEmpty() && to.isEmpty()) {
            throw new IllegalArgumentException(attribute + " range needs at least one time");
        }
        return new Condition.TimeRange(attribute, from.isEmpty() ? null : from, to.isEmpty() ? null : endOf(to));
    }

    /**
     * An upper bound, compared as text, that covers the whole period a partial time names: "12"
     * becomes "129999.999999" (after every 12:mm:ss), "120000.5" becomes "120000.599999".
     */
    static String endOf(String time) {
        int dot = time.indexOf('.');
        if (dot < 0) {
            return time + "999999".substring(time.length()) + ".999999";
        }
        return time + "999999".substring(time.length() - dot - 1);
    }

    private static List<String> split(String v) {
        return Arrays.stream(v.split("[\\\\,]")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
