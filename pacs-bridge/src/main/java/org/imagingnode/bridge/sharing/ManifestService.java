package org.imagingnode.bridge.sharing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import jakarta.annotation.PreDestroy;
import org.imagingnode.bridge.NodeProperties;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.SpoolArea;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.ingest.IngestRequest;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.ingest.IngestService;
import org.imagingnode.bridge.ingest.IngestSource;
import org.imagingnode.bridge.ingest.InstancesRejected;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenIssuer;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * Builds each complete study's manifest and stores it like any instance (so it is queried and
 * retrieved like one): when no instance has arrived for the quiet period, and again whenever the
 * study changes after its manifest was built.
 */
@Service
@EnableConfigurationProperties(SharingProperties.class)
public class ManifestService {
    /** The source recorded for manifests; longer than any AE title, so no DICOM peer can share it. */
    static final String SOURCE = InstanceIndex.OWN_SOURCE_PREFIX + "manifest";
    private static final Logger log = LoggerFactory.getLogger(ManifestService.class);
    private static final Set<IndexAttribute> STUDY_ATTRIBUTES = Set.of(IndexAttribute.PatientName,
            IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID, IndexAttribute.PatientBirthDate,
            IndexAttribute.PatientSex, IndexAttribute.StudyDate, IndexAttribute.StudyTime,
            IndexAttribute.ReferringPhysicianName, IndexAttribute.StudyID, IndexAttribute.AccessionNumber,
            IndexAttribute.StudyDescription);

