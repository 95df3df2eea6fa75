package org.imagingnode.viewer;

import java.util.regex.Pattern;

/** DICOM UID syntax (PS3.5 9.1): digits and dots, components without leading zeros, at most 64 characters. */
final class Uids {
    private static final Pattern UID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");

    private Uids() {
    }

    static String requireValid(String uid) {
        if (uid == null || uid.length() > 64 || !UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("not a DICOM UID: " + uid);
        }
        return uid;
    }
}
