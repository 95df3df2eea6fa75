package org.imagingnode.storage;

import java.io.IOException;
import java.io.PushbackInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * Bytes of a stream held in memory as a list of 256 KiB blocks: growing it copies nothing, a small
 * object takes little memory, and the blocks stay below the G1 humongous-object size. Buffers are
 * sent as request bodies (re-writable for retries) and can be hashed.
 */
final class BlockBuffer {

    private static final int BLOCK = 256 * 1024;
    /** What one write hands to OkHttp: small enough for Okio's segment pool, so no per-write allocation. */
    private static final int WRITE_SLICE = 64 * 1024;

    private final List<byte[]> blocks = new ArrayList<>();
    private long length;

    long length() {
        return length;
    }

    /**
     * Reads from {@code in} until this buffer holds {@code max} bytes or the stream ends, adding what
     * it reads to {@code digest}. A buffer is filled once.
     *
     * @return whether the stream has ended (looking one byte ahead when exactly {@code max} were read)
     */
    boolean fill(PushbackInputStream in, long max, MessageDigest digest) throws IOException {
        if (length > 0) {
            throw new IllegalStateException("a block buffer is filled once");
        }
        while (length < max) {
            int offset = (int) (length % BLOCK);
            if (offset == 0) {
                blocks.add(new byte[(int) Math.min(BLOCK, max - length)]);
            }
            byte[] block = blocks.get(blocks.size() - 1);
            int n = in.read(block, offset, block.length - offset);
            if (n < 0) {
                return true;
            }
            digest.update(block, offset, n);
            length += n;
        }
        int next = in.read();
        if (next < 0) {
            return true;
        }
        in.unread(next);
        return false;
    }

    /** SHA-256 of the content, lower-case hex. */
    String sha256() {
        MessageDigest digest = Sha256.newDigest();
        forEachSlice(BLOCK, digest::update);
        return Sha256.hex(digest.digest());
    }

    /** The content of {@code buffers}, one after the other, as a request body. */
    static RequestBody body(List<BlockBuffer> buffers) {
        return new OctetStreamBody(buffers.stream().mapToLong(BlockBuffer::length).sum()) {
            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                for (BlockBuffer buffer : buffers) {
                    buffer.forEachSlice(WRITE_SLICE, sink::write);
                }
            }
        };
    }

    @FunctionalInterface
    private interface SliceConsumer<E extends Exception> {
        void accept(byte[] bytes, int offset, int length) throws E;
    }

    private <E extends Exception> void forEachSlice(int sliceSize, SliceConsumer<E> consumer) throws E {
        long position = 0;
        while (position < length) {
            byte[] block = blocks.get((int) (position / BLOCK));
            int offset = (int) (position % BLOCK);
            int n = (int) Math.min(Math.min(sliceSize, block.length - offset), length - position);
            consumer.accept(block, offset, n);
            position += n;
        }
    }
}