    private final InstanceIndex index;
    private final IngestService ingest;
    private final SpoolArea spool;
    private final SharingProperties props;
    private final String aeTitle;
    private final PatientSpace space;
    private final IndexPublisher publisher;
    private final NodeTokenIssuer tokens;
    private final BlobStore blobs;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "manifest-builder");
        t.setDaemon(true);
        return t;
    });

    public ManifestService(InstanceIndex index, IngestService ingest, SpoolArea spool, SharingProperties props,
            NodeProperties node, PatientSpace space, IndexPublisher publisher, NodeTokenIssuer tokens, BlobStore blobs) {
        this.blobs = blobs;
        this.space = space;
        this.publisher = publisher;
        this.tokens = tokens;
        this.index = index;
        this.ingest = ingest;
        this.spool = spool;
        this.props = props;
        this.aeTitle = node.aeTitle();
    }

    @EventListener(ApplicationReadyEvent.class)
    void schedule() {
        if (!props.manifest().enabled()) {
            log.info("study manifests disabled (node.sharing.manifest.enabled=false)");
            return;
        }
        long every = props.manifest().pollInterval().toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                rebuildDue(Instant.now().minus(props.manifest().quietPeriod()));
            } catch (RuntimeException e) {
                log.error("manifest building failed: {}", e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
        log.info("study manifests: built {} after a study's last instance, published with RetrieveURL {}",
                props.manifest().quietPeriod(), props.retrieveUrl());
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }

    /** Builds the manifests of the studies that changed before {@code quietSince}; returns how many. */
    public int rebuildDue(Instant quietSince) {
        List<String> due = index.studiesChangedSinceDerived(SOURCE, quietSince, 100);
        int built = 0;
        for (String studyUid : due) {
            try {
                if (rebuild(studyUid).filter(IngestResult::success).isPresent()) {
                    built++;
                }
            } catch (IOException | RuntimeException e) { // one study's failure does not hold up the others
                log.error("manifest of study {} not built: {}", studyUid, e.toString());
            }
        }
        return built;
    }

    /**
     * Instances of a study were rejected (IHE IOCM): a study already shared gets its manifest rebuilt without them
     * (or withdrawn when nothing is left) now, rather than after the quiet period; one not shared yet is built as
     * usual once complete. Runs on the builder's thread, after the rejection note was acknowledged.
     */
    @EventListener
    void onRejection(InstancesRejected rejected) {
        String studyUid = rejected.studyInstanceUid();
        scheduler.execute(() -> {
            try {
                if (!index.derivedInstances(studyUid, SOURCE).isEmpty()) {
                    rebuild(studyUid);
                }
            } catch (IOException | RuntimeException e) {
                log.error("manifest of study {} not rebuilt after a rejection (retried after the quiet period): {}",
                        studyUid, e.toString());
            }
        });
    }

    /**
     * Builds and stores the manifest of one study now and publishes it to the index; empty when the study has
     * nothing to share (no instance besides its manifests and its rejection notes), in which case a manifest built
     * before is removed and withdrawn from the index. A manifest that says something else than the previous one has
     * a new SOP Instance UID ({@link StudyManifest#sopInstanceUid}): the previous one is removed once it is stored.
     */
    public synchronized Optional<IngestResult> rebuild(String studyUid) throws IOException {
        Condition inStudy = new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid);
        List<InstanceLocation> located = index.locate(List.of(inStudy));
        Set<String> previous = index.derivedInstances(studyUid, SOURCE);
        Set<String> rejectionNotes = index.rejectionNotesOf(studyUid);
        List<InstanceLocation> instances = located.stream()
                .filter(i -> !previous.contains(i.sopInstanceUid()) && !rejectionNotes.contains(i.sopInstanceUid()))
                .toList();
        List<IndexRow> study = index.find(new IndexQuery(QueryLevel.STUDY, List.of(inStudy), STUDY_ATTRIBUTES, 1, 0));
        if (instances.isEmpty() || study.isEmpty()) {
            if (!previous.isEmpty()) {
                log.info("study {} has nothing left to share: its manifest is removed and withdrawn from the index",
                        studyUid);
                publisher.withdraw(studyUid);
                previous.forEach(uid -> remove(studyUid, uid));
            }
            index.markSeenByDerived(uids(located)); // its notes: nothing more to do for them
            return Optional.empty();
        }
        IndexRow row = study.get(0);
        NationalId person = nationalId(row);
        ZonedDateTime now = ZonedDateTime.now();
        DicomDataset manifest = StudyManifest.build(studyUid, row, instances, aeTitle, props.retrieveUrl(), person,
                now);
        String manifestUid = manifest.getString(Tag.SOPInstanceUID);
        String ts = TransferSyntax.EXPLICIT_VR_LE;
        byte[] header = Part10.header(StudyManifest.KEY_OBJECT_SELECTION, manifestUid, ts);
        byte[] body = manifest.encode(ts);
        Path file = spool.newFile();
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header);
            out.write(body);
        }
        MessageDigest sha = Checksums.sha256();
        sha.update(header);
        sha.update(body);
        IngestResult result = ingest.ingest(new IngestRequest(file, HexFormat.of().formatHex(sha.digest()),
                header.length, ts, StudyManifest.KEY_OBJECT_SELECTION, manifestUid,
                new IngestSource(SOURCE, "MANIFEST", null)));
        if (!result.success()) {
            log.error("manifest of study {} not stored: {}", studyUid, result.message());
            return Optional.of(result);
        }
        List<String> seen = new ArrayList<>(uids(located)); // the content, the notes, the previous manifests
        seen.add(manifestUid);
        index.markSeenByDerived(seen);
        previous.stream().filter(uid -> !uid.equals(manifestUid)).forEach(uid -> remove(studyUid, uid));
        log.info("manifest of study {} built: {} instances referenced", studyUid, instances.size());
        if (person == null) {
            log.info("manifest of study {} not published: its patient is not linked to a national identity"
                    + " (see /api/site/reconciliation)", studyUid);
        } else {
            try {
                publisher.put(entry(studyUid, manifestUid, row, person, instances, now.toInstant()));
            } catch (IllegalArgumentException e) { // e.g. a misconfigured retrieve URL: the manifest stays local
                log.warn("manifest of study {} not published: its index entry is invalid: {}", studyUid,
                        e.getMessage());
            }
        }
        return Optional.of(result);
    }

    private static List<String> uids(List<InstanceLocation> instances) {
        return instances.stream().map(InstanceLocation::sopInstanceUid).toList();
    }

    /** Removes a manifest that is no longer the study's (superseded, or nothing left to share) and its bytes. */
    private void remove(String studyUid, String manifestUid) {
        index.remove(manifestUid).ifPresent(key -> {
            try {
                blobs.delete(key);
            } catch (IOException e) {
                log.warn("blob {} of the removed manifest {} of study {} not deleted (left for reconciliation): {}", key,
                        manifestUid, studyUid, e.getMessage());
            }
        });
    }

    private NationalId nationalId(IndexRow study) {
        Object pid = study.get(IndexAttribute.PatientID);
        Object issuer = study.get(IndexAttribute.IssuerOfPatientID);
        return pid == null ? null : space.identityOf(pid.toString(), issuer == null ? "" : issuer.toString()).orElse(null);
    }

    /** The index entry of a study whose manifest was just built. */
    private IndexEntry entry(String studyUid, String manifestUid, IndexRow study, NationalId person,
            List<InstanceLocation> instances, Instant at) {
        Set<String> seriesUids = instances.stream().map(InstanceLocation::seriesInstanceUid)
                .collect(Collectors.toSet());
        List<IndexRow> series = index.find(new IndexQuery(QueryLevel.SERIES,
                List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid)),
                Set.of(IndexAttribute.SeriesInstanceUID, IndexAttribute.Modality), 10_000, 0));
        List<String> modalities = series.stream()
                .filter(r -> seriesUids.contains(String.valueOf(r.get(IndexAttribute.SeriesInstanceUID))))
                .map(r -> r.get(IndexAttribute.Modality)).filter(Objects::nonNull).map(Object::toString)
                .filter(m -> m.matches("[A-Z0-9_]{1,16}")).distinct().sorted().toList();
        Object date = study.get(IndexAttribute.StudyDate);
        Object description = study.get(IndexAttribute.StudyDescription);
        return new IndexEntry(new IndexEntry.Patient(person.id(), person.issuer()), studyUid, tokens.nodeId(),
                manifestUid, props.retrieveUrl(), aeTitle,
                date instanceof LocalDate d ? d.format(DateTimeFormatter.BASIC_ISO_DATE) : null, modalities,
                description == null ? null : IndexEntry.publishableDescription(description.toString()),
                instances.size(), at);
    }
}
