package org.imagingnode.bridge.multipart;

import java.io.IOException;

/** A multipart body that does not follow RFC 2046 or goes over the reader's limits; the message says what is wrong. */
public class MalformedMultipartException extends IOException {
    public MalformedMultipartException(String message) {
        super(message);
    }
}
