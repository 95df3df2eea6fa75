package org.imagingnode.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a blob's bytes through while hashing them; at end of data, throws
 * {@link BlobCorruptedException} if the SHA-256 differs from the expected one. The check happens
 * only when the stream is read to its end: a caller that stops early gets no verdict.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final String key;
    private final String expectedSha256;
    private final MessageDigest digest = Sha256.newDigest();
    private boolean finished;
    private BlobCorruptedException failure;

    VerifyingInputStream(InputStream in, String key, String expectedSha256) {
        super(in);
        this.key = key;
        this.expectedSha256 = expectedSha256;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b < 0) {
            return atEnd();
        }
        digest.update((byte) b);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n < 0) {
            return atEnd();
        }
        digest.update(b, off, n);
        return n;
    }

    /** Skipped bytes must still be hashed, so skipping reads them. */
    @Override
    public long skip(long n) throws IOException {
        if (n <= 0) {
            return 0;
        }
        byte[] scratch = new byte[(int) Math.min(n, 64 * 1024)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported on a verifying stream");
    }

    private int atEnd() throws BlobCorruptedException {
        if (!finished) {
            finished = true;
            String actual = Sha256.hex(digest.digest());
            if (!actual.equals(expectedSha256)) {
                failure = new BlobCorruptedException(key, expectedSha256, actual);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return -1;
    }
}
