package org.imagingnode.bridge.multipart;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads a multipart body (RFC 2046, e.g. a STOW-RS multipart/related request) as a stream: one part
 * at a time, each part's data an {@link InputStream} that ends at the next delimiter, so no part is
 * ever held whole in memory (one 64 KB buffer per reader). The delimiter ({@code CRLF--boundary}) is
 * found with a Boyer-Moore-Horspool search that jumps over most data bytes instead of looking at
 * each one. Strict: a body without a delimiter, a truncated body, part headers over the byte or
 * count limit, a header line without a name or with control characters, a repeated header, or a
 * part Content-Type that is not a media type ends the reading with a {@link MalformedMultipartException}
 * (thrown again by every later call).
 */
public final class MultipartReader {
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final String TOKEN = "[-!#$%&'*+.^_`|~0-9A-Za-z]+";
    private static final Pattern HEADER_NAME = Pattern.compile(TOKEN);
    private static final Pattern MEDIA_TYPE = Pattern.compile(TOKEN + "/" + TOKEN + "[ \t]*(;.*)?");

    /** One part: its headers (names in lower case) and its data, readable until the next part is asked for. */
    public record Part(Map<String, String> headers, InputStream body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private enum State { PREAMBLE, DATA, DELIMITER, END }

    private final InputStream in;
    private final byte[] delimiter;
    /** Horspool's shift for each value of the byte under the window's last position. */
    private final int[] skip = new int[256];
    private final int maxHeaderBytes;
    private final int maxHeaders;
    private final byte[] buf;
    private int pos;
    private int end;
    /** Bytes of the part (or preamble) before this index hold no delimiter. */
    private int dataEnd;
    /** Where the delimiter that ends the current part starts in buf, -1 while not seen yet. */
    private int delimiterAt = -1;
    private State state = State.PREAMBLE;
    private int partNumber;
    private MalformedMultipartException failure;

    /**
     * @param boundary       the boundary parameter of the body's Content-Type (1 to 200 bytes, no CR or LF)
     * @param maxHeaderBytes the most bytes one part's header block may take (with the rest of its delimiter line)
     * @param maxHeaders     the most header fields one part may have
     */
    public MultipartReader(InputStream in, byte[] boundary, int maxHeaderBytes, int maxHeaders) {
        if (boundary.length == 0 || boundary.length > 200) {
            throw new IllegalArgumentException("a boundary has 1 to 200 bytes");
        }
        for (byte b : boundary) {
            if (b == CR || b == LF) {
                throw new IllegalArgumentException("a boundary cannot hold CR or LF");
            }
        }
        this.in = in;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxHeaders = maxHeaders;
        delimiter = new byte[boundary.length + 4];
        delimiter[0] = CR;
        delimiter[1] = LF;
        delimiter[2] = '-';
        delimiter[3] = '-';
        System.arraycopy(boundary, 0, delimiter, 4, boundary.length);
        int last = delimiter.length - 1;
        Arrays.fill(skip, delimiter.length);
        for (int k = 0; k < last; k++) {
            skip[delimiter[k] & 0xFF] = last - k;
        }
        buf = new byte[Math.max(BUFFER_BYTES, 2 * (maxHeaderBytes + delimiter.length))];
        // the first delimiter may open the body with no CRLF in front (RFC 2046 5.1.1): pretend there was one
        buf[0] = CR;
        buf[1] = LF;
        end = 2;
    }

    /**
     * The next part, or null after the close delimiter (the epilogue is not read). What the caller
     * left unread of the previous part is skipped, and its stream ends.
     */
    public Part next() throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (state == State.END) {
            return null;
        }
        if (state == State.PREAMBLE || state == State.DATA) {
            for (int n = dataAvailable(); n > 0; n = dataAvailable()) {
                pos += n;
            }
        }
        if (!ensure(2)) {
            throw malformed("body truncated after a boundary delimiter");
        }
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            pos += 2;
            state = State.END;
            return null;
        }
        // transport padding (spaces, tabs) may follow the boundary before its CRLF
        String padding = readLine(maxHeaderBytes);
        if (!padding.chars().allMatch(c -> c == ' ' || c == '\t')) {
            throw malformed("a boundary delimiter is followed by other characters on its line");
        }
        Map<String, String> headers = readHeaders(maxHeaderBytes - padding.length() - 2);
        state = State.DATA;
        dataEnd = pos;
        delimiterAt = -1;
        partNumber++;
        return new Part(headers, new PartStream(partNumber));
    }

    private Map<String, String> readHeaders(int budget) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        while (true) {
            String line = readLine(budget);
            budget -= line.length() + 2;
            if (line.isEmpty()) {
                return headers;
            }
            if (headers.size() == maxHeaders) {
                throw malformed("a part has more than " + maxHeaders + " headers");
            }
            if (line.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7F)) {
                throw malformed("control character in the headers of a part");
            }
            int colon = line.indexOf(':');
            if (colon < 0 || !HEADER_NAME.matcher(line.substring(0, colon)).matches()) {
                throw malformed("a header line of a part has no field name");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (headers.put(name, value) != null) {
                throw malformed("header " + name + " repeated in a part");
            }
            if (name.equals("content-type") && !MEDIA_TYPE.matcher(value).matches()) {
                throw malformed("the Content-Type of a part is not a media type: '" + abbreviated(value) + "'");
            }
        }
    }

    /** One line ending in CRLF (returned without it), at most budget bytes with its CRLF. */
    private String readLine(int budget) throws IOException {
        int scanned = 0; // bytes after pos known to start no CRLF
        while (true) {
            for (int i = pos + scanned; i + 1 < end; i++) {
                if (buf[i] == CR && buf[i + 1] == LF) {
                    if (i + 2 - pos > budget) {
                        throw headersTooLong();
                    }
                    String line = new String(buf, pos, i - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 2;
                    return line;
                }
            }
            scanned = Math.max(0, end - pos - 1);
            if (end - pos >= budget) {
                throw headersTooLong();
            }
            if (!fill()) {
                throw malformed("body truncated inside the headers of a part");
            }
        }
    }

    /**
     * How many bytes of the current part (or preamble) can be read at pos without reaching a
     * delimiter, reading more input when needed; 0 when the part ends, pos then being past the delimiter.
     */
    private int dataAvailable() throws IOException {
        while (pos == dataEnd) {
            if (delimiterAt == pos) {
                pos += delimiter.length;
                state = State.DELIMITER;
                return 0;
            }
            int found = find(pos);
            if (found >= 0) {
                dataEnd = found;
                delimiterAt = found;
            } else {
                // the last bytes may be the start of a delimiter: kept until more input shows
                dataEnd = Math.max(pos, end - delimiter.length + 1);
                if (dataEnd == pos && !fill()) {
                    throw malformed(state == State.PREAMBLE ? "no boundary delimiter in the body"
                            : "body truncated inside a part (no boundary delimiter after it)");
                }
            }
        }
        return dataEnd - pos;
    }

    /**
     * Boyer-Moore-Horspool from {@code from}: the byte under the window's last position decides the
     * jump, the whole delimiter length for bytes that are not in it (most data). A candidate is then
     * compared from its start, CRLF, which the boundary cannot hold: compared runs never overlap, so
     * even data made to look like the boundary costs linear time.
     */
    private int find(int from) {
        int last = delimiter.length - 1;
        byte tail = delimiter[last];
        for (int i = from + last; i < end; ) {
            byte b = buf[i];
            if (b == tail && Arrays.equals(buf, i - last, i, delimiter, 0, last)) {
                return i - last;
            }
            i += skip[b & 0xFF];
        }
        return -1;
    }

    /** True once at least n bytes are buffered at pos, false if the input ends before. */
    private boolean ensure(int n) throws IOException {
        while (end - pos < n) {
            if (!fill()) {
                return false;
            }
        }
        return true;
    }

    /** Moves the unread bytes to the front of the buffer and reads more after them; false at the end of the input. */
    private boolean fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, end - pos);
            end -= pos;
            dataEnd -= pos;
            if (delimiterAt >= 0) {
                delimiterAt -= pos;
            }
            pos = 0;
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
            return false;
        }
        end += n;
        return true;
    }

    private MalformedMultipartException headersTooLong() {
        return malformed("the headers of a part take more than " + maxHeaderBytes + " bytes");
    }

    private MalformedMultipartException malformed(String message) {
        failure = new MalformedMultipartException(message);
        return failure;
    }

    private static String abbreviated(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** The data of one part; ends (-1) at its delimiter, or as soon as the reader has moved to another part. */
    private final class PartStream extends InputStream {
        private final int number;

        PartStream(int number) {
            this.number = number;
        }

        private boolean readable() throws MalformedMultipartException {
            if (failure != null) {
                throw failure;
            }
            return state == State.DATA && partNumber == number;
        }

        @Override
        public int read() throws IOException {
            if (!readable() || dataAvailable() == 0) {
                return -1;
            }
            return buf[pos++] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int n = readable() ? Math.min(len, dataAvailable()) : 0;
            if (n == 0) {
                return -1;
            }
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        /** Straight from the reader's buffer, without the copy through an intermediate one. */
        @Override
        public long transferTo(OutputStream out) throws IOException {
            long total = 0;
            for (int n = readable() ? dataAvailable() : 0; n > 0; n = readable() ? dataAvailable() : 0) {
                out.write(buf, pos, n);
                pos += n;
                total += n;
            }
            return total;
        }

        @Override
        public int available() throws IOException {
            return readable() ? dataEnd - pos : 0;
        }
    }
}
