package org.imagingnode.storage;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 helpers (lower-case hex, as in {@link StoredBlob#sha256()}). */
final class Sha256 {

    private static final HexFormat HEX = HexFormat.of();

    private Sha256() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    /** Validates an expected checksum given by a caller and returns it in lower case. */
    static String requireHex(String sha256Hex) {
        if (sha256Hex == null) {
            throw new IllegalArgumentException("expected SHA-256 must not be null");
        }
        String lower = sha256Hex.toLowerCase(Locale.ROOT);
        if (lower.length() != 64 || !lower.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("expected SHA-256 must be 64 hexadecimal digits, got \""
                    + (lower.length() > 70 ? lower.substring(0, 70) + "..." : lower) + "\"");
        }
        return lower;
    }

    static boolean isHex(String value) {
        try {
            requireHex(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
