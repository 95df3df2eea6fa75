package org.imagingnode.bridge.dicomweb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.imagingnode.bridge.dicom.DatasetLayout;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.ImageRenderer;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.web.CutOffResponses;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * WADO-RS (PS3.18 10.4): studies, series and instances as multipart/related application/dicom
 * streamed from the blob store one instance at a time; metadata in DICOM JSON with BulkDataURIs;
 * frames (uncompressed: a byte range of the stored pixel data; compressed: the stored fragments) and
 * bulk data; rendered and thumbnail images.
 *
 * <p>Transfer syntaxes: objects are kept as received. Without a transfer-syntax parameter, an
 * uncompressed object is sent in Explicit VR Little Endian and a compressed one as stored (the node
 * never decompresses); {@code transfer-syntax=*} sends everything as stored; an explicit syntax the
 * node cannot produce is a 406.
 */
@RestController
@RequestMapping("${node.dicomweb.base-path:/dicomweb}")
public class WadoRsController {
    private final StoredInstances store;
    private final AccessGuard guard;
    private final DicomWebProperties props;
    private final RemoteStudies remote;

    WadoRsController(StoredInstances store, AccessGuard guard, DicomWebProperties props,
            Optional<RemoteStudies> remote) {
        this.store = store;
        this.guard = guard;
        this.props = props;
        this.remote = remote.orElse(null);
    }

    /** One instance a request addresses: located at once when local, fetched from its source node when remote. */
    @FunctionalInterface
    private interface Item {
        InstanceLocation get() throws IOException;
    }

    /**
     * What a request addresses, once the caller's access is decided: here by the policy for a local study, by the
     * source node for a remote one ({@code remote} non-null).
     */
    private record Target(String patient, RemoteStudies.Study remote, List<Item> items) {
        String from() {
            return remote == null ? "" : " (remote study, node " + remote.sourceNode() + ")";
        }
    }

    private Target resolve(HttpServletRequest rq, String study, String series, String sop) {
        Optional<StoredInstances.StudyRef> local = store.findStudy(study);
        if (local.isPresent()) {
            StoredInstances.StudyRef ref = local.get();
            guard.check(rq, Action.RETRIEVE, ref.patientId(), ref.issuer(), study, series);
            List<Item> items = store.locate(study, series, sop).stream().<Item>map(l -> () -> l).toList();
            return new Target(ref.patientId(), null, items);
        }
        RemoteStudies.Study r = remoteStudy(rq, study);
        List<Item> items = r.instances(series, sop).stream().<Item>map(ref -> () -> r.fetch(ref)).toList();
        return new Target(r.patient(), r, items);
    }

    /** The remote study of that UID, or 404 exactly as for a study this node does not know. */
    private RemoteStudies.Study remoteStudy(HttpServletRequest rq, String study) {
        return RemoteStudies.require(remote, study, guard.caller(rq));
    }

    /** Streams the source node's answer to this very request (its path below the DICOMweb base, and its query). */
    private void proxy(HttpServletRequest rq, HttpServletResponse rs, RemoteStudies.Study r, String study, String what)
            throws IOException {
        boolean complete = false;
        try {
            r.proxy(Urls.belowBase(rq, props), String.join(", ", Collections.list(rq.getHeaders("Accept"))),
                    Urls.base(rq, props), rs);
            complete = true;
        } finally {
            guard.audit(rq, Action.RETRIEVE, r.patient(), study, complete ? "success" : "failure",
                    "WADO-RS " + what + " (remote study, node " + r.sourceNode() + ")" + (complete ? "" : ", failed"));
        }
    }

    // ---------------------------------------------------------------- instances (multipart/related application/dicom)

    @GetMapping("/studies/{study}")
    public void study(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        retrieve(rq, rs, study, null, null);
    }

    @GetMapping("/studies/{study}/series/{series}")
    public void series(@PathVariable String study, @PathVariable String series, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        retrieve(rq, rs, study, series, null);
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}")
    public void instance(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        retrieve(rq, rs, study, series, sop);
    }

