package org.imagingnode.bridge.dicom;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Walks an encoded data set element by element without keeping values, to prove it is complete:
 * every value fits in the bytes that follow, every undefined-length sequence and item is closed.
 * A truncated or garbled object is caught here before anything is stored, in constant memory
 * whatever the object's size.
 */
public final class DatasetStructure {
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITER = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR",
            "UT", "SV", "UV");
    private static final int MAX_DEPTH = 64;

    private final InputStream in;
    private final boolean bigEndian;
    private long position;

    private DatasetStructure(InputStream in, boolean bigEndian) {
        this.in = in;
        this.bigEndian = bigEndian;
    }

    /** Checks a data set (no meta header) encoded in {@code transferSyntaxUid}, reading {@code in} to its end. */
    public static void verify(InputStream in, String transferSyntaxUid) throws MalformedDicomException {
        InputStream source = TransferSyntax.isDeflated(transferSyntaxUid)
                ? new BufferedInputStream(new InflaterInputStream(in, new Inflater(true)), 65536)
                : in;
        DatasetStructure walker = new DatasetStructure(source, TransferSyntax.isBigEndian(transferSyntaxUid));
        try {
            walker.dataset(!TransferSyntax.isImplicitVr(transferSyntaxUid), Long.MAX_VALUE, 0, true);
        } catch (EOFException e) {
            throw new MalformedDicomException("data set truncated at byte " + walker.position);
        } catch (IOException e) {
            throw new MalformedDicomException("cannot read data set: " + e.getMessage(), e);
        }
    }

    /**
     * Walks elements until {@code length} bytes are consumed, or an item delimiter when the
     * length is undefined, or end of stream at top level.
     */
    private void dataset(boolean explicitVr, long length, int depth, boolean topLevel) throws IOException,
            MalformedDicomException {
        if (depth > MAX_DEPTH) {
            throw new MalformedDicomException("sequences nested deeper than " + MAX_DEPTH);
        }
        long end = length == UNDEFINED ? Long.MAX_VALUE : position + length;
        while (position < end) {
            int first = in.read();
            if (first < 0) {
                if (topLevel) {
                    return;
                }
                throw new EOFException();
            }
            position++;
            int tag = readTag(first);
            if (tag == ITEM_DELIMITER) {
                readUint32();
                if (length != UNDEFINED) {
                    throw new MalformedDicomException("item delimiter inside a defined-length item at byte " + position);
                }
                return;
            }
            String vr = null;
            long valueLength;
            if (explicitVr && (tag >>> 16) != 0xFFFE) {
                vr = new String(new byte[] {(byte) readByte(), (byte) readByte()},
                        java.nio.charset.StandardCharsets.US_ASCII);
                if (LONG_VRS.contains(vr)) {
                    skip(2);
                    valueLength = readUint32();
                } else if (vr.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
                    valueLength = readUint16();
                } else {
                    throw new MalformedDicomException("invalid VR at byte " + (position - 2) + " for tag "
                            + Tag.toString(tag));
                }
            } else {
                valueLength = readUint32();
            }
            if (valueLength == UNDEFINED) {
                // Sequences, encapsulated pixel data and UN with undefined length all hold items.
                boolean nestedExplicit = explicitVr && !"UN".equals(vr);
                items(nestedExplicit, depth + 1, tag == Tag.PixelData);
            } else if ("SQ".equals(vr)) {
                long seqEnd = position + valueLength;
                while (position < seqEnd) {
                    item(explicitVr, depth + 1, false);
                }
            } else {
                skip(valueLength);
            }
            if (position > end) {
                throw new MalformedDicomException("element " + Tag.toString(tag) + " overruns its container");
            }
        }
    }

    private void items(boolean explicitVr, int depth, boolean fragments) throws IOException, MalformedDicomException {
        while (true) {
            if (!item(explicitVr, depth, fragments)) {
                return;
            }
        }
    }

    /** Reads one item; returns false at a sequence delimiter. */
    private boolean item(boolean explicitVr, int depth, boolean fragments) throws IOException, MalformedDicomException {
        int tag = readTag(readByte());
        long length = readUint32();
        if (tag == SEQUENCE_DELIMITER) {
            return false;
        }
        if (tag != ITEM) {
            throw new MalformedDicomException("expected an item at byte " + (position - 8) + ", found "
                    + Tag.toString(tag));
        }
        if (fragments) {
            if (length == UNDEFINED) {
                throw new MalformedDicomException("pixel data fragment with undefined length");
            }
            skip(length);
        } else {
            dataset(explicitVr, length, depth, false);
        }
        return true;
    }

    private int readTag(int firstByte) throws IOException {
        int b1 = readByte();
        int b2 = readByte();
        int b3 = readByte();
        if (bigEndian) {
            return (firstByte << 8 | b1) << 16 | (b2 << 8 | b3);
        }
        return (b1 << 8 | firstByte) << 16 | (b3 << 8 | b2);
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        position++;
        return b;
    }

    private int readUint16() throws IOException {
        int a = readByte();
        int b = readByte();
        return bigEndian ? a << 8 | b : b << 8 | a;
    }

    private long readUint32() throws IOException {
        long a = readByte();
        long b = readByte();
        long c = readByte();
        long d = readByte();
        return bigEndian ? a << 24 | b << 16 | c << 8 | d : d << 24 | c << 16 | b << 8 | a;
    }

    private void skip(long n) throws IOException {
        in.skipNBytes(n);
        position += n;
    }
}
