package org.imagingnode.bridge.dicom;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where the top-level elements of an encoded data set are, in bytes from the start of the data set:
 * enough to serve one attribute's value (bulk data) or one frame with a ranged read of the stored
 * object, without parsing it. For encapsulated (compressed) Pixel Data, the position of every item:
 * the Basic Offset Table first, then the fragments. Values are skipped, not read, so scanning costs
 * only the element headers (a seek per value on a file).
 *
 * <p>Deflated data sets cannot be laid out (their bytes are not addressable): {@link #scan} refuses them.
 */
public final class DatasetLayout {
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITER = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITER = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR",
            "UT", "SV", "UV");

    /**
     * One top-level element.
     *
     * @param start       offset of the element's tag
     * @param valueOffset offset of its value
     * @param valueLength its length, or -1 when undefined (sequences, encapsulated pixel data)
     */
    public record Element(int tag, String vr, long start, long valueOffset, long valueLength) {
    }

    /**
     * One item of encapsulated pixel data.
     *
     * @param offset    offset of the item's value (after its 8-byte header)
     * @param length    its length
     * @param firstBytes its first four bytes, big-endian in an int (0 when shorter): tells a frame start
     */
    public record Fragment(long offset, long length, int firstBytes) {
    }

    private final List<Element> elements;
    private final List<Fragment> items;
    private final boolean bigEndian;

    private DatasetLayout(List<Element> elements, List<Fragment> items, boolean bigEndian) {
        this.elements = Collections.unmodifiableList(elements);
        this.items = Collections.unmodifiableList(items);
        this.bigEndian = bigEndian;
    }

    public List<Element> elements() {
        return elements;
    }

    public Optional<Element> element(int tag) {
        for (Element e : elements) {
            if (e.tag() == tag) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    public boolean isBigEndian() {
        return bigEndian;
    }

    /** True when Pixel Data is present and encapsulated. */
    public boolean encapsulated() {
        return element(Tag.PixelData).map(e -> e.valueLength() < 0).orElse(false);
    }

    /** The Basic Offset Table item of encapsulated pixel data (possibly empty), if any. */
    public Optional<Fragment> basicOffsetTable() {
        return items.isEmpty() ? Optional.empty() : Optional.of(items.get(0));
    }

    /** The fragments of encapsulated pixel data, after the Basic Offset Table. */
    public List<Fragment> fragments() {
        return items.size() <= 1 ? List.of() : items.subList(1, items.size());
    }

    /** Where the header ends: the start of Pixel Data, or the end of the data set when there is none. */
    public long headerEnd(long datasetLength) {
        return element(Tag.PixelData).map(Element::start).orElse(datasetLength);
    }

    /** Lays out a data set (no meta header) encoded in {@code transferSyntaxUid}, reading {@code in} to its end. */
    public static DatasetLayout scan(InputStream in, String transferSyntaxUid) throws MalformedDicomException {
        if (TransferSyntax.isDeflated(transferSyntaxUid)) {
            throw new MalformedDicomException("a deflated data set has no addressable layout");
        }
        Scanner s = new Scanner(in, TransferSyntax.isBigEndian(transferSyntaxUid),
                !TransferSyntax.isImplicitVr(transferSyntaxUid));
        try {
            s.topLevel();
        } catch (EOFException e) {
            throw new MalformedDicomException("data set truncated at byte " + s.position);
        } catch (IOException e) {
            throw new MalformedDicomException("cannot read data set: " + e.getMessage(), e);
        }
        return new DatasetLayout(s.elements, s.items, s.bigEndian);
    }

    /**
     * Which fragments make up each frame (frame numbers from 1): by the Basic Offset Table when it
     * is filled, else one fragment per frame when the counts agree, else by the start markers of the
     * fragments (JPEG SOI, JPEG 2000 codestream/box), else (one frame) all of them.
     *
     * @param basicOffsetTable the BOT's offsets (relative to the first fragment's item tag), or empty
     */
    public List<List<Fragment>> frames(int numberOfFrames, long[] basicOffsetTable) {
        List<Fragment> fragments = fragments();
        List<List<Fragment>> frames = new ArrayList<>();
        if (fragments.isEmpty()) {
            return frames;
        }
        if (numberOfFrames <= 1) {
            frames.add(fragments);
            return frames;
        }
        if (basicOffsetTable.length == numberOfFrames) {
            long first = fragments.get(0).offset() - 8;
            for (int f = 0; f < numberOfFrames; f++) {
                long from = first + basicOffsetTable[f];
                long to = f + 1 < numberOfFrames ? first + basicOffsetTable[f + 1] : Long.MAX_VALUE;
                List<Fragment> frame = new ArrayList<>();
                for (Fragment fr : fragments) {
                    long itemStart = fr.offset() - 8;
                    if (itemStart >= from && itemStart < to) {
                        frame.add(fr);
                    }
                }
                frames.add(frame);
            }
            return frames;
        }
        if (fragments.size() == numberOfFrames) {
            for (Fragment fr : fragments) {
                frames.add(List.of(fr));
            }
            return frames;
        }
        List<Fragment> current = null;
        for (Fragment fr : fragments) {
            if (current == null || isFrameStart(fr.firstBytes())) {
                current = new ArrayList<>();
                frames.add(current);
            }
            current.add(fr);
        }
        return frames;
    }

    private static boolean isFrameStart(int firstBytes) {
        int two = firstBytes >>> 16;
        return two == 0xFFD8 // JPEG SOI (baseline, lossless, JPEG-LS)
                || two == 0xFF4F // JPEG 2000 / HTJ2K codestream SOC
                || firstBytes == 0x0000000C; // JP2 signature box
    }

    private static final class Scanner {
        final InputStream in;
        final boolean bigEndian;
        final boolean explicitVr;
        final List<Element> elements = new ArrayList<>();
        final List<Fragment> items = new ArrayList<>();
        long position;

        Scanner(InputStream in, boolean bigEndian, boolean explicitVr) {
            this.in = in;
            this.bigEndian = bigEndian;
            this.explicitVr = explicitVr;
        }

        void topLevel() throws IOException, MalformedDicomException {
            while (true) {
                int first = in.read();
                if (first < 0) {
                    return;
                }
                position++;
                long start = position - 1;
                int tag = readTag(first);
                String vr = null;
                long length;
                if (explicitVr) {
                    vr = readVr(tag);
                    length = LONG_VRS.contains(vr) ? skipThenUint32() : readUint16();
                } else {
                    vr = DicomDataset.vrOf(tag);
                    length = readUint32();
                }
                long valueOffset = position;
                if (length == UNDEFINED) {
                    elements.add(new Element(tag, vr, start, valueOffset, -1));
                    if (tag == Tag.PixelData) {
                        fragments();
                    } else {
                        new Nested(this, explicitVr && !"UN".equals(vr)).sequence(UNDEFINED, 1);
                    }
                } else {
                    elements.add(new Element(tag, vr, start, valueOffset, length));
                    skip(length);
                }
            }
        }

        void fragments() throws IOException, MalformedDicomException {
            while (true) {
                int tag = readTag(readByte());
                long length = readUint32();
                if (tag == SEQUENCE_DELIMITER) {
                    return;
                }
                if (tag != ITEM || length == UNDEFINED) {
                    throw new MalformedDicomException("bad pixel data item at byte " + (position - 8));
                }
                long offset = position;
                int firstBytes = 0;
                if (length >= 4) {
                    for (int k = 0; k < 4; k++) {
                        firstBytes = firstBytes << 8 | readByte();
                    }
                    skip(length - 4);
                } else {
                    skip(length);
                }
                items.add(new Fragment(offset, length, firstBytes));
            }
        }

        String readVr(int tag) throws IOException, MalformedDicomException {
            String vr = new String(new byte[] {(byte) readByte(), (byte) readByte()}, StandardCharsets.US_ASCII);
            if (!vr.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
                throw new MalformedDicomException("invalid VR at byte " + (position - 2) + " for " + Tag.toString(tag));
            }
            return vr;
        }

        long skipThenUint32() throws IOException {
            skip(2);
            return readUint32();
        }

        int readTag(int firstByte) throws IOException {
            int b1 = readByte();
            int b2 = readByte();
            int b3 = readByte();
            if (bigEndian) {
                return (firstByte << 8 | b1) << 16 | (b2 << 8 | b3);
            }
            return (b1 << 8 | firstByte) << 16 | (b3 << 8 | b2);
        }

        int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException();
            }
            position++;
            return b;
        }

        int readUint16() throws IOException {
            int a = readByte();
            int b = readByte();
            return bigEndian ? a << 8 | b : b << 8 | a;
        }

        long readUint32() throws IOException {
            long a = readByte();
            long b = readByte();
            long c = readByte();
            long d = readByte();
            return bigEndian ? a << 24 | b << 16 | c << 8 | d : d << 24 | c << 16 | b << 8 | a;
        }

        void skip(long n) throws IOException {
            in.skipNBytes(n);
            position += n;
        }
    }

    /** Walks nested sequences and items (undefined lengths) only to find where they end. */
    private static final class Nested {
        final Scanner s;
        final boolean explicitVr;

        Nested(Scanner s, boolean explicitVr) {
            this.s = s;
            this.explicitVr = explicitVr;
        }

        /** Items until a sequence delimiter (undefined length) or {@code length} bytes. */
        void sequence(long length, int depth) throws IOException, MalformedDicomException {
            if (depth > 64) {
                throw new MalformedDicomException("sequences nested too deep");
            }
            long end = length == UNDEFINED ? Long.MAX_VALUE : s.position + length;
            while (s.position < end) {
                int tag = s.readTag(s.readByte());
                long itemLength = s.readUint32();
                if (tag == SEQUENCE_DELIMITER) {
                    return;
                }
                if (tag != ITEM) {
                    throw new MalformedDicomException("expected an item at byte " + (s.position - 8));
                }
                dataset(itemLength, depth);
            }
        }

        void skipFragments() throws IOException, MalformedDicomException {
            while (true) {
                int tag = s.readTag(s.readByte());
                long length = s.readUint32();
                if (tag == SEQUENCE_DELIMITER) {
                    return;
                }
                if (tag != ITEM || length == UNDEFINED) {
                    throw new MalformedDicomException("bad pixel data item at byte " + (s.position - 8));
                }
                s.skip(length);
            }
        }

        void dataset(long length, int depth) throws IOException, MalformedDicomException {
            long end = length == UNDEFINED ? Long.MAX_VALUE : s.position + length;
            while (s.position < end) {
                int tag = s.readTag(s.readByte());
                if (tag == ITEM_DELIMITER) {
                    s.readUint32();
                    return;
                }
                String vr = null;
                long valueLength;
                if (explicitVr) {
                    vr = s.readVr(tag);
                    valueLength = LONG_VRS.contains(vr) ? s.skipThenUint32() : s.readUint16();
                } else {
                    valueLength = s.readUint32();
                }
                if (valueLength == UNDEFINED && tag == Tag.PixelData) {
                    skipFragments(); // e.g. an encapsulated icon image
                } else if (valueLength == UNDEFINED) {
                    new Nested(s, explicitVr && !"UN".equals(vr)).sequence(UNDEFINED, depth + 1);
                } else if ("SQ".equals(vr) || (vr == null && "SQ".equals(DicomDataset.vrOf(tag)))) {
                    sequence(valueLength, depth + 1);
                } else {
                    s.skip(valueLength);
                }
            }
        }
    }
}