    /** What the client accepts for DICOM objects. */
    private record DicomAccept(boolean singlePart, String transferSyntax) {
    }

    private static List<MediaRange> accept(HttpServletRequest rq) {
        String[] param = rq.getParameterValues("accept");
        return MediaRange.parse(param != null ? List.of(param) : Collections.list(rq.getHeaders("Accept")));
    }

    private static DicomAccept negotiateDicom(HttpServletRequest rq, boolean singleInstance) {
        for (MediaRange r : accept(rq)) {
            if (r.isWildcard() && r.subtype().equals("*")) {
                return new DicomAccept(false, null);
            }
            if (r.isMultipartRelated()) {
                String type = r.param("type");
                if (type == null || type.equals("application/dicom")) {
                    return new DicomAccept(false, r.param("transfer-syntax"));
                }
                continue;
            }
            if (singleInstance && r.type().equals("application") && r.subtype().equals("dicom")) {
                return new DicomAccept(true, r.param("transfer-syntax"));
            }
        }
        throw DicomWebException.notAcceptable("this resource is available as multipart/related; type=\"application/dicom\""
                + (singleInstance ? " or application/dicom" : ""));
    }

    /** The syntax to send an object in, or null when it cannot be produced. */
    static String targetSyntax(String stored, String requested) {
        boolean uncompressed = FrameMediaTypes.isUncompressed(stored);
        if (requested == null) {
            return uncompressed ? TransferSyntax.EXPLICIT_VR_LE : stored;
        }
        if (requested.equals("*") || requested.equals(stored)) {
            return stored;
        }
        if (uncompressed && (requested.equals(TransferSyntax.EXPLICIT_VR_LE)
                || requested.equals(TransferSyntax.IMPLICIT_VR_LE))) {
            return requested;
        }
        return null;
    }

    private void retrieve(HttpServletRequest rq, HttpServletResponse rs, String study, String series, String sop)
            throws IOException {
        DicomAccept accept = negotiateDicom(rq, sop != null);
        Target target = resolve(rq, study, series, sop);
        List<Item> instances = target.items();
        if (accept.transferSyntax() != null && !accept.transferSyntax().equals("*")) {
            // a syntax the node may not be able to produce: check them all before answering (fetches remote ones)
            for (Item item : instances) {
                InstanceLocation loc = item.get();
                sendableSyntax(loc, accept);
            }
        }
        String what = sop != null ? "instance" : series != null ? "series" : "study";
        boolean complete = false;
        int sent = 0;
        try {
            InstanceLocation first = instances.get(0).get(); // a remote source that fails now still gets a clean error
            rs.setStatus(200);
            if (accept.singlePart()) {
                InstanceLocation loc = first;
                String t = sendableSyntax(loc, accept);
                rs.setContentType("application/dicom; transfer-syntax=" + t);
                if (t.equals(loc.transferSyntaxUid())) {
                    rs.setContentLengthLong(loc.blobSize());
                    if (loc.sha256() != null && loc.sha256().length() == 64) {
                        // RFC 9530: lets a consumer node check what it caches
                        rs.setHeader("Content-Digest", "sha-256=:" + Base64.getEncoder()
                                .encodeToString(HexFormat.of().parseHex(loc.sha256())) + ":");
                    }
                }
                OutputStream out = rs.getOutputStream();
                MultipartWriter copier = new MultipartWriter(out, "unused");
                writeObject(loc, t, out, copier);
                out.flush();
            } else {
                String boundary = MultipartWriter.newBoundary();
                rs.setContentType(MultipartWriter.contentType(boundary, "application/dicom"));
                MultipartWriter mp = new MultipartWriter(rs.getOutputStream(), boundary);
                for (int k = 0; k < instances.size(); k++) {
                    InstanceLocation loc = k == 0 ? first : instances.get(k).get();
                    String t = sendableSyntax(loc, accept);
                    boolean asStored = t.equals(loc.transferSyntaxUid());
                    mp.startPart("application/dicom; transfer-syntax=" + t, asStored ? loc.blobSize() : -1, null);
                    writeObject(loc, t, mp.body(), mp);
                    mp.endPart();
                    sent++;
                }
                mp.close();
            }
            complete = true;
        } catch (IOException | RuntimeException e) {
            if (!CutOffResponses.afterCommit(rq, rs, e, "WADO-RS " + what + " retrieve of study " + study
                    + target.from() + ", " + sent + " of " + instances.size() + " instance(s) sent")) {
                throw e; // still time for an error status
            }
        } finally {
            guard.audit(rq, Action.RETRIEVE, target.patient(), study, complete ? "success" : "failure",
                    "WADO-RS " + what + " retrieve, " + instances.size() + " instance(s)" + target.from()
                            + (complete ? "" : ", interrupted"));
        }
    }

