package org.imagingnode.bridge.dicom;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;

/**
 * The File Meta Information of a Part 10 stream (preamble, "DICM", group 0002), read from the start
 * of a stream that is left positioned at the data set. Used by receiving edges that get whole files
 * (STOW-RS) to re-frame the data set with the node's own normalised header ({@link Part10#header}).
 *
 * @param datasetOffset how many bytes the preamble and meta header took
 */
public record FileMeta(String sopClassUid, String sopInstanceUid, String transferSyntaxUid, long datasetOffset) {
    private static final int MAX_META = 64 * 1024;

    /**
     * Reads the meta header. The stream given must support being wrapped: bytes are pushed back
     * only into the returned {@link Reader}'s stream, so callers continue reading from {@link Reader#dataset()}.
     */
    public static Reader read(InputStream in) throws MalformedDicomException {
        PushbackInputStream pin = new PushbackInputStream(in, 8);
        DataInputStream din = new DataInputStream(pin);
        String sopClass = null;
        String sopInstance = null;
        String ts = null;
        long offset = 0;
        try {
            din.skipNBytes(128);
            byte[] prefix = din.readNBytes(4);
            offset = 132;
            if (prefix.length < 4 || !"DICM".equals(new String(prefix, StandardCharsets.US_ASCII))) {
                throw new MalformedDicomException("not a DICOM Part 10 object: no DICM prefix after the 128-byte preamble");
            }
            while (true) {
                byte[] head = din.readNBytes(8);
                if (head.length < 8) {
                    throw new MalformedDicomException("truncated File Meta Information");
                }
                int group = (head[0] & 0xFF) | (head[1] & 0xFF) << 8;
                if (group != 0x0002) {
                    pin.unread(head);
                    break;
                }
                int element = (head[2] & 0xFF) | (head[3] & 0xFF) << 8;
                String vr = new String(head, 4, 2, StandardCharsets.US_ASCII);
                long length;
                offset += 8;
                if (vr.equals("OB") || vr.equals("UN") || vr.equals("UT") || vr.equals("SQ") || vr.equals("OW")) {
                    byte[] l = din.readNBytes(4);
                    if (l.length < 4) {
                        throw new MalformedDicomException("truncated File Meta Information");
                    }
                    offset += 4;
                    length = (l[0] & 0xFFL) | (l[1] & 0xFFL) << 8 | (l[2] & 0xFFL) << 16 | (l[3] & 0xFFL) << 24;
                } else {
                    length = (head[6] & 0xFF) | (head[7] & 0xFF) << 8;
                }
                if (length > MAX_META || offset + length > MAX_META) {
                    throw new MalformedDicomException("File Meta Information too long or garbled");
                }
                byte[] value = din.readNBytes((int) length);
                if (value.length < length) {
                    throw new MalformedDicomException("truncated File Meta Information");
                }
                offset += length;
                switch (element) {
                    case 0x0002 -> sopClass = uid(value);
                    case 0x0003 -> sopInstance = uid(value);
                    case 0x0010 -> ts = uid(value);
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            throw new MalformedDicomException("truncated Part 10 header", e);
        }
        if (ts == null || ts.isEmpty()) {
            throw new MalformedDicomException("File Meta Information has no Transfer Syntax UID (0002,0010)");
        }
        return new Reader(new FileMeta(sopClass, sopInstance, ts, offset), pin);
    }

    /** The meta header read, and the stream positioned at the data set. */
    public record Reader(FileMeta meta, InputStream dataset) {
    }

    private static String uid(byte[] value) {
        String s = new String(value, StandardCharsets.US_ASCII);
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == 0 || s.charAt(end - 1) == ' ')) {
            end--;
        }
        return s.substring(0, end).strip();
    }
}
