package org.imagingnode.bridge.dicom;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.DicomOutputStream;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SpecificCharacterSet;
import com.pixelmed.dicom.TagFromName;

/**
 * A DICOM data set: the node's one view of a toolkit attribute list. Everything outside the
 * {@code dicom} package works with tags as ints and decoded Java strings, so the toolkit (PixelMed
 * today) can be replaced here alone.
 */
public final class DicomDataset {
    private static final DicomDictionary DICTIONARY = AttributeList.getDictionary();
    private static final Map<Integer, String> VRS = new ConcurrentHashMap<>();
    /** Data sets the node writes (query responses) are always UTF-8. */
    private static final String[] UTF8 = {"ISO_IR 192"};

    private final AttributeList list;

    private DicomDataset(AttributeList list) {
        this.list = list;
    }

    /** An empty data set whose strings will be encoded in UTF-8. */
    public static DicomDataset newUtf8() {
        DicomDataset ds = new DicomDataset(new AttributeList());
        ds.putString(Tag.SpecificCharacterSet, UTF8[0]);
        return ds;
    }

    /** An empty data set with no Specific Character Set (for framing elements that must come before it). */
    static DicomDataset empty() {
        return new DicomDataset(new AttributeList());
    }

    /** Reads a whole data set (no meta header) encoded in the given transfer syntax. */
    public static DicomDataset read(InputStream in, String transferSyntaxUid) throws MalformedDicomException {
        AttributeList list = new AttributeList();
        list.setDecompressPixelData(false); // the node stores and sends pixels as received
        try {
            list.read(new DicomInputStream(in, transferSyntaxUid, false));
        } catch (IOException | DicomException | RuntimeException e) {
            throw new MalformedDicomException("cannot parse data set: " + describe(e), e);
        }
        return new DicomDataset(list);
    }

