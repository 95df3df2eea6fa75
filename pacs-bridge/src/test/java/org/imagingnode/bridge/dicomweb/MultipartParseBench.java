package org.imagingnode.bridge.dicomweb;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.apache.commons.fileupload2.core.MultipartInput;

/**
 * How much CPU the STOW-RS multipart parser spends per byte: a 20-part body of 512 KB parts parsed
 * from memory, best of 15 rounds, against a plain read of the same bytes (the baseline in the same run).
 * Run: {@code java -cp "$(cat pacs-bridge/target/bench-classpath.txt):pacs-bridge/target/test-classes"
 * org.imagingnode.bridge.dicomweb.MultipartParseBench} (see bench/README.md).
 */
public final class MultipartParseBench {
    private MultipartParseBench() {
    }

    public static void main(String[] args) throws IOException {
        byte[] boundary = "stow-bench-boundary-0123456789".getBytes(StandardCharsets.US_ASCII);
        byte[] part = new byte[512 * 1024];
        new Random(1).nextBytes(part);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < 20; i++) {
            body.write(("--" + new String(boundary, StandardCharsets.US_ASCII)
                    + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            body.write(part);
            body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        body.write(("--" + new String(boundary, StandardCharsets.US_ASCII) + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] bytes = body.toByteArray();
        byte[] buffer = new byte[65536];

        long parse = Long.MAX_VALUE;
        long read = Long.MAX_VALUE;
        for (int round = 0; round < 15; round++) {
            long t0 = System.nanoTime();
            MultipartInput in = MultipartInput.builder().setInputStream(new ByteArrayInputStream(bytes))
                    .setBoundary(boundary).get();
            boolean more = in.skipPreamble();
            while (more) {
                in.readHeaders();
                try (InputStream p = in.newInputStream()) {
                    while (p.read(buffer) >= 0) {
                        // drained: only the parsing costs
                    }
                }
                more = in.readBoundary();
            }
            parse = Math.min(parse, System.nanoTime() - t0);
            t0 = System.nanoTime();
            try (InputStream plain = new ByteArrayInputStream(bytes)) {
                while (plain.read(buffer) >= 0) {
                    // the same bytes, no parsing
                }
            }
            read = Math.min(read, System.nanoTime() - t0);
        }
        System.out.printf("multipart parse: %.2f ns/byte (%.2f ms per 512 KB part); plain read: %.3f ns/byte;"
                + " ratio %.0f%n", (double) parse / bytes.length, parse / 20 / 1e6, (double) read / bytes.length,
                (double) parse / read);
    }
}
