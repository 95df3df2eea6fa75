package org.imagingnode.bridge.viewer;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.export.DicomZip;
import org.imagingnode.bridge.export.JpegZip;
import org.imagingnode.bridge.export.StoredStudy;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.web.CutOffResponses;
import org.imagingnode.storage.BlobStore;
import org.imagingnode.viewer.ViewerScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Downloads of a study the caller may see (the node's one access policy, channel "viewer", every download
 * audited with its outcome):
 * <ul>
 * <li>{@code .../dicom.zip}: the stored DICOM files with a DICOMDIR ({@link DicomZip}), to import elsewhere or
 * burn;</li>
 * <li>{@code .../jpeg.zip}: the images as JPEG for sharing ({@link JpegZip}), with no patient identifiers in
 * the file names.</li>
 * </ul>
 * at {@code /viewer/downloads/studies/{study}/}. Credentials come in the Authorization header ({@code GET}), or,
 * so that a browser can save a large archive as it streams, as the {@code access_token} field of a form
 * {@code POST} (RFC 6750 2.2), never in the address: addresses end up in logs. Viewer tokens and share links
 * download what they may open. A study held by another node is fetched whole into the cache first, with the
 * caller's credentials (its source decides), then written as a local one.
 */
@RestController
public class StudyDownloadController {
    private static final Logger log = LoggerFactory.getLogger(StudyDownloadController.class);
    private static final String PATH = "/viewer/downloads/studies/{study}/";

    private final ViewerAccess access;
    private final InstanceIndex index;
    private final BlobStore blobs;
    /** Studies of other nodes (sharing consumer), or null. */
    private final RemoteStudies remote;

    StudyDownloadController(ViewerAccess access, InstanceIndex index, BlobStore blobs,
            Optional<RemoteStudies> remote) {
        this.access = access;
        this.index = index;
        this.blobs = blobs;
        this.remote = remote.orElse(null);
    }

    @GetMapping(PATH + "{format:dicom|jpeg}.zip")
    public void download(@PathVariable String study, @PathVariable String format, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        send(study, format, rq.getHeader("Authorization"), rq, rs);
    }

    @PostMapping(value = PATH + "{format:dicom|jpeg}.zip", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    public void downloadFromForm(@PathVariable String study, @PathVariable String format, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        String query = rq.getQueryString();
        if (query != null && query.contains("access_token")) {
            throw new IllegalArgumentException("send access_token in the form body, never in the address");
        }
        String token = rq.getParameter("access_token");
        String authorization = rq.getHeader("Authorization");
        send(study, format, authorization == null && token != null && !token.isBlank() ? "Bearer " + token.strip()
                : authorization, rq, rs);
    }

    private void send(String studyUid, String format, String authorization, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        Caller caller = access.authenticate(rq, authorization);
        ViewerScope.study(null, null, studyUid); // validates the UID
        boolean dicom = "dicom".equals(format);
        String what = dicom ? "DICOM zip with DICOMDIR" : "JPEG zip";
        StoredStudy study = StoredStudy.read(index, studyUid).orElse(null);
        String patient;
        String origin = "";
        if (study != null) {
            access.guard().check(rq, Action.RETRIEVE, study.patientId(), study.issuerOfPatientId(), studyUid);
            patient = study.patientId();
        } else {
            RemoteStudies.Study held = remote == null ? null : remote.find(studyUid, caller).orElse(null);
            List<JsonNode> instances = held == null ? List.of()
                    : RemoteStudies.unlessNotFound(held::instanceAttributes);
            if (instances.isEmpty()) {
                access.guard().audit(caller, ViewerAccess.CHANNEL, Action.RETRIEVE, null, studyUid, "not found",
                        rq.getRequestURI());
                rs.sendError(HttpServletResponse.SC_NOT_FOUND);
                return;
            }
            patient = held.patient();
            origin = " (remote study, node " + held.sourceNode() + ")";
            study = fetched(rq, held, studyUid, instances, what);
        }
        String date = study.studyDate() != null && study.studyDate().matches("\\d{8}") ? "-" + study.studyDate() : "";
        rs.setContentType("application/zip");
        rs.setHeader("Content-Disposition", "attachment; filename=\"study" + date + (dicom ? "-dicom" : "-jpeg")
                + ".zip\"");
        rs.setHeader("Cache-Control", "no-store");
        rs.setHeader("X-Content-Type-Options", "nosniff");
        OutputStream out = rs.getOutputStream();
        try {
            String detail;
            if (dicom) {
                detail = DicomZip.write(study, blobs, out) + " objects";
            } else {
                JpegZip.Result r = JpegZip.write(study, blobs, out);
                detail = r.images() + " images" + (r.skipped() > 0 ? ", " + r.skipped() + " objects not rendered" : "");
            }
            out.flush();
            access.guard().audit(rq, Action.RETRIEVE, patient, studyUid, "success",
                    "download " + what + ": " + detail + origin);
        } catch (IOException | RuntimeException e) {
            access.guard().audit(rq, Action.RETRIEVE, patient, studyUid, "failure",
                    "download " + what + " interrupted: " + e.getClass().getSimpleName() + origin);
            if (!CutOffResponses.afterCommit(rq, rs, e)) { // never a zip ended as if it held the whole study
                throw e;
            }
        }
    }

    /**
     * The remote study with every instance fetched into the cache, before anything is written: a source that
     * fails half-way is the caller's clear error (ViewerErrors), never an archive that lacks part of the study.
     */
    private StoredStudy fetched(HttpServletRequest rq, RemoteStudies.Study held, String studyUid,
            List<JsonNode> instances, String what) {
        try {
            return StoredStudy.fetched(held, studyUid, instances);
        } catch (DicomWebException e) {
            log.warn("download of remote study {} (node {}) refused: {}", studyUid, held.sourceNode(), e.getMessage());
            access.guard().audit(rq, Action.RETRIEVE, held.patient(), studyUid, "failure", "download " + what
                    + ": " + e.getMessage() + " (remote study, node " + held.sourceNode() + ")");
            throw e;
        }
    }
}
