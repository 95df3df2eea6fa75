package org.imagingnode.storage;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * Reads at most {@code remaining} bytes of a file channel from its current position, and closes
 * the channel on close. Uses positional reads, so nothing is copied beyond the caller's buffer.
 */
final class ChannelRangeInputStream extends InputStream {

    private final FileChannel channel;
    private long position;
    private long remaining;
    private boolean closed;

    ChannelRangeInputStream(FileChannel channel, long offset, long length) {
        this.channel = channel;
        this.position = offset;
        this.remaining = length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (remaining <= 0) {
            return -1;
        }
        int want = (int) Math.min(len, remaining);
        int n = channel.read(ByteBuffer.wrap(b, off, want), position);
        if (n < 0) {
            remaining = 0;
            return -1;
        }
        position += n;
        remaining -= n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        ensureOpen();
        if (n <= 0) {
            return 0;
        }
        long available = Math.max(0, Math.min(remaining, channel.size() - position));
        long skipped = Math.min(n, available);
        position += skipped;
        remaining -= skipped;
        return skipped;
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        long available = Math.max(0, Math.min(remaining, channel.size() - position));
        return (int) Math.min(Integer.MAX_VALUE, available);
    }

    /** Lets the kernel copy when the target is itself a channel-backed stream. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        ensureOpen();
        long total = 0;
        if (out instanceof FileOutputStream fos) {
            WritableByteChannel target = fos.getChannel();
            while (remaining > 0) {
                long n = channel.transferTo(position, remaining, target);
                if (n <= 0) {
                    break;
                }
                position += n;
                remaining -= n;
                total += n;
            }
            return total;
        }
        return super.transferTo(out);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
    }
}
