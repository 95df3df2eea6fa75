package org.imagingnode.bridge.dicomweb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** Test helpers: a small multipart/related reader and writer, independent of the node's own code. */
public final class Multipart {
    public record Part(Map<String, String> headers, byte[] body) {
        public String contentType() {
            return headers.get("content-type");
        }
    }

    private Multipart() {
    }

    static String boundary(String contentType) {
        for (String p : contentType.split(";")) {
            String t = p.strip();
            if (t.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = t.substring(9);
                return b.startsWith("\"") ? b.substring(1, b.length() - 1) : b;
            }
        }
        throw new IllegalArgumentException("no boundary in " + contentType);
    }

    public static List<Part> parse(byte[] body, String contentType) {
        byte[] delimiter = ("--" + boundary(contentType)).getBytes(StandardCharsets.ISO_8859_1);
        List<Part> parts = new ArrayList<>();
        int pos = indexOf(body, delimiter, 0);
        while (pos >= 0) {
            int after = pos + delimiter.length;
            if (after + 1 < body.length && body[after] == '-' && body[after + 1] == '-') {
                break;
            }
            int headersStart = after + 2; // CRLF
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line : new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1)
                    .split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
                }
            }
            int bodyStart = headersEnd + 4;
            int next;
            if (headers.containsKey("content-length")) {
                int len = Integer.parseInt(headers.get("content-length"));
                next = indexOf(body, delimiter, bodyStart + len);
                parts.add(new Part(headers, Arrays.copyOfRange(body, bodyStart, bodyStart + len)));
            } else {
                next = indexOf(body, ("\r\n--" + boundary(contentType)).getBytes(StandardCharsets.ISO_8859_1), bodyStart);
                parts.add(new Part(headers, Arrays.copyOfRange(body, bodyStart, next)));
                next += 2;
            }
            pos = next;
        }
        return parts;
    }

    /** A STOW-RS body of application/dicom parts; returns {contentType, body}. */
    public static Object[] dicomBody(List<Path> files) throws IOException {
        String boundary = "test-" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Path f : files) {
            out.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(Files.readAllBytes(f));
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return new Object[] {"multipart/related; type=\"application/dicom\"; boundary=" + boundary, out.toByteArray()};
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
