package org.imagingnode.bridge.dicom;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

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
        List<Element> elements = new ArrayList<>();
        List<Fragment> items = new ArrayList<>();
        DatasetStructure.walk(in, transferSyntaxUid, new DatasetStructure.Visitor() {
            @Override
            public void element(int tag, String vr, long start, long valueOffset, long valueLength) {
                elements.add(new Element(tag, vr, start, valueOffset, valueLength));
            }

            @Override
            public void pixelDataItem(long valueOffset, long length, int firstBytes) {
                items.add(new Fragment(valueOffset, length, firstBytes));
            }
        });
        return new DatasetLayout(elements, items, TransferSyntax.isBigEndian(transferSyntaxUid));
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
}