    /**
     * Reads a small data set that comes from the network (a C-FIND/C-MOVE/C-GET identifier): at most
     * {@code maxBytes}, and its structure checked before the toolkit parses it, so that no declared
     * length can make the parser allocate more than what was actually received.
     */
    public static DicomDataset readUntrusted(InputStream in, String transferSyntaxUid, int maxBytes)
            throws MalformedDicomException {
        byte[] bytes;
        try {
            bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                in.transferTo(OutputStream.nullOutputStream());
                throw new MalformedDicomException("data set larger than " + maxBytes + " bytes");
            }
        } catch (IOException e) {
            throw new MalformedDicomException("cannot read data set: " + e.getMessage(), e);
        }
        DatasetStructure.verify(new ByteArrayInputStream(bytes), transferSyntaxUid);
        return read(new ByteArrayInputStream(bytes), transferSyntaxUid);
    }

    /**
     * Reads a Part 10 file's meta header and data set up to, not including, the pixel data: enough
     * to index it without loading pixels.
     */
    public static DicomDataset readPart10Header(Path file) throws MalformedDicomException {
        AttributeList list = new AttributeList();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 65536)) {
            list.read(new DicomInputStream(in), TagFromName.PixelData);
        } catch (IOException | DicomException | RuntimeException e) {
            throw new MalformedDicomException("cannot parse DICOM header: " + describe(e), e);
        }
        return new DicomDataset(list);
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    public boolean contains(int tag) {
        return list.get(t(tag)) != null;
    }

    /** The first value, decoded and trimmed, or null when absent or empty. */
    public String getString(int tag) {
        Attribute a = list.get(t(tag));
        if (a == null) {
            return null;
        }
        String v = a.getSingleStringValueOrNull();
        if (v == null) {
            return null;
        }
        v = v.strip();
        return v.isEmpty() ? null : v;
    }

    /** All values joined with '\', or null when absent or empty (the DICOM multi-value form). */
    public String getRawString(int tag) {
        Attribute a = list.get(t(tag));
        if (a == null) {
            return null;
        }
        String v = a.getDelimitedStringValuesOrNull();
        return v == null || v.isBlank() ? null : v.strip();
    }

    public List<String> getStrings(int tag) {
        Attribute a = list.get(t(tag));
        List<String> out = new ArrayList<>();
        if (a != null) {
            try {
                String[] values = a.getStringValues();
                if (values != null) {
                    for (String v : values) {
                        if (v != null && !v.isBlank()) {
                            out.add(v.strip());
                        }
                    }
                }
            } catch (DicomException e) {
                return out;
            }
        }
        return out;
    }

    /** The first value as an integer, or null when absent, empty or not a number. */
    public Integer getInt(int tag) {
        String v = getString(tag);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The top-level tags present, in ascending order. */
    public List<Integer> tags() {
        List<Integer> tags = new ArrayList<>();
        for (Object key : list.keySet()) {
            AttributeTag at = (AttributeTag) key;
            tags.add(at.getGroup() << 16 | at.getElement());
        }
        return tags;
    }

    /** True when the attribute is present with an empty value (a DICOM "return key"). */
    public boolean isEmpty(int tag) {
        Attribute a = list.get(t(tag));
        return a != null && a.getVL() == 0;
    }

    /** True when the attribute is a sequence (SQ). */
    public boolean isSequence(int tag) {
        return list.get(t(tag)) instanceof SequenceAttribute;
    }

    /**
     * The items of a sequence attribute, each as a data set (read-only use), in order; empty when the
     * attribute is absent, empty or not a sequence.
     */
    public List<DicomDataset> items(int tag) {
        Attribute a = list.get(t(tag));
        List<DicomDataset> out = new ArrayList<>();
        if (a instanceof SequenceAttribute sq) {
            for (int i = 0; i < sq.getNumberOfItems(); i++) {
                AttributeList item = sq.getItem(i) == null ? null : sq.getItem(i).getAttributeList();
                if (item != null) {
                    out.add(new DicomDataset(item));
                }
            }
        }
        return out;
    }

    /** The Value Representation of a tag from the dictionary ("UN" if unknown). */
    public static String vrOf(int tag) {
        // the dictionary's own map is slow to search (its tags hash badly): its answers are kept, and
        // only its answers, so tags met in untrusted data sets cannot grow the cache
        String known = VRS.get(tag);
        if (known != null) {
            return known;
        }
        byte[] vr = DICTIONARY.getValueRepresentationFromTag(t(tag));
        if (vr == null) {
            return "UN";
        }
        String name = new String(vr, StandardCharsets.US_ASCII);
        VRS.put(tag, name);
        return name;
    }

    /** Sets a string attribute (values joined by '\' in DICOM); a null or empty value makes it zero-length. */
    public void putString(int tag, String... values) {
        try {
            Attribute a = AttributeFactory.newAttribute(t(tag), DICTIONARY.getValueRepresentationFromTag(t(tag)),
                    new SpecificCharacterSet(UTF8));
            if (values != null) {
                for (String v : values) {
                    if (v != null && !v.isEmpty()) {
                        a.addValue(v);
                    }
                }
            }
            list.put(a);
        } catch (DicomException e) {
            throw new IllegalArgumentException("cannot set " + Tag.toString(tag) + ": " + e.getMessage(), e);
        }
    }

    /** Sets an empty sequence (a Type 2 sequence with no item), replacing any value. */
    public void putEmptySequence(int tag) {
        list.put(new SequenceAttribute(t(tag)));
    }

    /** Appends an item to a sequence (created if absent) and returns it, to be filled in. */
    public DicomDataset addItem(int sequenceTag) {
        Attribute a = list.get(t(sequenceTag));
        SequenceAttribute sequence;
        if (a instanceof SequenceAttribute existing) {
            sequence = existing;
        } else {
            sequence = new SequenceAttribute(t(sequenceTag));
            list.put(sequence);
        }
        AttributeList item = new AttributeList();
        sequence.addItem(item);
        return new DicomDataset(item);
    }

    /** Writes the data set (no meta header) in the given transfer syntax. */
    public void write(OutputStream out, String transferSyntaxUid) throws IOException {
        try {
            DicomOutputStream dout = new DicomOutputStream(out, null, transferSyntaxUid);
            list.write(dout, true);
            dout.flush();
        } catch (DicomException e) {
            throw new IOException("cannot encode data set: " + e.getMessage(), e);
        }
    }

    public byte[] encode(String transferSyntaxUid) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        write(out, transferSyntaxUid);
        return out.toByteArray();
    }

    /** The transfer syntax named in a Part 10 meta header read by {@link #readPart10Header}. */
    public String transferSyntaxUid() {
        Attribute a = list.get(TagFromName.TransferSyntaxUID);
        return a == null ? null : a.getSingleStringValueOrNull();
    }

    /**
     * Reads a data set (no meta header) up to, not including, the pixel data: the header a viewer
     * needs (metadata, rendering parameters) without loading pixels.
     */
    public static DicomDataset readHeader(InputStream in, String transferSyntaxUid) throws MalformedDicomException {
        AttributeList list = new AttributeList();
        list.setDecompressPixelData(false);
        try {
            list.read(new DicomInputStream(in, transferSyntaxUid, false), TagFromName.PixelData);
        } catch (IOException | DicomException | RuntimeException e) {
            throw new MalformedDicomException("cannot parse data set: " + describe(e), e);
        }
        return new DicomDataset(list);
    }

    /** The tag of a data dictionary keyword (e.g. "PatientID"), or -1 when the keyword is unknown. */
    public static int tagForKeyword(String keyword) {
        if (keyword == null || keyword.isEmpty()) {
            return -1;
        }
        AttributeTag at = DICTIONARY.getTagFromName(keyword);
        return at == null ? -1 : at.getGroup() << 16 | at.getElement();
    }

    /** The data dictionary keyword of a tag, or null when the dictionary does not know it. */
    public static String keywordOf(int tag) {
        return DICTIONARY.getNameFromTag(t(tag));
    }

    /** All values of a numeric attribute as doubles (empty when absent or not numeric). */
    public double[] getDoubles(int tag) {
        Attribute a = list.get(t(tag));
        if (a == null) {
            return new double[0];
        }
        try {
            double[] v = a.getDoubleValues();
            return v == null ? new double[0] : v;
        } catch (DicomException | RuntimeException e) {
            return new double[0];
        }
    }

    /** The toolkit's attribute list, for the encoders of this package. */
    AttributeList attributes() {
        return list;
    }

    private static AttributeTag t(int tag) {
        return new AttributeTag(tag >>> 16, tag & 0xFFFF);
    }
}
