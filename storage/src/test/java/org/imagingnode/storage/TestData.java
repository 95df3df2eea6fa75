package org.imagingnode.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Deterministic pseudo-random content that can be produced as a stream of any length without being
 * held in memory, and checked at any offset: the byte at position p depends only on (seed, p).
 */
final class TestData {

    private TestData() {
    }

    /** The bytes [offset, offset + length) of the content for {@code seed}. */
    static byte[] bytes(long seed, long offset, int length) {
        byte[] out = new byte[length];
        fill(seed, offset, out, 0, length);
        return out;
    }

    static byte[] bytes(long seed, int length) {
        return bytes(seed, 0, length);
    }

    /** A stream of {@code size} bytes of the content for {@code seed}. */
    static InputStream stream(long seed, long size) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                if (position >= size) {
                    return -1;
                }
                byte[] one = new byte[1];
                fill(seed, position++, one, 0, 1);
                return one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (position >= size) {
                    return -1;
                }
                int n = (int) Math.min(len, size - position);
                fill(seed, position, b, off, n);
                position += n;
                return n;
            }
        };
    }

    /** SHA-256 (hex) of the first {@code size} bytes of the content for {@code seed}. */
    static String sha256(long seed, long size) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (InputStream in = stream(seed, size)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return Sha256.hex(digest.digest());
    }

    static String sha256(byte[] data) {
        return Sha256.hex(Sha256.newDigest().digest(data));
    }

    /** Writes the content to a new file. */
    static Path file(Path path, long seed, long size) throws IOException {
        try (InputStream in = stream(seed, size); OutputStream out = Files.newOutputStream(path)) {
            in.transferTo(out);
        }
        return path;
    }

    /** Reads a stream to its end, returning SHA-256 and length without keeping the bytes. */
    static Digest digest(InputStream in) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        byte[] buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            digest.update(buffer, 0, n);
            total += n;
        }
        return new Digest(Sha256.hex(digest.digest()), total);
    }

    record Digest(String sha256, long size) {
    }

    private static void fill(long seed, long offset, byte[] out, int off, int length) {
        long word = offset >>> 3;
        int shift = (int) (offset & 7);
        long value = mix(seed, word);
        for (int i = 0; i < length; i++) {
            out[off + i] = (byte) (value >>> (shift * 8));
            if (++shift == 8) {
                shift = 0;
                value = mix(seed, ++word);
            }
        }
    }

    /** SplitMix64 finalizer of (seed, index). */
    private static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
