package org.imagingnode.bridge.dicomweb;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.apache.commons.fileupload2.core.MultipartInput;
import org.imagingnode.bridge.multipart.MultipartReader;

/**
 * How much CPU the STOW-RS multipart parser spends per byte: a 20-part body of 512 KB parts parsed
 * from memory, best of 15 rounds, by the node's {@link MultipartReader} and, as the baseline in the
 * same run, by the parser STOW-RS used before it (Commons FileUpload's MultipartInput) and a plain
 * read of the same bytes. Run by bench/dicomweb/multipart.sh.
 */
public final class MultipartParseBench {
    private static final int PARTS = 20;

    private MultipartParseBench() {
    }

    /** One way of going through the whole body. */
    private interface Pass {
        void run(byte[] body, byte[] boundary, byte[] buffer) throws IOException;
    }

    public static void main(String[] args) throws IOException {
        byte[] boundary = "stow-bench-boundary-0123456789".getBytes(StandardCharsets.US_ASCII);
        byte[] part = new byte[512 * 1024];
        new Random(1).nextBytes(part);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < PARTS; i++) {
            out.write(("--" + new String(boundary, StandardCharsets.US_ASCII)
                    + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(part);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(("--" + new String(boundary, StandardCharsets.US_ASCII) + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] body = out.toByteArray();

        double reader = nsPerByte(body, boundary, MultipartParseBench::reader);
        double before = nsPerByte(body, boundary, MultipartParseBench::commonsFileUpload);
        double plain = nsPerByte(body, boundary, (b, x, buffer) -> drain(new ByteArrayInputStream(b), buffer));
        System.out.printf("MultipartReader: %.3f ns/byte (%.3f ms per 512 KB part); before (commons-fileupload2):"
                + " %.2f ns/byte, %.0fx; plain read: %.3f ns/byte%n", reader, reader * body.length / PARTS / 1e6, before,
                before / reader, plain);
    }

    private static double nsPerByte(byte[] body, byte[] boundary, Pass pass) throws IOException {
        byte[] buffer = new byte[65536];
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 15; round++) {
            long t0 = System.nanoTime();
            pass.run(body, boundary, buffer);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return (double) best / body.length;
    }

    private static void reader(byte[] body, byte[] boundary, byte[] buffer) throws IOException {
        MultipartReader in = new MultipartReader(new ByteArrayInputStream(body), boundary, StowController.PART_HEADERS_MAX_BYTES,
                StowController.PART_HEADERS_MAX_COUNT);
        int parts = 0;
        for (MultipartReader.Part p = in.next(); p != null; p = in.next()) {
            drain(p.body(), buffer);
            parts++;
        }
        check(parts);
    }

    private static void commonsFileUpload(byte[] body, byte[] boundary, byte[] buffer) throws IOException {
        MultipartInput in = MultipartInput.builder().setInputStream(new ByteArrayInputStream(body)).setBoundary(boundary)
                .get();
        int parts = 0;
        for (boolean more = in.skipPreamble(); more; more = in.readBoundary()) {
            in.readHeaders();
            try (InputStream p = in.newInputStream()) {
                drain(p, buffer);
            }
            parts++;
        }
        check(parts);
    }

    private static void drain(InputStream in, byte[] buffer) throws IOException {
        while (in.read(buffer) >= 0) {
            // only the parsing costs
        }
    }

    private static void check(int parts) {
        if (parts != PARTS) {
            throw new IllegalStateException(parts + " parts parsed, " + PARTS + " sent");
        }
    }
}
