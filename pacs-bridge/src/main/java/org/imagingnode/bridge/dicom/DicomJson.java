package org.imagingnode.bridge.dicom;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

import com.fasterxml.jackson.core.JsonGenerator;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.AttributeTagAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;

/**
 * Writes a data set in the DICOM JSON model (PS3.18 F.2): one object per data set, keys are tags as
 * eight upper-case hex digits in ascending order, each with its "vr" and "Value" (strings, numbers,
 * Person Name objects with Alphabetic/Ideographic/Phonetic groups, nested data sets), "InlineBinary"
 * (base64) or "BulkDataURI" for binary values. Group 0002 (file meta) and group lengths are left out.
 */
public final class DicomJson {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    /** Decides which binary values are sent as a BulkDataURI instead of inline. */
    @FunctionalInterface
    public interface BulkData {
        /**
         * The URI for a top-level binary value (nested values are always inline), or null to inline it.
         *
         * @param tag    the attribute
         * @param length its value length in bytes
         */
        String uriFor(int tag, long length);
    }

    private DicomJson() {
    }

    /** A binary top-level value that was not parsed (e.g. the pixel data after a header-only read), sent by URI. */
    public record TrailingBulkData(int tag, String vr, String uri) {
    }

    /** Writes {@code dataset} as one JSON object. */
    public static void write(DicomDataset dataset, JsonGenerator json, BulkData bulk) throws IOException {
        writeList(dataset.attributes(), json, bulk, true, List.of());
    }

    /**
     * Writes {@code dataset} as one JSON object, followed by {@code trailing} values (tags above every
     * parsed one, such as Pixel Data when the data set was read up to it).
     */
    public static void write(DicomDataset dataset, JsonGenerator json, BulkData bulk,
            List<TrailingBulkData> trailing) throws IOException {
        writeList(dataset.attributes(), json, bulk, true, trailing);
    }

    /** The JSON key of a tag: eight upper-case hex digits (PS3.18 F.2.2). */
    public static String key(int tag) {
        return HEX.toHexDigits(tag);
    }

