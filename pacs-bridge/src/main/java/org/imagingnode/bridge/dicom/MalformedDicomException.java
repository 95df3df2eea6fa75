package org.imagingnode.bridge.dicom;

/** Bytes that do not form a valid DICOM data set or file (truncated, bad lengths, bad encoding). */
public class MalformedDicomException extends Exception {
    public MalformedDicomException(String message) {
        super(message);
    }

    public MalformedDicomException(String message, Throwable cause) {
        super(message, cause);
    }
}
