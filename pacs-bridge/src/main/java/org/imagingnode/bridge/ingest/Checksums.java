package org.imagingnode.bridge.ingest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The checksum every stored object carries (SHA-256), computed by whoever writes the spool file. */
public final class Checksums {
    private Checksums() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }
}
