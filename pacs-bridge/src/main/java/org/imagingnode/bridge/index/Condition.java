package org.imagingnode.bridge.index;

import java.time.LocalDate;
import java.util.List;

/** One matching key of a query (DICOM PS3.4 C.2.2.2 matching types). */
public sealed interface Condition {
    IndexAttribute attribute();

    /** Exact match of a single value (case-insensitive for PERSON_NAME). */
    record SingleValue(IndexAttribute attribute, String value) implements Condition {
    }

    /** Wildcard match: '*' any sequence, '?' one character (case-insensitive for PERSON_NAME). */
    record Wildcard(IndexAttribute attribute, String pattern) implements Condition {
    }

    /** Inclusive date range; either bound may be null (open). */
    record DateRange(IndexAttribute attribute, LocalDate from, LocalDate to) implements Condition {
    }

    /** Inclusive time range on HHMMSS text; either bound may be null (open). */
    record TimeRange(IndexAttribute attribute, String from, String to) implements Condition {
    }

    /** Matches any of the listed UIDs. */
    record UidList(IndexAttribute attribute, List<String> uids) implements Condition {
    }
}
