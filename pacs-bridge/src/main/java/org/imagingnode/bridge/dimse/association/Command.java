package org.imagingnode.bridge.dimse.association;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DIMSE command set (group 0000), always Implicit VR Little Endian (PS3.7 6.3.1). Values are
 * Strings (UI, AE, LO) or Integers (US, UL, AT).
 */
public final class Command {
    public static final int AffectedSOPClassUID = 0x00000002;
    public static final int RequestedSOPClassUID = 0x00000003;
    public static final int CommandField = 0x00000100;
    public static final int MessageID = 0x00000110;
    public static final int MessageIDBeingRespondedTo = 0x00000120;
    public static final int MoveDestination = 0x00000600;
    public static final int Priority = 0x00000700;
    public static final int CommandDataSetType = 0x00000800;
    public static final int Status = 0x00000900;
    public static final int OffendingElement = 0x00000901;
    public static final int ErrorComment = 0x00000902;
    public static final int AffectedSOPInstanceUID = 0x00001000;
    public static final int RequestedSOPInstanceUID = 0x00001001;
    public static final int NumberOfRemainingSuboperations = 0x00001020;
    public static final int NumberOfCompletedSuboperations = 0x00001021;
    public static final int NumberOfFailedSuboperations = 0x00001022;
    public static final int NumberOfWarningSuboperations = 0x00001023;
    public static final int MoveOriginatorApplicationEntityTitle = 0x00001030;
    public static final int MoveOriginatorMessageID = 0x00001031;

    public static final int C_STORE_RQ = 0x0001;
    public static final int C_STORE_RSP = 0x8001;
    public static final int C_GET_RQ = 0x0010;
    public static final int C_GET_RSP = 0x8010;
    public static final int C_FIND_RQ = 0x0020;
    public static final int C_FIND_RSP = 0x8020;
    public static final int C_MOVE_RQ = 0x0021;
    public static final int C_MOVE_RSP = 0x8021;
    public static final int C_ECHO_RQ = 0x0030;
    public static final int C_ECHO_RSP = 0x8030;
    public static final int C_CANCEL_RQ = 0x0FFF;

    /** CommandDataSetType value meaning "no data set follows". */
    public static final int NO_DATA_SET = 0x0101;
    private static final int DATA_SET_PRESENT = 0x0000;

    private static final int TYPE_STRING = 0;
    private static final int TYPE_US = 1;
    private static final int TYPE_UL = 2;
    private static final int TYPE_AT = 3;

    private final TreeMap<Integer, Object> values = new TreeMap<>(Integer::compareUnsigned);

    public static Command of(int commandField, boolean hasDataSet) {
        Command c = new Command();
        c.put(CommandField, commandField);
        c.put(CommandDataSetType, hasDataSet ? DATA_SET_PRESENT : NO_DATA_SET);
        return c;
    }

    /** A response to {@code request}, with its SOP class (and instance, if any) and the status. */
    public static Command responseTo(Command request, int responseField, int status, boolean hasDataSet) {
        Command rsp = of(responseField, hasDataSet);
        String sopClass = request.getString(AffectedSOPClassUID);
        rsp.put(AffectedSOPClassUID, sopClass != null ? sopClass : request.getString(RequestedSOPClassUID));
        rsp.put(MessageIDBeingRespondedTo, request.getInt(MessageID));
        rsp.put(Status, status);
        return rsp;
    }

    public Command put(int tag, Object value) {
        if (value == null) {
            values.remove(tag);
        } else {
            values.put(tag, value);
        }
        return this;
    }

    /**
     * Sets the ErrorComment (cut to the 64 characters of its LO value representation) and the
     * OffendingElement of a failure response; a null leaves the element out.
     */
    public Command putError(String comment, Integer offendingTag) {
        put(ErrorComment, comment == null || comment.length() <= 64 ? comment : comment.substring(0, 64));
        return put(OffendingElement, offendingTag);
    }

    public String getString(int tag) {
        Object v = values.get(tag);
        return v == null ? null : v.toString();
    }

    public int getInt(int tag) {
        Object v = values.get(tag);
        if (v instanceof Integer i) {
            return i;
        }
        throw new IllegalStateException("command has no integer " + String.format("(0000,%04X)", tag & 0xFFFF));
    }

