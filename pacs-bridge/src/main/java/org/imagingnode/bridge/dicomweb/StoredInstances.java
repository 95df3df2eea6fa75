package org.imagingnode.bridge.dicomweb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.imagingnode.bridge.dicom.DatasetLayout;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.DicomJson;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.storage.BlobStore;
import org.springframework.stereotype.Component;

/**
 * The stored side of WADO: resolves UIDs to index entries and blobs, and knows each stored object's
 * layout (where its pixel data and frames are) and its metadata in DICOM JSON. Layouts and encoded
 * metadata are cached in memory by blob key; a blob key names immutable content, so they never go stale.
 */
@Component
class StoredInstances {
    /** Binary values at least this long go out as BulkDataURI in metadata; shorter ones inline. */
    static final int BULK_THRESHOLD = 1024;
    private static final JsonFactory JSON = new JsonFactory();

    /** A study as the index knows it: whose it is. */
    record StudyRef(String studyUid, String patientId, String issuer) {
    }

    /**
     * What serving frames and bulk data of one object needs.
     *
     * @param datasetLength bytes of the data set in the blob
     */
    record Layout(DatasetLayout layout, String transferSyntaxUid, int rows, int columns, int bitsAllocated,
            int samplesPerPixel, int frames, long datasetLength, long[] basicOffsetTable) {
        boolean hasPixelData() {
            return layout.element(Tag.PixelData).isPresent();
        }

        long weight() {
            return 256 + layout.elements().size() * 48L + layout.fragments().size() * 40L
                    + basicOffsetTable.length * 8L;
        }
    }

    private final InstanceIndex index;
    private final BlobStore blobs;
    private final WeightedLruCache<String, Layout> layouts = new WeightedLruCache<>(32L << 20, Layout::weight);
    private final WeightedLruCache<String, byte[]> metadata;

    StoredInstances(InstanceIndex index, BlobStore blobs, DicomWebProperties props) {
        this.index = index;
        this.blobs = blobs;
        this.metadata = new WeightedLruCache<>((long) props.metadataCacheMb() << 20, b -> b.length + 64L);
    }

    BlobStore blobs() {
        return blobs;
    }

    static String requireUid(String uid, String what) {
        if (!Uids.isValid(uid)) {
            throw DicomWebException.badRequest("invalid " + what + " '" + abbreviate(uid) + "'");
        }
        return uid;
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 70 ? s.substring(0, 70) + "..." : s;
    }

    /** The study, or 404. */
    StudyRef study(String studyUid) {
        return findStudy(studyUid).orElseThrow(() -> DicomWebException.notFound("no study " + studyUid));
    }

