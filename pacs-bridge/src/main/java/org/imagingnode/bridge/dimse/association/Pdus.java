package org.imagingnode.bridge.dimse.association;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Encoding and decoding of the DICOM Upper Layer PDUs (PS3.8 9.3). */
final class Pdus {
    static final int ASSOCIATE_RQ = 0x01;
    static final int ASSOCIATE_AC = 0x02;
    static final int ASSOCIATE_RJ = 0x03;
    static final int P_DATA_TF = 0x04;
    static final int RELEASE_RQ = 0x05;
    static final int RELEASE_RP = 0x06;
    static final int ABORT = 0x07;

    /** Association negotiation PDUs are small; anything bigger is hostile. */
    static final int MAX_NEGOTIATION_PDU = 1 << 20;

    private Pdus() {
    }

    static AssociationParameters decodeAssociate(byte[] body, boolean request) throws AssociationAbortedException {
        try {
            ByteBuffer b = ByteBuffer.wrap(body);
            b.getShort(); // protocol version
            b.getShort();
            String called = ascii(b, 16).strip();
            String calling = ascii(b, 16).strip();
            b.position(b.position() + 32);
            List<PresentationContext> contexts = new ArrayList<>();
            int maxPdu = 0;
            String implClass = null;
            String implVersion = null;
            Map<String, boolean[]> roles = new LinkedHashMap<>();
            while (b.remaining() >= 4) {
                int type = b.get() & 0xFF;
                b.get();
                int len = b.getShort() & 0xFFFF;
                ByteBuffer item = slice(b, len);
                switch (type) {
                    case 0x20, 0x21 -> contexts.add(presentationContext(item, type == 0x21));
                    case 0x50 -> {
                        while (item.remaining() >= 4) {
                            int sub = item.get() & 0xFF;
                            item.get();
                            int subLen = item.getShort() & 0xFFFF;
                            ByteBuffer s = slice(item, subLen);
                            switch (sub) {
                                case 0x51 -> maxPdu = s.getInt();
                                case 0x52 -> implClass = uid(s, subLen);
                                case 0x55 -> implVersion = ascii(s, subLen).strip();
                                case 0x54 -> {
                                    int uidLen = s.getShort() & 0xFFFF;
                                    String sopClass = uid(s, uidLen);
                                    boolean scu = s.get() != 0;
                                    boolean scp = s.get() != 0;
                                    roles.put(sopClass, new boolean[] {scu, scp});
                                }
                                default -> { /* async window, identity, extended negotiation: not used */ }
                            }
                        }
                    }
                    default -> { /* application context (0x10): only one exists */ }
                }
            }
            return new AssociationParameters(called, calling, contexts, maxPdu, implClass, implVersion, roles);
        } catch (RuntimeException e) {
            throw new AssociationAbortedException("malformed A-ASSOCIATE-" + (request ? "RQ" : "AC") + ": " + e);
        }
    }

    private static PresentationContext presentationContext(ByteBuffer item, boolean accept) {
        int id = item.get() & 0xFF;
        item.get();
        int result = item.get() & 0xFF;
        item.get();
        String abstractSyntax = null;
        List<String> syntaxes = new ArrayList<>();
        while (item.remaining() >= 4) {
            int sub = item.get() & 0xFF;
            item.get();
            int len = item.getShort() & 0xFFFF;
            ByteBuffer s = slice(item, len);
            if (sub == 0x30) {
                abstractSyntax = uid(s, len);
            } else if (sub == 0x40) {
                syntaxes.add(uid(s, len));
            }
        }
        return new PresentationContext(id, abstractSyntax, syntaxes, accept ? result : PresentationContext.ACCEPTANCE);
    }

    static byte[] encodeAssociate(AssociationParameters p, boolean request) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(512);
        body.write(0);
        body.write(1); // protocol version 1
        body.write(0);
        body.write(0);
        body.writeBytes(aeField(p.calledAeTitle()));
        body.writeBytes(aeField(p.callingAeTitle()));
        body.writeBytes(new byte[32]);
        item(body, 0x10, AssociationParameters.APPLICATION_CONTEXT.getBytes(StandardCharsets.US_ASCII));
        for (PresentationContext pc : p.presentationContexts()) {
            ByteArrayOutputStream pcItem = new ByteArrayOutputStream();
            pcItem.write(pc.id());
            pcItem.write(0);
            pcItem.write(request ? 0 : pc.result());
            pcItem.write(0);
            if (request) {
                item(pcItem, 0x30, pc.abstractSyntax().getBytes(StandardCharsets.US_ASCII));
            }
            for (String ts : pc.transferSyntaxes()) {
                item(pcItem, 0x40, ts.getBytes(StandardCharsets.US_ASCII));
            }
            item(body, request ? 0x20 : 0x21, pcItem.toByteArray());
        }
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        item(user, 0x51, ByteBuffer.allocate(4).putInt(p.maxPduLength()).array());
        item(user, 0x52, p.implementationClassUid().getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, boolean[]> role : p.roleSelection().entrySet()) {
            byte[] uid = role.getKey().getBytes(StandardCharsets.US_ASCII);
            ByteBuffer rs = ByteBuffer.allocate(4 + uid.length);
            rs.putShort((short) uid.length).put(uid).put((byte) (role.getValue()[0] ? 1 : 0))
                    .put((byte) (role.getValue()[1] ? 1 : 0));
            item(user, 0x54, rs.array());
        }
        if (p.implementationVersionName() != null) {
            item(user, 0x55, p.implementationVersionName().getBytes(StandardCharsets.US_ASCII));
        }
        item(body, 0x50, user.toByteArray());
        return body.toByteArray();
    }

    static void write(OutputStream out, int type, byte[] body) throws IOException {
        byte[] header = {(byte) type, 0, (byte) (body.length >>> 24), (byte) (body.length >>> 16),
            (byte) (body.length >>> 8), (byte) body.length};
        out.write(header);
        out.write(body);
        out.flush();
    }

    /** Reads a whole non-data PDU body of at most {@link #MAX_NEGOTIATION_PDU} bytes. */
    static byte[] readBody(DataInputStream in, long length) throws IOException {
        if (length > MAX_NEGOTIATION_PDU) {
            throw new AssociationAbortedException("PDU of " + length + " bytes exceeds the limit of "
                    + MAX_NEGOTIATION_PDU);
        }
        byte[] body = new byte[(int) length];
        in.readFully(body);
        return body;
    }

    private static void item(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type);
        out.write(0);
        out.write(value.length >>> 8);
        out.write(value.length);
        out.writeBytes(value);
    }

    private static byte[] aeField(String ae) {
        byte[] field = new byte[16];
        Arrays.fill(field, (byte) ' ');
        byte[] b = ae.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, field, 0, Math.min(16, b.length));
        return field;
    }

    private static ByteBuffer slice(ByteBuffer b, int len) {
        ByteBuffer s = b.slice(b.position(), len);
        b.position(b.position() + len);
        return s;
    }

    private static String ascii(ByteBuffer b, int len) {
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static String uid(ByteBuffer b, int len) {
        String s = ascii(b, len);
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == 0 || s.charAt(end - 1) == ' ')) {
            end--;
        }
        return s.substring(0, end);
    }
}