    public int getInt(int tag, int defaultValue) {
        return values.get(tag) instanceof Integer i ? i : defaultValue;
    }

    public int field() {
        return getInt(CommandField, -1);
    }

    public boolean hasDataSet() {
        return getInt(CommandDataSetType, NO_DATA_SET) != NO_DATA_SET;
    }

    public byte[] encode() {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        for (Map.Entry<Integer, Object> e : values.entrySet()) {
            writeElement(body, e.getKey(), e.getValue());
        }
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 12);
        writeElement(out, 0x00000000, b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    public static Command decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Command c = new Command();
        while (buf.remaining() >= 8) {
            int group = buf.getShort() & 0xFFFF;
            int element = buf.getShort() & 0xFFFF;
            int length = buf.getInt();
            if (length < 0 || length > buf.remaining()) {
                throw new IllegalArgumentException("command element (" + Integer.toHexString(group) + ","
                        + Integer.toHexString(element) + ") overruns the command set");
            }
            int tag = group << 16 | element;
            byte[] value = new byte[length];
            buf.get(value);
            if (group != 0 || element == 0) {
                continue;
            }
            int type = typeOf(tag);
            ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
            Object decoded = switch (type) {
                case TYPE_US -> length >= 2 ? Integer.valueOf(v.getShort() & 0xFFFF) : null;
                case TYPE_UL -> length >= 4 ? Integer.valueOf(v.getInt()) : null;
                case TYPE_AT -> length >= 4 ? Integer.valueOf((v.getShort() & 0xFFFF) << 16 | (v.getShort() & 0xFFFF))
                        : null;
                default -> trim(new String(value, StandardCharsets.US_ASCII));
            };
            c.put(tag, decoded);
        }
        return c;
    }

    private static String trim(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == 0)) {
            end--;
        }
        return s.substring(0, end).stripLeading();
    }

    private static int typeOf(int tag) {
        return switch (tag) {
            case CommandField, MessageID, MessageIDBeingRespondedTo, Priority, CommandDataSetType, Status,
                    NumberOfRemainingSuboperations, NumberOfCompletedSuboperations, NumberOfFailedSuboperations,
                    NumberOfWarningSuboperations, MoveOriginatorMessageID -> TYPE_US;
            case 0x00000000 -> TYPE_UL;
            case OffendingElement -> TYPE_AT;
            default -> TYPE_STRING;
        };
    }

    private static void writeElement(ByteArrayOutputStream out, int tag, Object value) {
        byte[] bytes;
        int type = typeOf(tag);
        if (type == TYPE_US) {
            int v = (Integer) value;
            bytes = new byte[] {(byte) v, (byte) (v >>> 8)};
        } else if (type == TYPE_UL || type == TYPE_AT) {
            int v = (Integer) value;
            bytes = type == TYPE_AT
                    ? new byte[] {(byte) (v >>> 16), (byte) (v >>> 24), (byte) v, (byte) (v >>> 8)}
                    : new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
        } else {
            String s = value.toString();
            byte[] raw = s.getBytes(StandardCharsets.US_ASCII);
            bytes = raw.length % 2 == 0 ? raw : Arrays.copyOf(raw, raw.length + 1);
            if (raw.length % 2 != 0) {
                bytes[raw.length] = (byte) (tag == AffectedSOPClassUID || tag == RequestedSOPClassUID
                        || tag == AffectedSOPInstanceUID || tag == RequestedSOPInstanceUID ? 0 : ' ');
            }
        }
        out.write(tag >>> 16 & 0xFF);
        out.write(tag >>> 24 & 0xFF);
        out.write(tag & 0xFF);
        out.write(tag >>> 8 & 0xFF);
        out.write(bytes.length & 0xFF);
        out.write(bytes.length >>> 8 & 0xFF);
        out.write(bytes.length >>> 16 & 0xFF);
        out.write(bytes.length >>> 24 & 0xFF);
        out.writeBytes(bytes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Command{");
        values.forEach((k, v) -> sb.append(String.format("(0000,%04X)=%s ", k & 0xFFFF, v)));
        return sb.append('}').toString();
    }
}
