package org.imagingnode.bridge.ingest;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.DatasetStructure;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.IndexedInstance;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.index.PreviouslyRejectedException;
import org.imagingnode.bridge.index.Rejection;
import org.imagingnode.bridge.space.IdentityLinker;
import org.imagingnode.storage.BlobStore;
import org.imagingnode.storage.StoredBlob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;

/**
 * The one ingest pipeline behind every receiving edge (C-STORE, STOW-RS): verify the object is
 * complete, validate its identifying attributes, write it durably to the blob store, then index it
 * in one transaction. Success is reported only after both; the blob is written first, so a crash
 * can leave an unindexed blob (reconciled later) but never an indexed instance without bytes.
 */
@Service
public class IngestService {
    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
    private static final String UNINDEXABLE = "a value cannot be indexed (e.g. a NUL character in a text)";

    private final BlobStore blobs;
    private final InstanceIndex index;
    private final AuditLog audit;
    /** Links each object's patient to the national identity it names (null: no patient space). */
    private volatile IdentityLinker identities;
    /** Looks up index rows in parallel with the reception of the objects they concern. */
    private final ExecutorService lookups = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "ingest-lookup");
        t.setDaemon(true);
        return t;
    });

    /**
     * Writes blobs while the index rows of the same objects are written; as many at once as objects are being
     * ingested (each waits for its own), so it needs no bound of its own.
     */
    private final ExecutorService blobWriters = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ingest-blob-writer");
        t.setDaemon(true);
        return t;
    });

    /** Ingests objects while their channel receives the next ones (STOW-RS parts of one request). */
    private final ExecutorService workers = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "ingest-worker");
        t.setDaemon(true);
        return t;
    });

    private final MeterRegistry meters;
    private final AtomicInteger inProgress;
    private final ApplicationEventPublisher events;

    public IngestService(BlobStore blobs, InstanceIndex index, AuditLog audit, MeterRegistry meters,
            ApplicationEventPublisher events) {
        this.blobs = blobs;
        this.index = index;
        this.audit = audit;
        this.meters = meters;
        this.events = events;
        this.inProgress = meters.gauge("ingest.in.progress", new AtomicInteger());
    }

    /** Turns on identity linking: each object's patient is linked to the national identity its data set names. */
    @Autowired(required = false)
    public void setIdentityLinker(IdentityLinker identities) {
        this.identities = identities;
    }

    @PreDestroy
    void stop() {
        lookups.shutdownNow();
        // objects being ingested finish: their senders may already count on them
        workers.shutdown();
        blobWriters.shutdown();
    }

    /**
     * Starts looking up an instance the transport has announced (the C-STORE command names it
     * before its data set arrives), so that the idempotency check costs no time after reception.
     */
    public CompletableFuture<Optional<InstanceLocation>> lookAhead(String sopInstanceUid) {
        return CompletableFuture.supplyAsync(withLogContext(() -> index.findInstance(sopInstanceUid)), lookups);
    }

    public IngestResult ingest(IngestRequest request) {
        return ingest(request, null);
    }

    /**
     * {@link #ingest(IngestRequest, CompletableFuture)} on one of the pipeline's workers, so that the
     * channel can receive its next object while this one is made durable and indexed. The caller
     * bounds how many it has in flight.
     */
    public CompletableFuture<IngestResult> ingestAsync(IngestRequest request,
            CompletableFuture<Optional<InstanceLocation>> lookAhead) {
        try {
            return CompletableFuture.supplyAsync(withLogContext(() -> ingest(request, lookAhead)), workers);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(ingest(request, lookAhead)); // shutting down: ingest here
        }
    }

    /** The task, run with the submitting thread's logging context (its request or association id). */
    private static <T> Supplier<T> withLogContext(Supplier<T> task) {
        Map<String, String> context = MDC.getCopyOfContextMap();
        return () -> {
            if (context == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(context);
            }
            try {
                return task.get();
            } finally {
                MDC.clear(); // pool threads carry no context between tasks
            }
        };
    }

    /**
     * Ingests an object; {@code lookAhead}, if not null, is {@link #lookAhead} of the SOP Instance
     * UID the transport announced.
     */
    public IngestResult ingest(IngestRequest request, CompletableFuture<Optional<InstanceLocation>> lookAhead) {
        long start = System.nanoTime();
        inProgress.incrementAndGet();
        IngestResult result = null;
        try {
            result = doIngest(request, lookAhead);
            return result;
        } finally {
            inProgress.decrementAndGet();
            Timer.builder("ingest.duration").description("receipt to durable and indexed, per object")
                    .tag("channel", request.source().channel())
                    .tag("outcome", result == null ? "ERROR" : result.outcome().name())
                    .register(meters).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            try {
                Files.deleteIfExists(request.file());
            } catch (IOException e) {
                log.warn("could not delete spool file {}: {}", request.file().getFileName(), e.getMessage());
            }
        }
    }

    private IngestResult doIngest(IngestRequest request,
            CompletableFuture<Optional<InstanceLocation>> lookAhead) {
        String expectedSop = request.expectedSopInstanceUid();
        DicomDataset header;
        try {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(request.file()), 65536)) {
                in.skipNBytes(request.datasetOffset());
                DatasetStructure.verify(in, request.transferSyntaxUid());
            }
            header = DicomDataset.readPart10Header(request.file());
        } catch (MalformedDicomException e) {
            log.info("rejected malformed object {} from {}: {}", expectedSop, request.source().actor(), e.getMessage());
            return IngestResult.rejected(IngestResult.Outcome.MALFORMED, expectedSop, e.getMessage(), null);
        } catch (IOException e) {
            log.error("cannot read spooled object {}: {}", expectedSop, e.toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, expectedSop, "cannot read received object", null);
        }

        String sopUid = header.getString(Tag.SOPInstanceUID);
        String sopClass = header.getString(Tag.SOPClassUID);
        String studyUid = header.getString(Tag.StudyInstanceUID);
        String seriesUid = header.getString(Tag.SeriesInstanceUID);
        for (int tag : new int[] {Tag.SOPInstanceUID, Tag.SOPClassUID, Tag.StudyInstanceUID, Tag.SeriesInstanceUID}) {
            String v = header.getString(tag);
            if (v == null) {
                return invalid(request, sopUid, "missing required attribute " + Tag.toString(tag), tag);
            }
            if (!Uids.isValid(v)) {
                return invalid(request, sopUid, "invalid UID in " + Tag.toString(tag), tag);
            }
        }
        if (expectedSop != null && !expectedSop.equals(sopUid)) {
            return invalid(request, sopUid, "SOP Instance UID in the data set differs from the command's",
                    Tag.SOPInstanceUID);
        }
        if (request.expectedSopClassUid() != null && !request.expectedSopClassUid().equals(sopClass)) {
            return invalid(request, sopUid, "SOP Class UID in the data set differs from the command's",
                    Tag.SOPClassUID);
        }
        Optional<Rejection> rejection;
        try {
            rejection = RejectionNotes.read(header, request.source());
        } catch (IllegalArgumentException e) {
            return invalid(request, sopUid, e.getMessage(), Tag.CurrentRequestedProcedureEvidenceSequence);
        }

        IdentityLinker identities = this.identities;
        if (identities != null) {
            // before anything is stored: an object acknowledged is always in its patient's space
            try {
                identities.link(header, studyUid, request.source().actor());
            } catch (RuntimeException e) {
                if (refusedValues(e)) {
                    return invalid(request, sopUid, UNINDEXABLE, null);
                }
                log.error("patient space unavailable while ingesting {}: {}", sopUid, e.toString());
                return IngestResult.rejected(IngestResult.Outcome.FAILED, sopUid, "index unavailable", null);
            }
        }

        Optional<InstanceLocation> existing;
        try {
            existing = lookAhead != null && sopUid.equals(expectedSop) ? lookAhead.join() : index.findInstance(sopUid);
        } catch (RuntimeException e) {
            log.error("index unavailable while ingesting {}: {}", sopUid, e.toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, sopUid, "index unavailable", null);
        }
        String patientId = header.getString(Tag.PatientID);
        IngestResult stored = existing.isPresent() && request.sha256().equals(existing.get().sha256())
                ? new IngestResult(IngestResult.Outcome.UNCHANGED, sopUid, studyUid, patientId, "already stored", null)
                : store(request, header, sopUid, sopClass, studyUid, seriesUid, patientId);
        // a rejection note is applied before it is acknowledged, and again when it is sent again (idempotent)
        return stored.success() && rejection.isPresent() ? applyRejection(rejection.get(), request, patientId, stored)
                : stored;
    }

    private IngestResult store(IngestRequest request, DicomDataset header, String sopUid, String sopClass,
            String studyUid, String seriesUid, String patientId) {
        String key = InstanceBlobKeys.of(studyUid, seriesUid, sopUid, request.sha256());
        StoredBlob blob;
        try {
            blob = new StoredBlob(key, Files.size(request.file()), request.sha256());
        } catch (IOException e) {
            log.error("cannot read spooled object {}: {}", sopUid, e.toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, sopUid, "cannot read received object", null);
        }
        // the blob store flushes the bytes while the index writes the rows, which commit only after the flush
        CompletableFuture<StoredBlob> durable = CompletableFuture.supplyAsync(withLogContext(() -> {
            try {
                return blobs.putFile(key, request.file(), request.sha256());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), blobWriters);

        Optional<String> previousKey;
        try {
            previousKey = index.upsert(toIndexed(header, request, sopUid, sopClass, studyUid, seriesUid, blob), durable);
        } catch (CompletionException e) {
            log.error("blob store failed for {}: {}", sopUid, e.getCause().toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, sopUid, "storage unavailable", null);
        } catch (PreviouslyRejectedException e) {
            if (written(durable) && !key.equals(e.keptBlobKey())) {
                deleteQuietly(key); // the bytes kept are those the instance had when rejected
            }
            log.info("refused instance {} of study {} from {}: {}", sopUid, studyUid, request.source().actor(),
                    e.getMessage());
            audit.record(new AuditEvent(Instant.now(), request.source().actor(), roleOf(request), "store-refused",
                    request.source().channel(), patientId, studyUid, "failure", e.getMessage(),
                    request.source().address()));
            return new IngestResult(IngestResult.Outcome.PREVIOUSLY_REJECTED, sopUid, studyUid, patientId,
                    e.shortMessage(), null);
        } catch (RuntimeException e) {
            if (written(durable)) {
                deleteUnlessIndexed(sopUid, key);
            }
            if (refusedValues(e)) {
                return invalid(request, sopUid, UNINDEXABLE, null);
            }
            log.error("indexing failed for {}: {}", sopUid, e.toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, sopUid, "index unavailable", null);
        }
        if (previousKey.isPresent() && !previousKey.get().equals(key)) {
            deleteQuietly(previousKey.get());
            audit.record(new AuditEvent(Instant.now(), request.source().actor(), roleOf(request), "store-replace",
                    request.source().channel(), patientId, studyUid, "success",
                    "instance " + sopUid + " replaced by different content", request.source().address()));
            log.info("instance {} of study {} replaced with different content from {}", sopUid, studyUid,
                    request.source().actor());
            return new IngestResult(IngestResult.Outcome.REPLACED, sopUid, studyUid, patientId, "replaced", null);
        }
        return new IngestResult(IngestResult.Outcome.STORED, sopUid, studyUid, patientId, "stored", null);
    }

    /** Hides the instances a stored rejection note rejects; audited, and announced to what derives from studies. */
    private IngestResult applyRejection(Rejection rejection, IngestRequest request, String patientId,
            IngestResult stored) {
        Map<String, Rejection.Outcome> outcomes;
        try {
            outcomes = index.reject(rejection);
        } catch (RuntimeException e) {
            log.error("rejection note {} stored but not applied: {}", rejection.noteUid(), e.toString());
            return IngestResult.rejected(IngestResult.Outcome.FAILED, rejection.noteUid(),
                    "rejection not applied (index unavailable); send the note again", null);
        }
        Map<Rejection.Outcome, Long> counts = new EnumMap<>(Rejection.Outcome.class);
        outcomes.values().forEach(o -> counts.merge(o, 1L, Long::sum));
        String detail = "rejection note " + rejection.noteUid() + " (" + rejection.codeValue() + " "
                + rejection.codeMeaning() + "): " + counts.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT).replace('_', ' '))
                .collect(Collectors.joining(", "));
        audit.record(new AuditEvent(Instant.now(), request.source().actor(), roleOf(request), "reject",
                request.source().channel(), patientId, rejection.studyUid(), "success", detail,
                request.source().address()));
        log.info("study {}: {} from {}", rejection.studyUid(), detail, request.source().actor());
        int rejected = counts.getOrDefault(Rejection.Outcome.REJECTED, 0L).intValue();
        events.publishEvent(new InstancesRejected(rejection.studyUid(), rejection.noteUid(), rejected));
        return stored;
    }

    private static String roleOf(IngestRequest request) {
        return "DIMSE".equals(request.source().channel()) ? "dimse-ae" : "user";
    }

    private IngestResult invalid(IngestRequest request, String sopUid, String message, Integer tag) {
        log.info("rejected object {} from {}: {}", sopUid, request.source().actor(), message);
        return IngestResult.rejected(IngestResult.Outcome.INVALID, sopUid, message, tag);
    }

    /**
     * The database refused the values themselves (SQLSTATE class 22, data exception: e.g. a NUL character
     * inside a text value, which PostgreSQL cannot store), not an outage: sending again cannot help, so
     * the object is refused as invalid rather than as "unavailable, retry".
     */
    static boolean refusedValues(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("22")) {
                return true;
            }
        }
        return false;
    }

    /** Waits for a blob write the index did not wait for; whether it wrote the blob. */
    private static boolean written(CompletableFuture<StoredBlob> durable) {
        try {
            durable.join();
            return true;
        } catch (CompletionException | CancellationException e) {
            return false;
        }
    }

    private void deleteUnlessIndexed(String sopUid, String key) {
        try {
            if (index.findInstance(sopUid).map(InstanceLocation::blobKey).filter(key::equals).isPresent()) {
                return;
            }
        } catch (RuntimeException e) {
            // index still down: the blob is unindexed, start-up reconciliation will remove it
            return;
        }
        deleteQuietly(key);
    }

    private void deleteQuietly(String key) {
        try {
            blobs.delete(key);
        } catch (IOException e) {
            log.warn("could not delete blob {} (left for reconciliation): {}", key, e.getMessage());
        }
    }

    private static IndexedInstance toIndexed(DicomDataset h, IngestRequest request, String sopUid, String sopClass,
            String studyUid, String seriesUid, StoredBlob blob) {
        return new IndexedInstance(
                h.getString(Tag.PatientID), h.getString(Tag.IssuerOfPatientID), h.getRawString(Tag.PatientName),
                date(h.getString(Tag.PatientBirthDate)), h.getString(Tag.PatientSex),
                studyUid, date(h.getString(Tag.StudyDate)), h.getString(Tag.StudyTime), h.getString(Tag.AccessionNumber),
                h.getString(Tag.StudyID), h.getString(Tag.StudyDescription), h.getRawString(Tag.ReferringPhysicianName),
                seriesUid, h.getString(Tag.Modality), h.getInt(Tag.SeriesNumber), h.getString(Tag.SeriesDescription),
                h.getString(Tag.BodyPartExamined),
                sopUid, sopClass, h.getInt(Tag.InstanceNumber), h.getInt(Tag.NumberOfFrames), h.getInt(Tag.Rows),
                h.getInt(Tag.Columns), request.transferSyntaxUid(), h.getRawString(Tag.SpecificCharacterSet),
                blob.key(), blob.size(), blob.sha256(), request.datasetOffset(), request.source().actor());
    }

    /** A DA value, or null when absent or not a valid date (bad dates must not block storage). */
    static LocalDate date(String value) {
        if (value == null || value.length() < 8) {
            return null;
        }
        try {
            return LocalDate.parse(value.substring(0, 8), DA);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
