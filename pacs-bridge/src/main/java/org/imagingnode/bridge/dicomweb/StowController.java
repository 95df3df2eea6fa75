package org.imagingnode.bridge.dicomweb;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.FileMeta;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.dimse.SpoolArea;
import org.imagingnode.bridge.ingest.IngestRequest;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.ingest.IngestService;
import org.imagingnode.bridge.ingest.IngestSource;
import org.imagingnode.bridge.multipart.MalformedMultipartException;
import org.imagingnode.bridge.multipart.MultipartReader;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * STOW-RS (PS3.18 10.5): {@code POST /studies[/{study}]} with a multipart/related body of
 * application/dicom parts. The body is parsed as a stream ({@link MultipartReader}); each part's data
 * set is spooled behind the node's own normalised Part 10 header (so the same data set gives the same
 * stored bytes whatever the channel) and goes through the same ingest pipeline and durability
 * contract as a C-STORE. The answer lists the stored
 * instances (ReferencedSOPSequence) and the failed ones with a reason (FailedSOPSequence): 200 when
 * all were stored, 202 when some failed, 409 when none was stored, 503 (with Retry-After) when none
 * was stored only because the database or the blob store is unavailable.
 */
@RestController
@RequestMapping("${node.dicomweb.base-path:/dicomweb}")
public class StowController {
    private static final Logger log = LoggerFactory.getLogger(StowController.class);
    private static final JsonFactory JSON = new JsonFactory();
    /**
     * Parts of one request being made durable and indexed while the next ones are received: the
     * fsyncs and commits of several instances overlap instead of adding up.
     */
    private static final int PARTS_IN_FLIGHT = 4;

    /** PS3.18 / PS3.4 failure reasons. */
    static final int PROCESSING_FAILURE = 0x0110;
    static final int NOT_AUTHORIZED = 0x0124;
    static final int OUT_OF_RESOURCES = 0xA700;
    /** The instance was rejected (IHE IOCM rejection note) and stays rejected: same status as C-STORE's. */
    static final int PREVIOUSLY_REJECTED = 0xA771;
    static final int DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
    static final int CANNOT_UNDERSTAND = 0xC000;
    static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;
    static final int STUDY_UID_MISMATCH = 0xC409;
    /** Retry-After of a STOW-RS refused only because the database or the blob store is unavailable. */
    static final long RETRY_AFTER_SECONDS = 5;
    /** Headers of one part (Content-Type, Content-Location, Content-ID...): a few hundred bytes in practice. */
    static final int PART_HEADERS_MAX_BYTES = 8192;
    /** Header fields of one part: a handful in practice. */
    static final int PART_HEADERS_MAX_COUNT = 32;

    private final IngestService ingest;
    private final SpoolArea spool;
    private final AccessGuard guard;
    private final DicomWebProperties props;

    StowController(IngestService ingest, SpoolArea spool, AccessGuard guard, DicomWebProperties props) {
        this.ingest = ingest;
        this.spool = spool;
        this.guard = guard;
        this.props = props;
    }

    private record Outcome(String sopClass, String sopInstance, String studyUid, String patientId, Integer failure,
            String message) {
        boolean stored() {
            return failure == null;
        }
    }

    @PostMapping("/studies")
    public void store(HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        stow(rq, rs, null);
    }

    @PostMapping("/studies/{study}")
    public void storeInStudy(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs)
            throws IOException {
        stow(rq, rs, StoredInstances.requireUid(study, "StudyInstanceUID"));
    }