    private static void writeList(AttributeList list, JsonGenerator json, BulkData bulk, boolean topLevel,
            List<TrailingBulkData> trailing) throws IOException {
        json.writeStartObject();
        // AttributeList is a TreeMap on AttributeTag: ascending tag order
        for (Object value : list.values()) {
            Attribute a = (Attribute) value;
            AttributeTag t = a.getTag();
            int group = t.getGroup();
            if (group == 0x0002 || t.getElement() == 0x0000 || group == 0xFFFC) {
                continue;
            }
            int tag = group << 16 | t.getElement();
            json.writeFieldName(key(tag));
            try {
                writeAttribute(tag, a, json, bulk, topLevel);
            } catch (DicomException e) {
                throw new IOException("cannot encode " + Tag.toString(tag) + ": " + e.getMessage(), e);
            }
        }
        for (TrailingBulkData t : trailing) {
            if (list.get(new AttributeTag(t.tag() >>> 16, t.tag() & 0xFFFF)) != null) {
                continue;
            }
            json.writeFieldName(key(t.tag()));
            json.writeStartObject();
            json.writeStringField("vr", t.vr());
            json.writeStringField("BulkDataURI", t.uri());
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    private static void writeAttribute(int tag, Attribute a, JsonGenerator json, BulkData bulk, boolean topLevel)
            throws IOException, DicomException {
        String vr = a.getVRAsString();
        json.writeStartObject();
        json.writeStringField("vr", vr);
        switch (vr) {
            case "SQ" -> {
                SequenceAttribute sq = (SequenceAttribute) a;
                if (sq.getNumberOfItems() > 0) {
                    json.writeArrayFieldStart("Value");
                    Iterator<SequenceItem> items = sq.iterator();
                    while (items.hasNext()) {
                        writeList(items.next().getAttributeList(), json, bulk, false, List.of());
                    }
                    json.writeEndArray();
                }
            }
            case "OB", "OD", "OF", "OL", "OV", "OW", "UN" -> {
                long length = a.getVL();
                String uri = topLevel && bulk != null ? bulk.uriFor(tag, length) : null;
                if (uri != null) {
                    json.writeStringField("BulkDataURI", uri);
                } else if (length > 0 && length != 0xFFFFFFFFL) {
                    byte[] bytes = a.getByteValues(false);
                    if (bytes != null && bytes.length > 0) {
                        json.writeStringField("InlineBinary", Base64.getEncoder().encodeToString(bytes));
                    }
                } else if (length == 0xFFFFFFFFL && bulk != null && topLevel) {
                    String u = bulk.uriFor(tag, length);
                    if (u != null) {
                        json.writeStringField("BulkDataURI", u);
                    }
                }
            }
            case "PN" -> {
                String[] values = a.getStringValues();
                if (hasValues(values)) {
                    json.writeArrayFieldStart("Value");
                    for (String v : values) {
                        writePersonName(v, json);
                    }
                    json.writeEndArray();
                }
            }
            case "AT" -> {
                AttributeTag[] tags = ((AttributeTagAttribute) a).getAttributeTagValues();
                if (tags != null && tags.length > 0) {
                    json.writeArrayFieldStart("Value");
                    for (AttributeTag at : tags) {
                        json.writeString(String.format("%04X%04X", at.getGroup(), at.getElement()));
                    }
                    json.writeEndArray();
                }
            }
            case "IS", "DS", "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV" -> {
                String[] values = a.getStringValues();
                if (hasValues(values)) {
                    json.writeArrayFieldStart("Value");
                    for (String v : values) {
                        writeNumber(v, json);
                    }
                    json.writeEndArray();
                }
            }
            default -> {
                String[] values = a.getStringValues();
                if (hasValues(values)) {
                    boolean text = vr.equals("LT") || vr.equals("ST") || vr.equals("UT");
                    json.writeArrayFieldStart("Value");
                    for (String v : values) {
                        String s = v == null ? null : text ? v.stripTrailing() : v.strip();
                        if (s == null || s.isEmpty()) {
                            json.writeNull();
                        } else {
                            json.writeString(s);
                        }
                    }
                    json.writeEndArray();
                }
            }
        }
        json.writeEndObject();
    }

    private static boolean hasValues(String[] values) {
        if (values == null || values.length == 0) {
            return false;
        }
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return true;
            }
        }
        return false;
    }

    private static void writeNumber(String v, JsonGenerator json) throws IOException {
        String s = v == null ? "" : v.strip();
        if (s.isEmpty()) {
            json.writeNull();
            return;
        }
        try {
            if (s.indexOf('.') < 0 && s.indexOf('e') < 0 && s.indexOf('E') < 0) {
                json.writeNumber(Long.parseLong(s.startsWith("+") ? s.substring(1) : s));
            } else {
                json.writeNumber(new BigDecimal(s.startsWith("+") ? s.substring(1) : s));
            }
        } catch (NumberFormatException e) {
            json.writeString(s); // malformed IS/DS: keep the text rather than lose the value
        }
    }

    /** A PN value as {"Alphabetic": ..., "Ideographic": ..., "Phonetic": ...} (empty groups left out). */
    public static void writePersonName(String value, JsonGenerator json) throws IOException {
        if (value == null || value.isBlank()) {
            json.writeNull();
            return;
        }
        String[] groups = value.strip().split("=", -1);
        String[] names = {"Alphabetic", "Ideographic", "Phonetic"};
        json.writeStartObject();
        for (int g = 0; g < Math.min(3, groups.length); g++) {
            String group = groups[g].strip();
            if (!group.isEmpty()) {
                json.writeStringField(names[g], group);
            }
        }
        json.writeEndObject();
    }
}
