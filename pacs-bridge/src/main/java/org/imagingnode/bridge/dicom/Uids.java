package org.imagingnode.bridge.dicom;

import java.util.regex.Pattern;

/** DICOM UID syntax (PS3.5 9.1): digits and dots, at most 64 characters, no empty component. */
public final class Uids {
    private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");

    private Uids() {
    }

    public static boolean isValid(String uid) {
        return uid != null && !uid.isEmpty() && uid.length() <= 64 && UID.matcher(uid).matches();
    }
}
