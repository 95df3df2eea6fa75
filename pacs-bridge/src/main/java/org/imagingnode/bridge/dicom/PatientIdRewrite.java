package org.imagingnode.bridge.dicom;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Gives a data set another patient identity on its way out (import reconciliation, as IHE IRWF does): PatientID
 * and IssuerOfPatientID take the new values and the former ones move to a new OtherPatientIDsSequence item
 * (TypeOfPatientID TEXT, with the former IssuerOfPatientIDQualifiersSequence, which describes their issuer; items
 * already in that sequence are kept). Only those elements are encoded anew: every other byte, pixel data
 * included, is copied as read, in the same transfer syntax. Only the top-level elements up to
 * OtherPatientIDsSequence are held in memory. A deflated data set is inflated and deflated again (its
 * compressed bytes differ, the data set they hold does not).
 */
public final class PatientIdRewrite {
    private static final int LAST_REWRITTEN = Tag.OtherPatientIDsSequence;
    private static final int GROUP_LENGTH_0010 = 0x00100000;
    private static final int MAX_LO = 64;

    private final String patientId;
    private final String issuer;

    /**
     * @param patientId the PatientID to give (default character repertoire, at most 64 characters)
     * @param issuer    its IssuerOfPatientID; empty for none (the former issuer is then removed)
     */
    public PatientIdRewrite(String patientId, String issuer) {
        this.patientId = checked(patientId, "PatientID");
        this.issuer = checked(issuer == null ? "" : issuer, "IssuerOfPatientID");
        if (this.patientId.isEmpty()) {
            throw new IllegalArgumentException("PatientID must not be empty");
        }
    }

