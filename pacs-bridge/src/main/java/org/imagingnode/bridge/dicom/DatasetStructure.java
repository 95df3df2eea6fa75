package org.imagingnode.bridge.dicom;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Walks an encoded data set element by element without keeping values. It proves the data set is
 * complete (every value fits in the bytes that follow, every undefined-length sequence and item is
 * closed), which catches a truncated or garbled object before anything is stored, in constant memory
 * whatever its size; and it tells a {@link Visitor} where the top-level elements and pixel data
 * items are, so that values can later be served by ranged reads ({@link DatasetLayout}).
 */
public final class DatasetStructure {
    static final int ITEM = 0xFFFEE000;
    static final int ITEM_DELIMITER = 0xFFFEE00D;
    static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR",
            "UT", "SV", "UV");
    private static final int MAX_DEPTH = 64;

    /** Where things are, in bytes from the start of the data set. */
    public interface Visitor {
        /**
         * A top-level element.
         *
         * @param vr          its VR (from the dictionary in implicit VR syntaxes)
         * @param valueLength -1 when undefined (sequences, encapsulated pixel data)
         */
        void element(int tag, String vr, long start, long valueOffset, long valueLength);

        /**
         * An item of top-level encapsulated pixel data (the Basic Offset Table first, then fragments).
         *
         * @param firstBytes its first four bytes, big-endian in an int (0 when shorter)
         */
        void pixelDataItem(long valueOffset, long length, int firstBytes);
    }

    private final InputStream in;
    private final boolean bigEndian;
    private final Visitor visitor;
    private long position;

    private DatasetStructure(InputStream in, boolean bigEndian, Visitor visitor) {
        this.in = in;
        this.bigEndian = bigEndian;
        this.visitor = visitor;
    }

    /** Checks a data set (no meta header) encoded in {@code transferSyntaxUid}, reading {@code in} to its end. */
    public static void verify(InputStream in, String transferSyntaxUid) throws MalformedDicomException {
        walk(in, transferSyntaxUid, null);
    }

    /** {@link #verify} that also reports positions to {@code visitor} (positions of a deflated data set are inflated ones). */
    public static void walk(InputStream in, String transferSyntaxUid, Visitor visitor) throws MalformedDicomException {
        InputStream source = TransferSyntax.isDeflated(transferSyntaxUid)
                ? new BufferedInputStream(new InflaterInputStream(in, new Inflater(true)), 65536)
                : in;
        DatasetStructure walker = new DatasetStructure(source, TransferSyntax.isBigEndian(transferSyntaxUid), visitor);
        try {
            walker.dataset(!TransferSyntax.isImplicitVr(transferSyntaxUid), UNDEFINED, 0);
        } catch (EOFException e) {
            throw new MalformedDicomException("data set truncated at byte " + walker.position);
        } catch (IOException e) {
            throw new MalformedDicomException("cannot read data set: " + e.getMessage(), e);
        }
    }

    /**
     * Walks elements until {@code length} bytes are consumed, or an item delimiter when the length
     * is undefined, or the end of the stream at top level (depth 0).
     */
    private void dataset(boolean explicitVr, long length, int depth) throws IOException, MalformedDicomException {
        if (depth > MAX_DEPTH) {
            throw new MalformedDicomException("sequences nested deeper than " + MAX_DEPTH);
        }
        long end = length == UNDEFINED ? Long.MAX_VALUE : position + length;
        while (position < end) {
            int first = in.read();
            if (first < 0) {
                if (depth == 0) {
                    return;
                }
                throw new EOFException();
            }
            long start = position++;
            int tag = readTag(first);
            if (tag == ITEM_DELIMITER) {
                readUint32();
                if (length != UNDEFINED || depth == 0) {
                    throw new MalformedDicomException("misplaced item delimiter at byte " + start);
                }
                return;
            }
            String vr;
            long valueLength;
            if (explicitVr && (tag >>> 16) != 0xFFFE) {
                vr = new String(new byte[] {(byte) readByte(), (byte) readByte()},
                        StandardCharsets.US_ASCII);
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
                vr = DicomDataset.vrOf(tag);
                valueLength = readUint32();
            }
            boolean topLevelPixels = depth == 0 && tag == Tag.PixelData;
            if (depth == 0 && visitor != null) {
                visitor.element(tag, vr, start, position, valueLength == UNDEFINED ? -1 : valueLength);
            }
            if (valueLength == UNDEFINED) {
                // Sequences, encapsulated pixel data and UN with undefined length all hold items.
                boolean nestedExplicit = explicitVr && !"UN".equals(vr);
                boolean fragments = tag == Tag.PixelData;
                while (item(nestedExplicit, depth + 1, fragments, topLevelPixels)) {
                    // next item
                }
            } else if ("SQ".equals(vr)) {
                long sequenceEnd = position + valueLength;
                while (position < sequenceEnd) {
                    item(explicitVr, depth + 1, false, false);
                }
            } else {
                skip(valueLength);
            }
            if (position > end) {
                throw new MalformedDicomException("element " + Tag.toString(tag) + " overruns its container");
            }
        }
    }

    /** Reads one item; returns false at a sequence delimiter. */
    private boolean item(boolean explicitVr, int depth, boolean fragments, boolean report)
            throws IOException, MalformedDicomException {
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
            long offset = position;
            int firstBytes = 0;
            if (report && visitor != null && length >= 4) {
                for (int k = 0; k < 4; k++) {
                    firstBytes = firstBytes << 8 | readByte();
                }
                skip(length - 4);
            } else {
                skip(length);
            }
            if (report && visitor != null) {
                visitor.pixelDataItem(offset, length, firstBytes);
            }
        } else {
            dataset(explicitVr, length, depth);
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