    /**
     * The study if this node holds anything of it (400 for a malformed UID): asked at the series level, which also
     * finds a study left with nothing but rejection notes (no longer listed, its notes still reachable by its UID).
     */
    Optional<StudyRef> findStudy(String studyUid) {
        requireUid(studyUid, "StudyInstanceUID");
        List<IndexRow> rows = index.find(new IndexQuery(QueryLevel.SERIES,
                List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid)),
                Set.of(IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID), 1, 0));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        IndexRow r = rows.get(0);
        return Optional.of(new StudyRef(studyUid, (String) r.get(IndexAttribute.PatientID),
                (String) r.get(IndexAttribute.IssuerOfPatientID)));
    }

    /** The instances of a study, series or instance (series and sop may be null), in retrieve order; 404 when none. */
    List<InstanceLocation> locate(String studyUid, String seriesUid, String sopUid) {
        List<Condition> conditions = new ArrayList<>();
        conditions.add(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, requireUid(studyUid, "StudyInstanceUID")));
        if (seriesUid != null) {
            conditions.add(new Condition.SingleValue(IndexAttribute.SeriesInstanceUID,
                    requireUid(seriesUid, "SeriesInstanceUID")));
        }
        if (sopUid != null) {
            conditions.add(new Condition.SingleValue(IndexAttribute.SOPInstanceUID, requireUid(sopUid, "SOPInstanceUID")));
        }
        List<InstanceLocation> found = index.locate(conditions);
        if (found.isEmpty()) {
            throw DicomWebException.notFound(sopUid != null ? "no instance " + sopUid + " in that series and study"
                    : seriesUid != null ? "no series " + seriesUid + " in study " + studyUid : "no instances in study " + studyUid);
        }
        return found;
    }

    InstanceLocation instance(String studyUid, String seriesUid, String sopUid) {
        return locate(studyUid, seriesUid, sopUid).get(0);
    }

    /** Opens the data set of a stored object (after its Part 10 header). */
    InputStream openDataset(InstanceLocation loc) throws IOException {
        return blobs.get(loc.blobKey(), loc.datasetOffset(), loc.blobSize() - loc.datasetOffset());
    }

    /** Opens a byte range of the data set. */
    InputStream openRange(InstanceLocation loc, long offsetInDataset, long length) throws IOException {
        return blobs.get(loc.blobKey(), loc.datasetOffset() + offsetInDataset, length);
    }

    Layout layout(InstanceLocation loc) throws IOException {
        Layout cached = layouts.get(loc.blobKey());
        if (cached != null) {
            return cached;
        }
        if (TransferSyntax.isDeflated(loc.transferSyntaxUid())) {
            throw new DicomWebException(406, "the object is stored deflated; frames and bulk data cannot be served from it");
        }
        long datasetLength = loc.blobSize() - loc.datasetOffset();
        DatasetLayout layout;
        try (InputStream in = new BufferedInputStream(openDataset(loc), 16384)) {
            layout = DatasetLayout.scan(in, loc.transferSyntaxUid());
        } catch (MalformedDicomException e) {
            throw new IOException("stored object " + loc.sopInstanceUid() + " cannot be laid out: " + e.getMessage(), e);
        }
        DicomDataset header = header(loc, layout, datasetLength);
        long[] bot = new long[0];
        if (layout.encapsulated()) {
            var table = layout.basicOffsetTable();
            if (table.isPresent() && table.get().length() >= 4) {
                byte[] b;
                try (InputStream in = openRange(loc, table.get().offset(), table.get().length())) {
                    b = in.readAllBytes();
                }
                bot = new long[b.length / 4];
                for (int k = 0; k < bot.length; k++) {
                    bot[k] = (b[4 * k] & 0xFFL) | (b[4 * k + 1] & 0xFFL) << 8 | (b[4 * k + 2] & 0xFFL) << 16
                            | (b[4 * k + 3] & 0xFFL) << 24;
                }
            }
        }
        Layout l = new Layout(layout, loc.transferSyntaxUid(), intOr(header, Tag.Rows, 0), intOr(header, Tag.Columns, 0),
                intOr(header, Tag.BitsAllocated, 0), intOr(header, 0x00280002, 1),
                Math.max(1, intOr(header, Tag.NumberOfFrames, 1)), datasetLength, bot);
        layouts.put(loc.blobKey(), l);
        return l;
    }

    private static int intOr(DicomDataset ds, int tag, int dflt) {
        Integer v = ds.getInt(tag);
        return v == null ? dflt : v;
    }

    /** The data set up to its pixel data, parsed. */
    DicomDataset header(InstanceLocation loc) throws IOException {
        if (TransferSyntax.isDeflated(loc.transferSyntaxUid())) {
            try (InputStream in = new BufferedInputStream(openDataset(loc), 65536)) {
                return DicomDataset.readHeader(in, loc.transferSyntaxUid());
            } catch (MalformedDicomException e) {
                throw new IOException("stored object " + loc.sopInstanceUid() + " cannot be parsed", e);
            }
        }
        Layout l = layout(loc);
        return header(loc, l.layout(), l.datasetLength());
    }

    private DicomDataset header(InstanceLocation loc, DatasetLayout layout, long datasetLength) throws IOException {
        long end = layout.headerEnd(datasetLength);
        try (InputStream in = new BufferedInputStream(openRange(loc, 0, end), 16384)) {
            return DicomDataset.readHeader(in, loc.transferSyntaxUid());
        } catch (MalformedDicomException e) {
            throw new IOException("stored object " + loc.sopInstanceUid() + " cannot be parsed: " + e.getMessage(), e);
        }
    }

    /** The instance's metadata as one DICOM JSON object, BulkDataURIs under {@code instanceUrl}. */
    byte[] metadataJson(InstanceLocation loc, String instanceUrl) throws IOException {
        String key = instanceUrl + '|' + loc.blobKey();
        byte[] cached = metadata.get(key);
        if (cached != null) {
            return cached;
        }
        DicomDataset header;
        List<DicomJson.TrailingBulkData> trailing = new ArrayList<>();
        Layout l = null;
        if (TransferSyntax.isDeflated(loc.transferSyntaxUid())) {
            header = header(loc);
        } else {
            Layout lay = layout(loc);
            l = lay;
            header = header(loc, lay.layout(), lay.datasetLength());
            lay.layout().element(Tag.PixelData).ifPresent(e -> trailing.add(new DicomJson.TrailingBulkData(Tag.PixelData,
                    e.vr().equals("OW") || e.vr().equals("OB") ? e.vr() : (lay.bitsAllocated() > 8 ? "OW" : "OB"),
                    instanceUrl + "/bulkdata/7FE00010")));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            boolean addressable = l != null;
            DicomJson.write(header, json, (tag, length) -> addressable && length >= BULK_THRESHOLD
                    && length != 0xFFFFFFFFL ? instanceUrl + "/bulkdata/" + DicomJson.key(tag) : null, trailing);
        }
        byte[] bytes = out.toByteArray();
        metadata.put(key, bytes);
        return bytes;
    }

}
