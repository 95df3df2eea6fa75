package org.imagingnode.bridge.dicomweb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Writes a multipart/related body (RFC 2387) part by part, straight to the response stream. */
final class MultipartWriter {
    private static final byte[] CRLF = {'\r', '\n'};

    private final OutputStream out;
    private final String boundary;
    private final byte[] buffer = new byte[256 * 1024];
    private boolean closed;

    MultipartWriter(OutputStream out, String boundary) {
        this.out = out;
        this.boundary = boundary;
    }

    static String newBoundary() {
        return "imagingnode-" + UUID.randomUUID();
    }

    /** The Content-Type of the whole body. */
    static String contentType(String boundary, String partType) {
        return "multipart/related; type=\"" + partType + "\"; boundary=" + boundary;
    }

    /** Starts a part: delimiter and headers; the caller then writes exactly the body to {@link #body()}. */
    OutputStream startPart(String contentType, long length, String contentLocation) throws IOException {
        StringBuilder h = new StringBuilder(128).append("--").append(boundary).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n");
        if (length >= 0) {
            h.append("Content-Length: ").append(length).append("\r\n");
        }
        if (contentLocation != null) {
            h.append("Content-Location: ").append(contentLocation).append("\r\n");
        }
        h.append("\r\n");
        out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    OutputStream body() {
        return out;
    }

    void endPart() throws IOException {
        out.write(CRLF);
    }

    /** One part whose body is the whole of {@code in}. */
    void part(String contentType, long length, String contentLocation, InputStream in) throws IOException {
        startPart(contentType, length, contentLocation);
        copy(in);
        endPart();
    }

    long copy(InputStream in) throws IOException {
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            total += n;
        }
        return total;
    }

    void close() throws IOException {
        if (!closed) {
            closed = true;
            out.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }
}
