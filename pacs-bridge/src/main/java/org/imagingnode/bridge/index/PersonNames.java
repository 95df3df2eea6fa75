package org.imagingnode.bridge.index;

import java.util.Locale;

/**
 * The normalised form of a DICOM person name (PN) used for case-insensitive matching: upper-case
 * (locale-independent), trailing spaces and trailing empty components removed in every component
 * group, trailing empty groups removed. "Müller^Jürgen^^" and "MÜLLER^JÜRGEN" normalise alike. The
 * index stores this beside the name exactly as received, and matches query values normalised the
 * same way.
 */
public final class PersonNames {
    private PersonNames() {
    }

    /** The normalised form of a name, or null for null or blank. */
    public static String normalise(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        String upper = name.toUpperCase(Locale.ROOT);
        String[] groups = upper.split("=", -1);
        StringBuilder sb = new StringBuilder(upper.length());
        int keep = groups.length;
        while (keep > 1 && trimGroup(groups[keep - 1]).isEmpty()) {
            keep--;
        }
        for (int g = 0; g < keep; g++) {
            if (g > 0) {
                sb.append('=');
            }
            sb.append(trimGroup(groups[g]));
        }
        return sb.toString();
    }

    private static String trimGroup(String group) {
        String[] components = group.split("\\^", -1);
        int keep = components.length;
        while (keep > 1 && components[keep - 1].isBlank()) {
            keep--;
        }
        StringBuilder sb = new StringBuilder(group.length());
        for (int c = 0; c < keep; c++) {
            if (c > 0) {
                sb.append('^');
            }
            sb.append(components[c].stripTrailing());
        }
        return sb.toString();
    }
}