    private static String sendableSyntax(InstanceLocation loc, DicomAccept accept) {
        String t = targetSyntax(loc.transferSyntaxUid(), accept.transferSyntax());
        if (t == null) {
            throw DicomWebException.notAcceptable("instance " + loc.sopInstanceUid() + " is stored in "
                    + loc.transferSyntaxUid() + " and cannot be sent in " + accept.transferSyntax()
                    + " (the node does not transcode compressed objects); ask for transfer-syntax=*");
        }
        return t;
    }

    /** Writes one Part 10 object: the stored bytes, or the data set re-encoded in another uncompressed syntax. */
    private void writeObject(InstanceLocation loc, String target, OutputStream out, MultipartWriter copier)
            throws IOException {
        if (target.equals(loc.transferSyntaxUid())) {
            try (InputStream in = store.blobs().get(loc.blobKey())) {
                copier.copy(in);
            }
            return;
        }
        DicomDataset ds;
        try (InputStream in = new BufferedInputStream(store.openDataset(loc), 65536)) {
            ds = DicomDataset.read(in, loc.transferSyntaxUid());
        } catch (MalformedDicomException e) {
            throw new IOException("stored instance " + loc.sopInstanceUid() + " cannot be re-encoded", e);
        }
        out.write(Part10.header(loc.sopClassUid(), loc.sopInstanceUid(), target));
        ds.write(out, target);
    }

    // ---------------------------------------------------------------- metadata

    @GetMapping("/studies/{study}/metadata")
    public void studyMetadata(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs)
            throws IOException {
        metadata(rq, rs, study, null, null);
    }

