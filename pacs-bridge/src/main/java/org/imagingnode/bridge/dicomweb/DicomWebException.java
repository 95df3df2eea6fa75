package org.imagingnode.bridge.dicomweb;

/** A request the DICOMweb edge answers with an error status and a readable message. */
public class DicomWebException extends RuntimeException {
    private final int status;

    public DicomWebException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static DicomWebException badRequest(String message) {
        return new DicomWebException(400, message);
    }

    public static DicomWebException notFound(String message) {
        return new DicomWebException(404, message);
    }

    public static DicomWebException notAcceptable(String message) {
        return new DicomWebException(406, message);
    }
}
