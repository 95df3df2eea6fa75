package org.imagingnode.storage;

/**
 * Rules for blob keys, shared by every {@link BlobStore}.
 *
 * <p>A key is a relative, slash-separated name: one or more segments of {@code [A-Za-z0-9._-]},
 * separated by single slashes, with no empty segment (so no leading, trailing or doubled slash), no
 * {@code "."} or {@code ".."} segment, at most {@value #MAX_LENGTH} characters. Keys therefore never
 * escape a store's root directory and map one to one onto S3 object names.
 */
public final class BlobKeys {

    /** Maximum length of a key, in characters (all of them ASCII). */
    public static final int MAX_LENGTH = 512;

    private BlobKeys() {
    }

    /**
     * Checks that {@code key} is a valid blob key.
     *
     * @return the key itself, for chaining
     * @throws IllegalArgumentException if it is not valid; the message says why
     */
    public static String validate(String key) {
        if (key == null) {
            throw new IllegalArgumentException("blob key must not be null");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("blob key must not be empty");
        }
        check(key, "blob key", true);
        return key;
    }

    /**
     * Checks a prefix for {@link BlobStore#list(String)}: {@code ""} (everything) or the beginning of
     * a valid key, e.g. {@code "studies/"} or {@code "studies/1.2.3"}. Same alphabet and segment rules
     * as keys, except that the last segment may be empty (a trailing slash) or incomplete.
     *
     * @return the prefix itself
     * @throws IllegalArgumentException if no valid key could start with it
     */
    public static String validatePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("key prefix must not be null (use \"\" to list everything)");
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        check(prefix, "key prefix", false);
        return prefix;
    }

    private static void check(String key, String what, boolean complete) {
        if (key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    what + " is " + key.length() + " characters long, the maximum is " + MAX_LENGTH
                            + ": " + abbreviate(key));
        }
        if (key.charAt(0) == '/') {
            throw new IllegalArgumentException(what + " must be relative (no leading slash): " + abbreviate(key));
        }
        int segmentStart = 0;
        for (int i = 0; i <= key.length(); i++) {
            if (i < key.length()) {
                char c = key.charAt(i);
                if (c != '/') {
                    if (!allowed(c)) {
                        throw new IllegalArgumentException(
                                what + " contains " + describe(c) + " at index " + i
                                        + "; allowed are A-Z a-z 0-9 . _ - and / between segments: "
                                        + abbreviate(key));
                    }
                    continue;
                }
            }
            // a segment ends at i (a slash or the end of the string)
            boolean last = i == key.length();
            String segment = key.substring(segmentStart, i);
            if (segment.isEmpty() && (complete || !last)) {
                throw new IllegalArgumentException(
                        what + " has an empty segment (leading, trailing or doubled slash): " + abbreviate(key));
            }
            if ((segment.equals(".") || segment.equals("..")) && (complete || !last)) {
                throw new IllegalArgumentException(
                        what + " must not contain a \"" + segment + "\" segment: " + abbreviate(key));
            }
            segmentStart = i + 1;
        }
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
    }

    private static String describe(char c) {
        if (c >= 0x21 && c < 0x7f) {
            return "'" + c + "'";
        }
        return String.format("character U+%04X", (int) c);
    }

    private static String abbreviate(String key) {
        String shown = key.length() > 80 ? key.substring(0, 77) + "..." : key;
        // never echo control characters into logs
        StringBuilder sb = new StringBuilder(shown.length() + 2).append('"');
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.append('"').toString();
    }

    /** A byte range of a blob: neither bound may be negative. */
    static void validateRange(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative: " + offset + ", " + length);
        }
    }
}