    private void stow(HttpServletRequest rq, HttpServletResponse rs, String targetStudy) throws IOException {
        QidoController.negotiateJson(rq);
        byte[] boundary = boundaryOf(rq.getContentType());
        Caller caller = guard.caller(rq);
        String channel = guard.channel(rq);
        List<CompletableFuture<Outcome>> parts = new ArrayList<>();
        List<Outcome> outcomes = new ArrayList<>();
        try {
            MultipartReader body = new MultipartReader(rq.getInputStream(), boundary, PART_HEADERS_MAX_BYTES,
                    PART_HEADERS_MAX_COUNT);
            for (MultipartReader.Part part = body.next(); part != null; part = body.next()) {
                parts.add(storePart(part.body(), part.headers(), targetStudy, caller, channel));
                while (parts.size() - outcomes.size() >= PARTS_IN_FLIGHT) {
                    outcomes.add(parts.get(outcomes.size()).join());
                }
            }
        } catch (MalformedMultipartException e) { // no delimiter, truncated body, part headers over the limits
            log.debug("malformed STOW-RS body: {}", e.toString());
            if (parts.isEmpty()) {
                throw DicomWebException.badRequest("malformed multipart body: " + e.getMessage());
            }
            parts.add(CompletableFuture.completedFuture(new Outcome(null, null, null, null, CANNOT_UNDERSTAND,
                    "malformed multipart body after " + parts.size() + " part(s)")));
        } finally {
            // whatever happens to the request, the parts handed to ingest finish before it ends
            CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        }
        for (int i = outcomes.size(); i < parts.size(); i++) {
            outcomes.add(parts.get(i).join());
        }
        if (outcomes.isEmpty()) {
            throw DicomWebException.badRequest("the request holds no application/dicom part");
        }
        audit(caller, channel, outcomes);
        long failed = outcomes.stream().filter(o -> !o.stored()).count();
        int status = failed == 0 ? 200 : failed < outcomes.size() ? 202
                : outcomes.stream().allMatch(o -> o.failure() == OUT_OF_RESOURCES) ? 503 : 409;
        if (status == 503) {
            // nothing stored, only because storage or index is down for now: the client should send again
            rs.setHeader("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
        }
        respond(rq, rs, status, outcomes, targetStudy);
    }

    /**
     * Receives one part into the spool and hands it to ingest; the outcome completes once the
     * instance is durable and indexed (or refused).
     */
    private CompletableFuture<Outcome> storePart(InputStream part, Map<String, String> headers, String targetStudy,
            Caller caller, String channel) throws IOException {
        String contentType = headers.getOrDefault("content-type", "application/dicom").toLowerCase(Locale.ROOT);
        if (!contentType.startsWith("application/dicom") || contentType.startsWith("application/dicom+")) {
            part.transferTo(OutputStream.nullOutputStream());
            return refused(null, null, null, null, CANNOT_UNDERSTAND,
                    "part of type " + contentType + " is not supported (application/dicom only)");
        }
        FileMeta meta;
        FileMeta.Reader reader;
        try {
            reader = FileMeta.read(part);
            meta = reader.meta();
        } catch (MalformedDicomException e) {
            part.transferTo(OutputStream.nullOutputStream());
            return refused(null, null, null, null, CANNOT_UNDERSTAND, e.getMessage());
        }
        String sopClass = meta.sopClassUid();
        String sop = meta.sopInstanceUid();
        if (!Uids.isValid(sopClass) || !Uids.isValid(sop)) {
            part.transferTo(OutputStream.nullOutputStream());
            return refused(sopClass, sop, null, null, CANNOT_UNDERSTAND,
                    "File Meta Information lacks a valid Media Storage SOP Class/Instance UID");
        }
        if (!TransferSyntax.isAcceptedForStorage(meta.transferSyntaxUid())) {
            part.transferTo(OutputStream.nullOutputStream());
            return refused(sopClass, sop, null, null, TRANSFER_SYNTAX_NOT_SUPPORTED,
                    "transfer syntax " + meta.transferSyntaxUid() + " is not accepted");
        }
        // the index look-up for idempotency runs while the data set is received
        var lookAhead = ingest.lookAhead(sop);
        Path file = spool.newFile();
        MessageDigest sha = sha256();
        byte[] header = Part10.header(sopClass, sop, meta.transferSyntaxUid());
        try (OutputStream out = new DigestOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024), sha)) {
            out.write(header);
            reader.dataset().transferTo(out);
        } catch (IOException | RuntimeException e) {
            lookAhead.cancel(false);
            Files.deleteIfExists(file);
            throw e;
        }
        String studyUid;
        String patientId;
        String issuer;
        try {
            DicomDataset ds = DicomDataset.readPart10Header(file);
            studyUid = ds.getString(Tag.StudyInstanceUID);
            patientId = ds.getString(Tag.PatientID);
            issuer = ds.getString(Tag.IssuerOfPatientID);
        } catch (MalformedDicomException e) {
            lookAhead.cancel(false);
            Files.deleteIfExists(file);
            return refused(sopClass, sop, null, null, CANNOT_UNDERSTAND, e.getMessage());
        }
        if (targetStudy != null && !targetStudy.equals(studyUid)) {
            lookAhead.cancel(false);
            Files.deleteIfExists(file);
            return refused(sopClass, sop, studyUid, patientId, STUDY_UID_MISMATCH,
                    "the instance belongs to another study than the one addressed");
        }
        if (!guard.permits(caller, channel, Action.STORE, patientId, issuer, studyUid)) {
            lookAhead.cancel(false);
            Files.deleteIfExists(file);
            return refused(sopClass, sop, studyUid, patientId, NOT_AUTHORIZED, "not authorised to store here");
        }
        String sha256 = HexFormat.of().formatHex(sha.digest());
        return ingest.ingestAsync(new IngestRequest(file, sha256, header.length, meta.transferSyntaxUid(), sopClass, sop,
                new IngestSource(caller.id(), "STOW-RS", caller.address())), lookAhead)
                .thenApply(r -> outcomeOf(r, sopClass, sop, studyUid, patientId))
                .exceptionally(e -> {
                    log.error("ingest of STOW-RS instance {} failed", sop, e);
                    return new Outcome(sopClass, sop, studyUid, patientId, PROCESSING_FAILURE, "internal error");
                });
    }

    private static Outcome outcomeOf(IngestResult r, String sopClass, String sop, String studyUid, String patientId) {
        if (r.success()) {
            return new Outcome(sopClass, sop, r.studyInstanceUid(), r.patientId(), null, null);
        }
        int reason = switch (r.outcome()) {
            case MALFORMED -> CANNOT_UNDERSTAND;
            case INVALID -> DATA_SET_DOES_NOT_MATCH_SOP_CLASS;
            case PREVIOUSLY_REJECTED -> PREVIOUSLY_REJECTED;
            default -> OUT_OF_RESOURCES;
        };
        return new Outcome(sopClass, sop, studyUid, patientId, reason, r.message());
    }

    private static CompletableFuture<Outcome> refused(String sopClass, String sop, String studyUid, String patientId,
            int failure, String message) {
        return CompletableFuture.completedFuture(new Outcome(sopClass, sop, studyUid, patientId, failure, message));
    }

    private void audit(Caller caller, String channel, List<Outcome> outcomes) {
        Map<String, int[]> byStudy = new LinkedHashMap<>();
        Map<String, String> patients = new LinkedHashMap<>();
        for (Outcome o : outcomes) {
            int[] counts = byStudy.computeIfAbsent(o.studyUid() == null ? "" : o.studyUid(), k -> new int[2]);
            counts[o.stored() ? 0 : 1]++;
            if (o.patientId() != null) {
                patients.putIfAbsent(o.studyUid() == null ? "" : o.studyUid(), o.patientId());
            }
        }
        for (Map.Entry<String, int[]> e : byStudy.entrySet()) {
            int stored = e.getValue()[0];
            int failed = e.getValue()[1];
            guard.audit(caller, channel, Action.STORE, patients.get(e.getKey()), e.getKey().isEmpty() ? null : e.getKey(),
                    failed == 0 ? "success" : "failure", "STOW-RS: " + stored + " stored, " + failed + " failed");
        }
        if (outcomes.stream().anyMatch(o -> !o.stored())) {
            log.info("STOW-RS from {}: {} of {} instance(s) failed, first: {}", caller.address(),
                    outcomes.stream().filter(o -> !o.stored()).count(), outcomes.size(),
                    outcomes.stream().filter(o -> !o.stored()).findFirst().map(Outcome::message).orElse(""));
        }
    }

    private void respond(HttpServletRequest rq, HttpServletResponse rs, int status, List<Outcome> outcomes,
            String targetStudy) throws IOException {
        String base = Urls.base(rq, props);
        String study = targetStudy;
        if (study == null) {
            List<String> studies = outcomes.stream().filter(Outcome::stored).map(Outcome::studyUid).distinct().toList();
            study = studies.size() == 1 ? studies.get(0) : null;
        }
        rs.setStatus(status);
        rs.setContentType("application/dicom+json");
        try (OutputStream out = rs.getOutputStream(); JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            if (study != null) {
                string(json, "00081190", "UR", Urls.study(base, study));
            }
            List<Outcome> failed = outcomes.stream().filter(o -> !o.stored()).toList();
            List<Outcome> stored = outcomes.stream().filter(Outcome::stored).toList();
            if (!failed.isEmpty()) {
                json.writeObjectFieldStart("00081198");
                json.writeStringField("vr", "SQ");
                json.writeArrayFieldStart("Value");
                for (Outcome o : failed) {
                    json.writeStartObject();
                    string(json, "00081150", "UI", o.sopClass());
                    string(json, "00081155", "UI", o.sopInstance());
                    json.writeObjectFieldStart("00081197");
                    json.writeStringField("vr", "US");
                    json.writeArrayFieldStart("Value");
                    json.writeNumber(o.failure());
                    json.writeEndArray();
                    json.writeEndObject();
                    if (o.message() != null) {
                        // Error Comment: the reason in words, for people reading the response
                        string(json, "00000902", "LO", o.message().length() > 64 ? o.message().substring(0, 64)
                                : o.message());
                    }
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            if (!stored.isEmpty()) {
                json.writeObjectFieldStart("00081199");
                json.writeStringField("vr", "SQ");
                json.writeArrayFieldStart("Value");
                for (Outcome o : stored) {
                    json.writeStartObject();
                    string(json, "00081150", "UI", o.sopClass());
                    string(json, "00081155", "UI", o.sopInstance());
                    string(json, "00081190", "UR", o.studyUid() == null ? null
                            : base + "/studies/" + o.studyUid() + "/instances/" + o.sopInstance());
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndObject();
        }
    }

    private static void string(JsonGenerator json, String tag, String vr, String value) throws IOException {
        json.writeObjectFieldStart(tag);
        json.writeStringField("vr", vr);
        if (value != null) {
            json.writeArrayFieldStart("Value");
            json.writeString(value);
            json.writeEndArray();
        }
        json.writeEndObject();
    }

    /** The boundary of a multipart/related request whose parts are application/dicom; 415 otherwise. */
    static byte[] boundaryOf(String contentType) {
        if (contentType == null) {
            throw new DicomWebException(415, "STOW-RS needs Content-Type: multipart/related; type=\"application/dicom\"");
        }
        List<MediaRange> ranges = MediaRange.parse(List.of(contentType));
        MediaRange ct = ranges.get(0);
        if (!ct.type().equals("multipart") || !ct.subtype().equals("related")) {
            throw new DicomWebException(415, "STOW-RS needs Content-Type: multipart/related; type=\"application/dicom\","
                    + " not " + ct.mediaType());
        }
        String type = ct.param("type");
        if (type != null && !type.equals("application/dicom")) {
            throw new DicomWebException(415, "only application/dicom parts are supported (type=\"" + type + "\")");
        }
        String boundary = ct.param("boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 200) {
            throw DicomWebException.badRequest("multipart/related without a boundary");
        }
        return boundary.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }
}
