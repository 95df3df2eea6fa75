package org.imagingnode.bridge.dicom;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The DICOM Part 10 file framing: 128-byte preamble, "DICM", File Meta Information (group 0002). */
public final class Part10 {
    /** Our implementation identity, written into every meta header we create. */
    public static final String IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.10.1424.1";
    public static final String IMPLEMENTATION_VERSION_NAME = "IMAGINGNODE01";

    private static final int PREAMBLE = 128;

    private Part10() {
    }

    /**
     * Encodes preamble, prefix and meta header for a data set that follows in {@code transferSyntaxUid}.
     * The header names no sender, so the same data set always yields the same file bytes: re-sending
     * an instance from another AE or channel is recognised as unchanged.
     */
    public static byte[] header(String sopClassUid, String sopInstanceUid, String transferSyntaxUid) {
        ByteArrayOutputStream group = new ByteArrayOutputStream(256);
        element(group, 0x0001, "OB", new byte[] {0, 1});
        element(group, 0x0002, "UI", uid(sopClassUid));
        element(group, 0x0003, "UI", uid(sopInstanceUid));
        element(group, 0x0010, "UI", uid(transferSyntaxUid));
        element(group, 0x0012, "UI", uid(IMPLEMENTATION_CLASS_UID));
        element(group, 0x0013, "SH", text(IMPLEMENTATION_VERSION_NAME));
        byte[] body = group.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(PREAMBLE + 16 + body.length);
        out.writeBytes(new byte[PREAMBLE]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        element(out, 0x0000, "UL", new byte[] {(byte) body.length, (byte) (body.length >>> 8),
                (byte) (body.length >>> 16), (byte) (body.length >>> 24)});
        out.writeBytes(body);
        return out.toByteArray();
    }

    /**
     * Reads a Part 10 header from the start of a stream and returns the byte offset of the data
     * set, leaving the stream positioned there.
     */
    public static long skipHeader(InputStream in) throws MalformedDicomException {
        try {
            DataInputStream din = new DataInputStream(in);
            din.skipNBytes(PREAMBLE);
            byte[] prefix = din.readNBytes(4);
            if (!"DICM".equals(new String(prefix, StandardCharsets.US_ASCII))) {
                throw new MalformedDicomException("not a DICOM Part 10 file: no DICM prefix after the preamble");
            }
            byte[] head = din.readNBytes(12);
            if (head.length < 12 || head[0] != 2 || head[1] != 0 || head[2] != 0 || head[3] != 0
                    || head[4] != 'U' || head[5] != 'L') {
                throw new MalformedDicomException("File Meta Information Group Length (0002,0000) missing");
            }
            long groupLength = (head[8] & 0xFFL) | (head[9] & 0xFFL) << 8 | (head[10] & 0xFFL) << 16
                    | (head[11] & 0xFFL) << 24;
            din.skipNBytes(groupLength);
            return PREAMBLE + 4 + 12 + groupLength;
        } catch (IOException e) {
            throw new MalformedDicomException("truncated Part 10 header", e);
        }
    }

    private static byte[] uid(String uid) {
        byte[] b = uid.getBytes(StandardCharsets.US_ASCII);
        if (b.length % 2 == 0) {
            return b;
        }
        byte[] padded = Arrays.copyOf(b, b.length + 1);
        padded[b.length] = 0;
        return padded;
    }

    private static byte[] text(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        if (b.length % 2 == 0) {
            return b;
        }
        byte[] padded = Arrays.copyOf(b, b.length + 1);
        padded[b.length] = ' ';
        return padded;
    }

    /** Explicit VR little endian element, as the meta header is always encoded. */
    private static void element(ByteArrayOutputStream out, int element, String vr, byte[] value) {
        out.write(0x02);
        out.write(0x00);
        out.write(element & 0xFF);
        out.write(element >>> 8);
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")) {
            out.write(0);
            out.write(0);
            out.write(value.length & 0xFF);
            out.write(value.length >>> 8 & 0xFF);
            out.write(value.length >>> 16 & 0xFF);
            out.write(value.length >>> 24 & 0xFF);
        } else {
            out.write(value.length & 0xFF);
            out.write(value.length >>> 8 & 0xFF);
        }
        out.writeBytes(value);
    }
}