    @GetMapping("/studies/{study}/series/{series}/metadata")
    public void seriesMetadata(@PathVariable String study, @PathVariable String series, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        metadata(rq, rs, study, series, null);
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/metadata")
    public void instanceMetadata(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        metadata(rq, rs, study, series, sop);
    }

    private void metadata(HttpServletRequest rq, HttpServletResponse rs, String study, String series, String sop)
            throws IOException {
        QidoController.negotiateJson(rq);
        String what = (sop != null ? "instance" : series != null ? "series" : "study") + " metadata";
        Optional<StoredInstances.StudyRef> local = store.findStudy(study);
        if (local.isEmpty()) {
            proxy(rq, rs, remoteStudy(rq, study), study, what);
            return;
        }
        StoredInstances.StudyRef ref = local.get();
        guard.check(rq, Action.RETRIEVE, ref.patientId(), ref.issuer(), study, series);
        List<InstanceLocation> instances = store.locate(study, series, sop);
        String base = Urls.base(rq, props);
        List<byte[]> parts = new ArrayList<>(instances.size());
        long total = 2;
        for (InstanceLocation loc : instances) {
            byte[] json = store.metadataJson(loc, Urls.instance(base, loc.studyInstanceUid(), loc.seriesInstanceUid(),
                    loc.sopInstanceUid()));
            parts.add(json);
            total += json.length + 1;
        }
        guard.audit(rq, Action.RETRIEVE, ref.patientId(), study, "success", "WADO-RS " + what + ", "
                + instances.size() + " instance(s)");
        rs.setStatus(200);
        rs.setContentType("application/dicom+json");
        rs.setContentLengthLong(total - (parts.isEmpty() ? 0 : 1));
        OutputStream out = rs.getOutputStream();
        out.write('[');
        for (int k = 0; k < parts.size(); k++) {
            if (k > 0) {
                out.write(',');
            }
            out.write(parts.get(k));
        }
        out.write(']');
        out.flush();
    }

    // ---------------------------------------------------------------- frames and bulk data

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/frames/{frames}")
    public void frames(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            @PathVariable String frames, HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        List<Integer> numbers = frameList(frames);
        Target target = resolve(rq, study, series, sop);
        InstanceLocation loc = target.items().get(0).get();
        StoredInstances.Layout layout = store.layout(loc);
        if (!layout.hasPixelData()) {
            throw DicomWebException.notFound("instance " + sop + " has no pixel data");
        }
        for (int n : numbers) {
            if (n > layout.frames()) {
                throw DicomWebException.notFound("frame " + n + " does not exist: the instance has " + layout.frames()
                        + " frame(s)");
            }
        }
        String partType = negotiatePixels(rq, loc.transferSyntaxUid());
        String boundary = MultipartWriter.newBoundary();
        rs.setStatus(200);
        rs.setContentType(MultipartWriter.contentType(boundary, partType.split(";")[0]));
        MultipartWriter mp = new MultipartWriter(rs.getOutputStream(), boundary);
        List<List<DatasetLayout.Fragment>> encapsulated = layout.layout().encapsulated()
                ? layout.layout().frames(layout.frames(), layout.basicOffsetTable()) : null;
        for (int n : numbers) {
            if (encapsulated != null) {
                if (n > encapsulated.size()) {
                    throw new IOException("frame " + n + " of " + sop + " not found among the stored fragments");
                }
                writeFragments(mp, loc, partType, encapsulated.get(n - 1));
            } else {
                writeUncompressedFrame(mp, loc, layout, partType, n);
            }
        }
        mp.close();
        guard.audit(rq, Action.RETRIEVE, target.patient(), study, "success",
                "WADO-RS frames " + abbreviate(frames) + " of one instance" + target.from());
    }

    private void writeFragments(MultipartWriter mp, InstanceLocation loc, String partType,
            List<DatasetLayout.Fragment> fragments) throws IOException {
        long length = 0;
        for (DatasetLayout.Fragment f : fragments) {
            length += f.length();
        }
        mp.startPart(partType, length, null);
        for (DatasetLayout.Fragment f : fragments) {
            try (InputStream in = store.openRange(loc, f.offset(), f.length())) {
                mp.copy(in);
            }
        }
        mp.endPart();
    }

    private void writeUncompressedFrame(MultipartWriter mp, InstanceLocation loc, StoredInstances.Layout layout,
            String partType, int n) throws IOException {
        DatasetLayout.Element pixels = layout.layout().element(Tag.PixelData).orElseThrow();
        long bits = (long) layout.rows() * layout.columns() * layout.samplesPerPixel() * layout.bitsAllocated();
        if (bits <= 0 || bits % 8 != 0) {
            throw DicomWebException.notAcceptable("frames of this pixel data (" + layout.bitsAllocated()
                    + " bits allocated) are not byte-aligned; retrieve the instance or its bulk data instead");
        }
        long frameSize = bits / 8;
        long offset = pixels.valueOffset() + (n - 1) * frameSize;
        if (offset + frameSize > pixels.valueOffset() + pixels.valueLength()) {
            throw new IOException("frame " + n + " lies beyond the stored pixel data of " + loc.sopInstanceUid());
        }
        boolean swap = layout.layout().isBigEndian() && layout.bitsAllocated() == 16;
        mp.startPart(partType, frameSize, null);
        try (InputStream in = store.openRange(loc, offset, frameSize)) {
            if (swap) {
                copySwapped(in, mp.body());
            } else {
                mp.copy(in);
            }
        }
        mp.endPart();
    }

    private static void copySwapped(InputStream in, OutputStream out) throws IOException {
        byte[] b = new byte[65536];
        int n;
        while ((n = in.readNBytes(b, 0, b.length)) > 0) {
            for (int k = 0; k + 1 < n; k += 2) {
                byte t = b[k];
                b[k] = b[k + 1];
                b[k + 1] = t;
            }
            out.write(b, 0, n);
        }
    }

    /**
     * The part Content-Type for pixel data stored in {@code stored}: its natural media type
     * (application/octet-stream when uncompressed, image/jpeg, image/jls, image/jp2...), with the
     * transfer syntax; 406 when the client accepts none the node can send without transcoding.
     */
    static String negotiatePixelsFor(List<MediaRange> ranges, String stored) {
        String natural = FrameMediaTypes.of(stored);
        boolean uncompressed = FrameMediaTypes.isUncompressed(stored);
        String ts = uncompressed ? TransferSyntax.EXPLICIT_VR_LE : stored;
        for (MediaRange r : ranges) {
            MediaRange part;
            if (r.isMultipartRelated()) {
                String type = r.param("type");
                if (type == null) {
                    return natural + "; transfer-syntax=" + ts;
                }
                int slash = type.indexOf('/');
                if (slash <= 0) {
                    continue;
                }
                Map<String, String> p = new HashMap<>(r.params());
                part = new MediaRange(type.substring(0, slash), type.substring(slash + 1), p, r.q());
            } else if (r.isWildcard()) {
                return natural + "; transfer-syntax=" + ts;
            } else {
                continue; // single-part pixel responses are not offered
            }
            String wantedTs = part.param("transfer-syntax");
            if (part.covers(natural) && !part.isWildcard()
                    && (wantedTs == null || wantedTs.equals("*") || wantedTs.equals(ts))) {
                return natural + "; transfer-syntax=" + ts;
            }
            if (part.isWildcard()) {
                return natural + "; transfer-syntax=" + ts;
            }
            if (part.mediaType().equals(FrameMediaTypes.OCTET_STREAM) && "*".equals(wantedTs)) {
                // "as stored, whatever it is", labelled as octet-stream with its syntax
                return FrameMediaTypes.OCTET_STREAM + "; transfer-syntax=" + ts;
            }
            if (part.mediaType().equals(FrameMediaTypes.OCTET_STREAM) && !uncompressed && stored.equals(wantedTs)) {
                return FrameMediaTypes.OCTET_STREAM + "; transfer-syntax=" + ts;
            }
        }
        throw DicomWebException.notAcceptable("the pixel data is stored as " + natural + " (transfer syntax " + stored
                + ") and the node does not transcode it; accept multipart/related; type=\"" + natural + "\"");
    }

    private static String negotiatePixels(HttpServletRequest rq, String stored) {
        return negotiatePixelsFor(accept(rq), stored);
    }

    static List<Integer> frameList(String frames) {
        List<Integer> out = new ArrayList<>();
        for (String f : frames.split(",")) {
            try {
                int n = Integer.parseInt(f.strip());
                if (n < 1) {
                    throw new NumberFormatException();
                }
                out.add(n);
            } catch (NumberFormatException e) {
                throw DicomWebException.badRequest("frame numbers are positive integers separated by commas, not '"
                        + abbreviate(frames) + "'");
            }
        }
        if (out.isEmpty() || out.size() > 10000) {
            throw DicomWebException.badRequest("between 1 and 10000 frame numbers, please");
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/bulkdata/{tag}")
    public void bulkdata(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            @PathVariable String tag, HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        if (!tag.matches("[0-9A-Fa-f]{8}")) {
            throw DicomWebException.badRequest("bulk data is addressed by an eight-digit tag, e.g. 7FE00010");
        }
        int t = (int) Long.parseLong(tag, 16);
        Target target = resolve(rq, study, series, sop);
        InstanceLocation loc = target.items().get(0).get();
        StoredInstances.Layout layout = store.layout(loc);
        DatasetLayout.Element e = layout.layout().element(t)
                .orElseThrow(() -> DicomWebException.notFound("instance " + sop + " has no attribute " + tag));
        boolean pixelData = t == Tag.PixelData;
        if (e.valueLength() < 0 && !pixelData) {
            throw DicomWebException.notFound("attribute " + tag + " is not bulk data");
        }
        String boundary = MultipartWriter.newBoundary();
        if (pixelData && layout.layout().encapsulated()) {
            String partType = negotiatePixels(rq, loc.transferSyntaxUid());
            rs.setStatus(200);
            rs.setContentType(MultipartWriter.contentType(boundary, partType.split(";")[0]));
            MultipartWriter mp = new MultipartWriter(rs.getOutputStream(), boundary);
            for (List<DatasetLayout.Fragment> frame : layout.layout().frames(layout.frames(), layout.basicOffsetTable())) {
                writeFragments(mp, loc, partType, frame);
            }
            mp.close();
        } else {
            boolean octetOk = false;
            for (MediaRange r : accept(rq)) {
                String type = r.isMultipartRelated() ? r.param("type") : null;
                if (r.isWildcard() || (r.isMultipartRelated() && (type == null
                        || type.equals(FrameMediaTypes.OCTET_STREAM) || type.equals("*/*")))) {
                    octetOk = true;
                    break;
                }
            }
            if (!octetOk) {
                throw DicomWebException.notAcceptable("bulk data is available as multipart/related;"
                        + " type=\"application/octet-stream\"");
            }
            boolean swap = layout.layout().isBigEndian() && (e.vr().equals("OW") || e.vr().equals("US")
                    || (pixelData && layout.bitsAllocated() == 16));
            rs.setStatus(200);
            rs.setContentType(MultipartWriter.contentType(boundary, FrameMediaTypes.OCTET_STREAM));
            MultipartWriter mp = new MultipartWriter(rs.getOutputStream(), boundary);
            mp.startPart(FrameMediaTypes.OCTET_STREAM, e.valueLength(), null);
            try (InputStream in = store.openRange(loc, e.valueOffset(), e.valueLength())) {
                if (swap) {
                    copySwapped(in, mp.body());
                } else {
                    mp.copy(in);
                }
            }
            mp.endPart();
            mp.close();
        }
        guard.audit(rq, Action.RETRIEVE, target.patient(), study, "success", "WADO-RS bulk data " + tag + target.from());
    }

    // ---------------------------------------------------------------- rendered and thumbnails

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/rendered")
    public void renderedInstance(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        render(rq, rs, study, series, sop, 1, false);
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/frames/{frame}/rendered")
    public void renderedFrame(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            @PathVariable String frame, HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        List<Integer> n = frameList(frame);
        if (n.size() != 1) {
            throw DicomWebException.badRequest("one frame at a time is rendered");
        }
        render(rq, rs, study, series, sop, n.get(0), false);
    }

    @GetMapping("/studies/{study}/thumbnail")
    public void studyThumbnail(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs)
            throws IOException {
        render(rq, rs, study, null, null, 1, true);
    }

    @GetMapping("/studies/{study}/series/{series}/thumbnail")
    public void seriesThumbnail(@PathVariable String study, @PathVariable String series, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        render(rq, rs, study, series, null, 1, true);
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/thumbnail")
    public void instanceThumbnail(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        render(rq, rs, study, series, sop, 1, true);
    }

    @GetMapping("/studies/{study}/series/{series}/instances/{sop}/frames/{frame}/thumbnail")
    public void frameThumbnail(@PathVariable String study, @PathVariable String series, @PathVariable String sop,
            @PathVariable String frame, HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        List<Integer> n = frameList(frame);
        if (n.size() != 1) {
            throw DicomWebException.badRequest("one frame at a time is rendered");
        }
        render(rq, rs, study, series, sop, n.get(0), true);
    }

    /** image/jpeg (default) or image/png, from the Accept header or the accept parameter. */
    static ImageRenderer.Format negotiateImage(List<MediaRange> ranges) {
        for (MediaRange r : ranges) {
            if (r.covers("image/jpeg")) {
                return ImageRenderer.Format.JPEG;
            }
            if (r.covers("image/png")) {
                return ImageRenderer.Format.PNG;
            }
        }
        throw DicomWebException.notAcceptable("rendered images are available as image/jpeg or image/png");
    }

    private void render(HttpServletRequest rq, HttpServletResponse rs, String study, String series, String sop,
            int frame, boolean thumbnail) throws IOException {
        ImageRenderer.Format format = negotiateImage(accept(rq));
        Optional<StoredInstances.StudyRef> local = store.findStudy(study);
        if (local.isEmpty()) { // the source renders its own images: nothing to fetch whole for a picture
            proxy(rq, rs, remoteStudy(rq, study), study, thumbnail ? "thumbnail" : "rendered");
            return;
        }
        StoredInstances.StudyRef ref = local.get();
        guard.check(rq, Action.RETRIEVE, ref.patientId(), ref.issuer(), study, series);
        List<InstanceLocation> all = store.locate(study, series, sop);
        InstanceLocation loc;
        if (sop != null) {
            loc = all.get(0);
        } else {
            // a representative image: the middle instance of the first series
            String firstSeries = all.get(0).seriesInstanceUid();
            List<InstanceLocation> inSeries = all.stream().filter(l -> l.seriesInstanceUid().equals(firstSeries)).toList();
            loc = inSeries.get(inSeries.size() / 2);
        }
        int[] viewport = viewport(rq.getParameter("viewport"), thumbnail);
        double[] window = window(rq.getParameter("window"));
        int quality = quality(rq.getParameter("quality"));
        ImageRenderer.Options options = new ImageRenderer.Options(frame, viewport[0], viewport[1],
                window == null ? null : window[0], window == null ? null : window[1], format, quality);
        ByteArrayOutputStream image = new ByteArrayOutputStream(64 * 1024);
        try (InputStream in = new BufferedInputStream(store.openDataset(loc), 65536)) {
            ImageRenderer.render(in, loc.transferSyntaxUid(), options, image);
        } catch (MalformedDicomException e) {
            throw new IOException("stored instance " + loc.sopInstanceUid() + " cannot be parsed", e);
        } catch (ImageRenderer.NotRenderableException e) {
            throw e.getMessage().startsWith("frame ") ? DicomWebException.notFound(e.getMessage())
                    : DicomWebException.notAcceptable(e.getMessage());
        }
        guard.audit(rq, Action.RETRIEVE, ref.patientId(), study, "success",
                "WADO-RS " + (thumbnail ? "thumbnail" : "rendered") + " of one image");
        rs.setStatus(200);
        rs.setContentType(format.mediaType);
        rs.setContentLength(image.size());
        image.writeTo(rs.getOutputStream());
    }

    static int[] viewport(String value, boolean thumbnail) {
        int dflt = thumbnail ? 128 : 0;
        if (value == null || value.isBlank()) {
            return new int[] {dflt, dflt};
        }
        String[] p = value.split(",");
        try {
            int w = p.length > 0 && !p[0].isBlank() ? Integer.parseInt(p[0].strip()) : 0;
            int h = p.length > 1 && !p[1].isBlank() ? Integer.parseInt(p[1].strip()) : 0;
            if (w < 0 || h < 0 || w > 8192 || h > 8192) {
                throw new NumberFormatException();
            }
            return new int[] {w, h};
        } catch (NumberFormatException e) {
            throw DicomWebException.badRequest("viewport must be width,height in pixels (at most 8192)");
        }
    }

    static double[] window(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String[] p = value.split(",");
        try {
            double c = Double.parseDouble(p[0].strip());
            double w = Double.parseDouble(p[1].strip());
            if (p.length > 2 && !p[2].strip().toLowerCase(Locale.ROOT).equals("linear")) {
                throw DicomWebException.badRequest("only the linear window function is supported");
            }
            if (w < 1) {
                throw new NumberFormatException();
            }
            return new double[] {c, w};
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw DicomWebException.badRequest("window must be center,width[,linear] with width >= 1");
        }
    }

    static int quality(String value) {
        if (value == null || value.isBlank()) {
            return 90;
        }
        try {
            int q = Integer.parseInt(value.strip());
            if (q < 1 || q > 100) {
                throw new NumberFormatException();
            }
            return q;
        } catch (NumberFormatException e) {
            throw DicomWebException.badRequest("quality must be an integer from 1 to 100");
        }
    }
}
