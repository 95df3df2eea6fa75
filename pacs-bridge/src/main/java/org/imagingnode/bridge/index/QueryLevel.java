package org.imagingnode.bridge.index;

import java.util.Locale;

/** The information-model level a query or retrieve addresses (DICOM QueryRetrieveLevel). */
public enum QueryLevel {
    PATIENT, STUDY, SERIES, IMAGE;

    /** Parses a QueryRetrieveLevel value; "INSTANCE" is accepted as a synonym of IMAGE (QIDO wording). */
    public static QueryLevel parse(String value) {
        String v = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
        if (v.equals("INSTANCE")) {
            return IMAGE;
        }
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown query/retrieve level '" + value + "'");
        }
    }
}
