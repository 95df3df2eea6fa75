package org.imagingnode.bridge.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * HTTP/1.1 exactly as written, over a plain loopback socket: for hostile requests that Java's HTTP
 * client refuses to send (control characters, raw bytes in the request line or headers). Each
 * exchange closes its connection and is bounded in time; the whole answer is returned as received.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** An answer: its status, its header lines as received, its body (chunked encoding removed). */
    public record Response(int status, List<String> headerLines, byte[] body) {
        public Optional<String> header(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headerLines.stream().filter(l -> l.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(l -> l.substring(prefix.length()).strip()).findFirst();
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return status + " " + headerLines + " " + text();
        }
    }

    /** A GET of {@code target} (sent as is) with extra header lines. */
    public static Response get(int port, String target, String... headerLines) throws IOException {
        StringBuilder rq = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
                .append("\r\nConnection: close\r\n");
        for (String h : headerLines) {
            rq.append(h).append("\r\n");
        }
        return exchange(port, rq.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(20));
    }

    /** Sends {@code request} and reads the answer until the server closes; fails after {@code timeout}. */
    public static Response exchange(int port, byte[] request, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            s.shutdownOutput();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
                if (System.nanoTime() > deadline) {
                    throw new IOException("no complete answer within " + timeout);
                }
            }
            return parse(all.toByteArray());
        }
    }

    private static Response parse(byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) {
            throw new IOException("no HTTP answer: " + new String(raw, StandardCharsets.ISO_8859_1));
        }
        List<String> lines = new ArrayList<>(List.of(new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n")));
        int status = Integer.parseInt(lines.remove(0).split(" ")[1]);
        byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
        boolean chunked = lines.stream().anyMatch(l -> l.toLowerCase(Locale.ROOT).startsWith("transfer-encoding:")
                && l.toLowerCase(Locale.ROOT).contains("chunked"));
        return new Response(status, lines, chunked ? dechunk(body) : body);
    }

    private static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < body.length) {
            int eol = indexOf(body, "\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(new String(body, pos, eol - pos, StandardCharsets.ISO_8859_1).split(";")[0].strip(), 16);
            if (size == 0) {
                break;
            }
            out.write(body, eol + 2, Math.min(size, body.length - eol - 2));
            pos = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
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
