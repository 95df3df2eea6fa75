package org.imagingnode.bridge.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A DICOMDIR (PS3.10 File-set Descriptor, Media Storage Directory SOP class, PS3.3 F.3), written by the node
 * from records it collected, since its files are streamed into an archive before the directory can be known
 * (PixelMed's {@code DicomDirectory} wants the files on disk). Records are written depth first (PATIENT, its
 * STUDYs, each with its SERIES and their IMAGEs...) in one Directory Record Sequence of items of explicit
 * length, so each record's byte offset, which the directory's links name, is known before writing.
 */
public final class MediaDirectory {
    public static final String MEDIA_STORAGE_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10";
    private static final int FILE_SET_ID = 0x00041130;
    private static final int FIRST_ROOT_RECORD = 0x00041200;
    private static final int LAST_ROOT_RECORD = 0x00041202;
    private static final int FILE_SET_CONSISTENCY = 0x00041212;
    private static final int DIRECTORY_RECORD_SEQUENCE = 0x00041220;
    private static final int NEXT_RECORD = 0x00041400;
    private static final int LOWER_LEVEL = 0x00041420;
    private static final int RECORD_TYPE = 0x00041430;
    public static final int REFERENCED_FILE_ID = 0x00041500;
    public static final int REFERENCED_SOP_CLASS_IN_FILE = 0x00041510;
    public static final int REFERENCED_SOP_INSTANCE_IN_FILE = 0x00041511;
    public static final int REFERENCED_TRANSFER_SYNTAX_IN_FILE = 0x00041512;

    /**
     * One directory record and the records under it.
     *
     * @param type e.g. {@code PATIENT}, {@code STUDY}, {@code SERIES}, {@code IMAGE}
     * @param keys its key attributes (tag to value), in UTF-8
     */
    public record Record(String type, Map<Integer, String> keys, List<Record> children) {
        public Record {
            children = new ArrayList<>(children);
        }
    }

    private MediaDirectory() {
    }

    /** The record type of a referenced object of this SOP class (PS3.3 F.5), for the common storage classes. */
    public static String recordTypeOf(String sopClassUid) {
        return switch (sopClassUid) {
            case "1.2.840.10008.5.1.4.1.1.88.59" -> "KEY OBJECT DOC";
            case "1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.104.2" -> "ENCAP DOC";
            case "1.2.840.10008.5.1.4.1.1.481.2" -> "RT DOSE";
            case "1.2.840.10008.5.1.4.1.1.481.3" -> "RT STRUCTURE SET";
            case "1.2.840.10008.5.1.4.1.1.481.5" -> "RT PLAN";
            default -> sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.88.") ? "SR DOCUMENT"
                    : sopClassUid.startsWith("1.2.840.10008.5.1.4.1.1.11.") ? "PRESENTATION" : "IMAGE";
        };
    }

    /** Writes the whole DICOMDIR file (preamble, meta header, directory) for these root (PATIENT) records. */
    public static void write(OutputStream out, String fileSetId, List<Record> roots) throws IOException {
        List<Record> order = new ArrayList<>();
        roots.forEach(r -> depthFirst(r, order));
        // record lengths do not depend on the offsets they hold (UL values): encode once to learn them
        List<Integer> lengths = new ArrayList<>(order.size());
        for (Record r : order) {
            lengths.add(encodeRecord(r, 0, 0).length);
        }
        byte[] meta = Part10.header(MEDIA_STORAGE_DIRECTORY_STORAGE, newUid(), TransferSyntax.EXPLICIT_VR_LE);
        int prefaceLength = preface(fileSetId, 0, 0).length;
        long sequenceStart = meta.length + prefaceLength + 12L; // SQ tag, VR, reserved, undefined length
        IdentityHashMap<Record, Long> offsets = new IdentityHashMap<>();
        long at = sequenceStart;
        for (int i = 0; i < order.size(); i++) {
            offsets.put(order.get(i), at);
            at += 8L + lengths.get(i); // item tag and length, then the record
        }
        if (at > 0xFFFFFFFFL) {
            throw new IOException("directory too large for 32-bit record offsets");
        }
        out.write(meta);
        out.write(preface(fileSetId, roots.isEmpty() ? 0 : offsets.get(roots.get(0)),
                roots.isEmpty() ? 0 : offsets.get(roots.get(roots.size() - 1))));
        out.write(new byte[] {0x04, 0x00, 0x20, 0x12, 'S', 'Q', 0, 0, -1, -1, -1, -1});
        Map<Record, Long> next = new IdentityHashMap<>();
        linkSiblings(roots, offsets, next);
        for (Record r : order) {
            linkSiblings(r.children(), offsets, next);
        }
        for (Record r : order) {
            long lower = r.children().isEmpty() ? 0 : offsets.get(r.children().get(0));
            byte[] item = encodeRecord(r, next.getOrDefault(r, 0L), lower);
            out.write(new byte[] {-2, -1, 0x00, -32}); // (FFFE,E000) item
            writeUint32(out, item.length);
            out.write(item);
        }
        out.write(new byte[] {-2, -1, -35, -32, 0, 0, 0, 0}); // (FFFE,E0DD) sequence delimitation
    }

    private static void depthFirst(Record r, List<Record> order) {
        order.add(r);
        r.children().forEach(c -> depthFirst(c, order));
    }

    private static void linkSiblings(List<Record> siblings, Map<Record, Long> offsets, Map<Record, Long> next) {
        for (int i = 0; i + 1 < siblings.size(); i++) {
            next.put(siblings.get(i), offsets.get(siblings.get(i + 1)));
        }
    }

    private static byte[] preface(String fileSetId, long firstRoot, long lastRoot) throws IOException {
        DicomDataset ds = DicomDataset.empty();
        ds.putString(FILE_SET_ID, fileSetId);
        ds.putString(FIRST_ROOT_RECORD, Long.toString(firstRoot));
        ds.putString(LAST_ROOT_RECORD, Long.toString(lastRoot));
        ds.putString(FILE_SET_CONSISTENCY, "0");
        return ds.encode(TransferSyntax.EXPLICIT_VR_LE);
    }

    private static byte[] encodeRecord(Record r, long next, long lower) throws IOException {
        DicomDataset ds = DicomDataset.newUtf8();
        ds.putString(NEXT_RECORD, Long.toString(next));
        ds.putString(LOWER_LEVEL, Long.toString(lower));
        ds.putString(RECORD_TYPE, r.type());
        r.keys().forEach((tag, value) -> ds.putString(tag, value == null ? null : value.split("\\\\")));
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        ds.write(out, TransferSyntax.EXPLICIT_VR_LE);
        return out.toByteArray();
    }

    private static void writeUint32(OutputStream out, long v) throws IOException {
        out.write(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
    }

    /** A fresh UID under the 2.25 root (PS3.5 B.2). */
    private static String newUid() {
        UUID u = UUID.randomUUID();
        return "2.25." + new BigInteger(1, ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array());
    }
}