    private static String checked(String value, String name) {
        if (value.length() > MAX_LO || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7F && c != '\\')) {
            throw new IllegalArgumentException(name + " must be at most 64 printable ASCII characters without '\\'");
        }
        return value.strip();
    }

    public String patientId() {
        return patientId;
    }

    public String issuer() {
        return issuer;
    }

    /** Thrown before anything is written when the data set's patient elements cannot be rewritten safely. */
    public static final class NotRewritableException extends Exception {
        NotRewritableException(String message) {
            super(message);
        }
    }

    /**
     * The part of a data set that must be rewritten, read from its stream: top-level elements up to
     * OtherPatientIDsSequence, ready to be written by {@link #writeTo}.
     */
    public final class Prepared {
        private final InputStream rest;
        private final byte[] head;
        private final List<Chunk> chunks;
        private final long cut;
        private final Inflater inflater;

        /** @param inflater that of a deflated data set, null otherwise */
        private Prepared(InputStream rest, byte[] head, List<Chunk> chunks, long cut, Inflater inflater) {
            this.rest = rest;
            this.head = head;
            this.chunks = chunks;
            this.cut = cut;
            this.inflater = inflater;
        }

        /** Writes the rewritten data set (the rest of the stream copied raw). Does not close {@code out}. */
        public void writeTo(OutputStream out) throws IOException {
            if (inflater == null) {
                write(out);
                return;
            }
            Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            try {
                DeflaterOutputStream d = new DeflaterOutputStream(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        // the caller's stream stays open
                    }
                }, deflater, 65536);
                write(d);
                d.finish();
            } finally {
                deflater.end();
                inflater.end();
            }
        }

        private void write(OutputStream out) throws IOException {
            for (Chunk c : chunks) {
                if (c.bytes != null) {
                    out.write(c.bytes);
                } else {
                    out.write(head, (int) c.from, (int) (c.to - c.from));
                }
            }
            out.write(head, (int) cut, (int) (head.length - cut));
            rest.transferTo(out);
        }
    }

    /** A top-level element: bytes [from, to) of the head, or new bytes. */
    private record Chunk(int tag, long from, long to, byte[] bytes) {
    }

    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /**
     * Reads the start of a data set (no meta header) encoded in {@code transferSyntaxUid}, up to the first
     * top-level element after OtherPatientIDsSequence.
     *
     * @throws NotRewritableException when a patient element is not what it should be (e.g. an
     *                                OtherPatientIDsSequence that is not a sequence); nothing may then have been
     *                                consumed but the head of the stream: read the data set again to send it
     */
    public Prepared prepare(InputStream dataset, String transferSyntaxUid)
            throws IOException, MalformedDicomException, NotRewritableException {
        boolean deflated = TransferSyntax.isDeflated(transferSyntaxUid);
        String ts = deflated ? TransferSyntax.EXPLICIT_VR_LE : transferSyntaxUid;
        Inflater inflater = deflated ? new Inflater(true) : null;
        InputStream source = new BufferedInputStream(
                deflated ? new InflaterInputStream(dataset, inflater, 65536) : dataset, 65536);
        CapturingStream capture = new CapturingStream(source);
        List<DatasetLayout.Element> elements = new ArrayList<>();
        long[] cut = {-1};
        try {
            DatasetStructure.walk(capture, ts, new DatasetStructure.Visitor() {
                @Override
                public void element(int tag, String vr, long start, long valueOffset, long valueLength) {
                    if (Integer.compareUnsigned(tag, LAST_REWRITTEN) > 0) {
                        cut[0] = start;
                        throw new Stop();
                    }
                    elements.add(new DatasetLayout.Element(tag, vr, start, valueOffset, valueLength));
                }

                @Override
                public void pixelDataItem(long valueOffset, long length, int firstBytes) {
                    // pixel data follows the patient elements: the walk stops before it
                }
            });
        } catch (Stop s) {
            // the rest is copied as it is
        }
        byte[] head = capture.captured();
        long end = cut[0] < 0 ? head.length : cut[0];
        try {
            return new Prepared(source, head, chunks(head, elements, end, ts), end, inflater);
        } catch (NotRewritableException e) {
            if (inflater != null) {
                inflater.end();
            }
            throw e;
        }
    }

    private List<Chunk> chunks(byte[] head, List<DatasetLayout.Element> elements, long end, String ts)
            throws NotRewritableException {
        boolean explicit = !TransferSyntax.isImplicitVr(ts);
        ByteOrder order = TransferSyntax.isBigEndian(ts) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        List<Chunk> kept = new ArrayList<>();
        Chunk formerId = null;
        Chunk formerIssuer = null;
        Chunk qualifiers = null;
        byte[] items = new byte[0];
        for (int i = 0; i < elements.size(); i++) {
            DatasetLayout.Element e = elements.get(i);
            long to = i + 1 < elements.size() ? elements.get(i + 1).start() : end;
            Chunk c = new Chunk(e.tag(), e.start(), to, null);
            switch (e.tag()) {
                case Tag.PatientID -> formerId = c;
                case Tag.IssuerOfPatientID -> formerIssuer = c;
                case Tag.IssuerOfPatientIDQualifiersSequence -> qualifiers = c;
                case GROUP_LENGTH_0010 -> {
                    // retired, and wrong once the group changes
                }
                case Tag.OtherPatientIDsSequence -> {
                    if (!"SQ".equals(e.vr())) {
                        throw new NotRewritableException("OtherPatientIDsSequence encoded as " + e.vr());
                    }
                    long itemsEnd = e.valueLength() < 0 ? to - 8 : e.valueOffset() + e.valueLength();
                    items = Arrays.copyOfRange(head, (int) e.valueOffset(), (int) itemsEnd);
                }
                default -> kept.add(c);
            }
        }
        String formerIdValue = formerId == null ? "" : value(head, formerId, elements);
        String formerIssuerValue = formerIssuer == null ? "" : value(head, formerIssuer, elements);
        Encoder enc = new Encoder(explicit, order);
        kept.add(new Chunk(Tag.PatientID, 0, 0, enc.element(Tag.PatientID, "LO", text(patientId))));
        if (!issuer.isEmpty()) {
            kept.add(new Chunk(Tag.IssuerOfPatientID, 0, 0, enc.element(Tag.IssuerOfPatientID, "LO", text(issuer))));
        }
        boolean sameIdentity = formerIdValue.equals(patientId) && formerIssuerValue.equals(issuer);
        if (!formerIdValue.isEmpty() && !sameIdentity) {
            ByteArrayOutputStream item = new ByteArrayOutputStream();
            item.writeBytes(Arrays.copyOfRange(head, (int) formerId.from(), (int) formerId.to()));
            if (formerIssuer != null) {
                item.writeBytes(Arrays.copyOfRange(head, (int) formerIssuer.from(), (int) formerIssuer.to()));
            }
            item.writeBytes(enc.element(Tag.TypeOfPatientID, "CS", text("TEXT")));
            if (qualifiers != null) {
                item.writeBytes(Arrays.copyOfRange(head, (int) qualifiers.from(), (int) qualifiers.to()));
            }
            ByteArrayOutputStream sequence = new ByteArrayOutputStream();
            sequence.writeBytes(items);
            sequence.writeBytes(enc.item(item.toByteArray()));
            sequence.writeBytes(enc.header(DatasetStructure.SEQUENCE_DELIMITER, null, 0));
            kept.add(new Chunk(Tag.OtherPatientIDsSequence, 0, 0,
                    enc.undefinedLengthSequence(Tag.OtherPatientIDsSequence, sequence.toByteArray())));
        } else if (items.length > 0) {
            byte[] sequence = Arrays.copyOf(items, items.length + 8);
            System.arraycopy(enc.header(DatasetStructure.SEQUENCE_DELIMITER, null, 0), 0, sequence, items.length, 8);
            kept.add(new Chunk(Tag.OtherPatientIDsSequence, 0, 0,
                    enc.undefinedLengthSequence(Tag.OtherPatientIDsSequence, sequence)));
        }
        if (sameIdentity && qualifiers != null) {
            kept.add(qualifiers);
        }
        kept.sort((a, b) -> Integer.compareUnsigned(a.tag, b.tag));
        return kept;
    }

    /** The text value of a short string element, without padding. */
    private static String value(byte[] head, Chunk c, List<DatasetLayout.Element> elements) {
        DatasetLayout.Element e = elements.stream().filter(x -> x.start() == c.from()).findFirst().orElseThrow();
        if (e.valueLength() <= 0) {
            return "";
        }
        return new String(head, (int) e.valueOffset(), (int) e.valueLength(), StandardCharsets.ISO_8859_1)
                .replace('\0', ' ').strip();
    }

    /** Even-length value, space padded (LO, CS). */
    private static byte[] text(String s) {
        return (s.length() % 2 == 0 ? s : s + " ").getBytes(StandardCharsets.US_ASCII);
    }

    /** Element encoding in one transfer syntax. */
    private record Encoder(boolean explicit, ByteOrder order) {
        byte[] header(int tag, String vr, long length) {
            boolean longForm = !explicit || vr == null || "SQ".equals(vr);
            ByteBuffer b = ByteBuffer.allocate(explicit && vr != null ? (longForm ? 12 : 8) : 8).order(order);
            b.putShort((short) (tag >>> 16)).putShort((short) tag);
            if (explicit && vr != null) {
                b.put(vr.getBytes(StandardCharsets.US_ASCII));
                if (longForm) {
                    b.putShort((short) 0).putInt((int) length);
                } else {
                    b.putShort((short) length);
                }
            } else {
                b.putInt((int) length);
            }
            return b.array();
        }

        byte[] element(int tag, String vr, byte[] value) {
            byte[] h = header(tag, vr, value.length);
            byte[] out = Arrays.copyOf(h, h.length + value.length);
            System.arraycopy(value, 0, out, h.length, value.length);
            return out;
        }

        /** An item of defined length. */
        byte[] item(byte[] content) {
            return element(DatasetStructure.ITEM, null, content);
        }

        /** @param content items then the sequence delimiter */
        byte[] undefinedLengthSequence(int tag, byte[] content) {
            byte[] h = header(tag, "SQ", 0xFFFFFFFFL);
            byte[] out = Arrays.copyOf(h, h.length + content.length);
            System.arraycopy(content, 0, out, h.length, content.length);
            return out;
        }
    }

    /** Keeps every byte read (skipped ones included) until {@link #captured} is called. */
    private static final class CapturingStream extends FilterInputStream {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        CapturingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                kept.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                kept.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            long done = 0;
            while (done < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        byte[] captured() {
            return kept.toByteArray();
        }
    }
}
