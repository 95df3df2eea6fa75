package org.imagingnode.storage;

import java.io.IOException;

/** A blob's content does not match the checksum recorded when it was stored. */
public class BlobCorruptedException extends IOException {
    public BlobCorruptedException(String key, String expected, String actual) {
        super("blob " + key + " is corrupted: expected SHA-256 " + expected + ", read " + actual);
    }
}
