package org.imagingnode.bridge.dicomweb;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.security.Caller;

/**
 * Studies this node does not hold but can retrieve from the node that does (the sharing consumer implements
 * it). The DICOMweb handlers turn to it when a study is not in the local index: the source node decides every
 * access with the caller's own credentials, and a refusal is a 404 here as there.
 */
public interface RemoteStudies {

    /** A remote study, for one caller. */
    interface Study {
        /** The node that holds it (for audit details and messages). */
        String sourceNode();

        /** The patient, as the audit trail names them here (national identifier in CX form). */
        String patient();

        /**
         * The instances of the study (series and instance may be null), as the source lists them to the caller;
         * 404 when the source refuses or has none. Each is fetched (or taken from the cache) by {@link #fetch}.
         */
        List<Ref> instances(String seriesUid, String sopInstanceUid);

        /**
         * Every instance of the study with all the attributes the source indexes (QIDO-RS {@code includefield=all},
         * every page), as the source lists them to the caller; 404 when the source refuses or has none.
         */
        List<JsonNode> instanceAttributes();

        /**
         * Lets a viewer token this node just issued to the caller for this study ({@code viewerTokenId}, valid
         * until {@code expiresAt}) be forwarded to the source as the caller, for this study only: the source never
         * sees this node's viewer tokens, it decides with the caller's own credentials. A token scoped to a series
         * reaches that series only.
         */
        void entrust(String viewerTokenId, Instant expiresAt);

        /**
         * The same study restricted to one of its series (a series launch): its other series and the study as a
         * whole are then 404s on every route; 404 at once when this one is already restricted to another series.
         */
        Study series(String seriesUid);

        /** The instance's bytes, verified and cached on this node. */
        InstanceLocation fetch(Ref instance) throws IOException;

        /**
         * The patient identity this node gives the study's instances when it sends them to a DICOM peer of its own
         * (its PACS: C-MOVE, C-GET, the portal's import), so that they are filed with the person's local studies;
         * null to send them as the source holds them ({@code node.sharing.consumer.reconcile-identity} off, or an
         * identity that cannot be written as a PatientID).
         */
        PatientIdRewrite reconciledIdentity();

        /**
         * Streams the source's answer to {@code relativePath} (e.g. {@code /studies/{s}/series?limit=5}), its
         * URLs pointing at the source rewritten to {@code thisBase} (this node's DICOMweb base).
         */
        void proxy(String relativePath, String accept, String thisBase, HttpServletResponse response) throws IOException;
    }

    /** A remote study matching a query: its UID and its attributes as DICOM JSON. */
    record Match(String studyUid, byte[] json) {
    }

    /** One instance of a remote study. */
    record Ref(String seriesUid, String sopInstanceUid) {
    }

    /** The remote study with that UID, for the caller, if this node knows one. */
    Optional<Study> find(String studyUid, Caller caller);

    /**
     * What a source lists for the caller ({@code listing}: {@link Study#instances}, {@link Study#instanceAttributes}),
     * or nothing when it answers 404: a study it does not list for them (hidden, refused) is one this node does not
     * know. A source that cannot answer still throws.
     */
    static <T> List<T> unlessNotFound(Supplier<List<T>> listing) {
        try {
            return listing.get();
        } catch (DicomWebException e) {
            if (e.status() == 404) {
                return List.of();
            }
            throw e;
        }
    }

    /** The remote study for the caller, or 404 exactly as for a study this node does not know at all. */
    static Study require(RemoteStudies remote, String studyUid, Caller caller) {
        StoredInstances.requireUid(studyUid, "StudyInstanceUID");
        return (remote == null ? Optional.<Study>empty() : remote.find(studyUid, caller))
                .orElseThrow(() -> DicomWebException.notFound("no study " + studyUid));
    }

    /**
     * All the caller's remote studies that match a QIDO-RS study query naming one patient (its {@code limit} and
     * {@code offset} are the caller's to apply over local and remote matches), as DICOM JSON objects (RetrieveURL
     * pointing at {@code thisBase}), ordered by StudyInstanceUID; studies in {@code localStudies} are left out.
     * Unreachable sources are reported as {@code warnings} (HTTP Warning header values), not errors.
     */
    List<Match> studies(Caller caller, Map<String, List<String>> parameters, Set<String> localStudies,
            String thisBase, List<String> warnings);

    /**
     * The series rows a QIDO-RS {@code /series} query finds in remote studies: those of the remote study a viewer
     * token of this node opens (its one series for a series token), as its source answers them ({@link Match} of the
     * study UID and the series' DICOM JSON); nothing for other callers.
     */
    List<Match> series(Caller caller, Map<String, List<String>> parameters, String thisBase, List<String> warnings);
}
