package org.imagingnode.bridge.viewer;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.dicomweb.DicomWebProperties;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
import org.imagingnode.viewer.WeasisLaunch;
import org.imagingnode.viewer.WeasisManifest;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Launching Weasis on a study the caller may see:
 * <ul>
 * <li>{@code GET /viewer/weasis/studies/{study}} (and {@code .../series/{series}}): JSON with the
 * {@code weasis://} URI that makes Weasis load it from the node's DICOMweb, and its expiry;</li>
 * <li>{@code GET /viewer/weasis/patient?patientID=..&issuer=..}: the same for a patient's whole history;</li>
 * <li>{@code GET /viewer/weasis/studies/{study}/manifest.xml}: the weasis-pacs-connector XML manifest
 * (WADO-URI) for Weasis versions without DICOMweb.</li>
 * </ul>
 * The caller is identified and every decision taken by the node's one {@link org.imagingnode.bridge.security.AccessPolicy}
 * (the same as DICOMweb, channel "viewer"): the endpoint first, then the study's patient. What is
 * handed out carries only a {@link ViewerToken} scoped to that study or series and expiring after
 * {@code node.viewer.token-lifetime}, never the caller's own credentials. Each issue is audited.
 */
@RestController
@RequestMapping("/viewer/weasis")
public class WeasisController {
    private final ViewerAccess access;
    private final ViewerTokenService tokens;
    private final DicomWebProperties dicomWeb;

    WeasisController(ViewerAccess access, ViewerTokenService tokens, DicomWebProperties dicomWeb) {
        this.access = access;
        this.tokens = tokens;
        this.dicomWeb = dicomWeb;
    }

    @GetMapping(value = "/studies/{study}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> study(@PathVariable String study, HttpServletRequest rq) {
        return launch(rq, study, null);
    }

    @GetMapping(value = "/studies/{study}/series/{series}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> series(@PathVariable String study, @PathVariable String series,
            HttpServletRequest rq) {
        return launch(rq, study, series);
    }

    /**
     * The launch in the query form of weasis-pacs-connector and archives' viewer links ({@code arcQuery}):
     * {@code GET /viewer/weasis?studyUID=..[&seriesUID=..]}, {@code ?accessionNumber=..} or
     * {@code ?patientID=..[&issuer=..]}, answered as the path forms are. An accession number must name one study
     * the caller may see (several: 400, name the study by its UID).
     */
    @GetMapping(value = {"", "/"}, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> query(@RequestParam(name = "studyUID", required = false) String study,
            @RequestParam(name = "seriesUID", required = false) String series,
            @RequestParam(name = "accessionNumber", required = false) String accession,
            @RequestParam(name = "patientID", required = false) String patientId,
            @RequestParam(name = "issuer", required = false) String issuer, HttpServletRequest rq) {
        if (study != null) {
            return launch(rq, study, series);
        }
        if (series != null) {
            throw new IllegalArgumentException("seriesUID needs its studyUID");
        }
        if (accession != null) {
            Caller caller = access.authenticate(rq);
            List<String> studies = access.visibleStudiesByAccession(rq, caller, accession);
            if (studies.size() > 1) {
                throw new IllegalArgumentException("several studies carry this accession number: give the studyUID");
            }
            return studies.isEmpty() ? ResponseEntity.notFound().build() : launch(rq, studies.get(0), null);
        }
        if (patientId != null) {
            return patient(patientId, issuer, rq);
        }
        throw new IllegalArgumentException("give studyUID, accessionNumber or patientID");
    }

    /**
     * A patient's whole history here: {@code GET /viewer/weasis/patient?patientID=..[&issuer=..]}. The token's
     * scope is the patient; what Weasis then lists is still decided study by study by the access policy.
     */
    @GetMapping(value = "/patient", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> patient(@RequestParam("patientID") String patientId,
            @RequestParam(name = "issuer", required = false) String issuer, HttpServletRequest rq) {
        Caller caller = access.authenticate(rq);
        ViewerScope scope = ViewerScope.patient(patientId, issuer); // validates
        List<String> studies = access.visibleStudies(rq, caller, scope.patientId(), scope.issuerOfPatientId());
        if (studies.isEmpty()) {
            return ResponseEntity.notFound().build();
        }
        ViewerToken token = tokens.issue(caller.id(), scope);
        WeasisLaunch launch = WeasisLaunch.dicomWeb(NodeUrls.dicomWebBase(rq, dicomWeb), token);
        access.guard().audit(rq, Action.RETRIEVE, scope.patientId(), null, "viewer token issued",
                "Weasis launch (PATIENT, " + studies.size() + " studies visible), token " + token.id() + " until "
                        + token.expiresAt());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("patientID", scope.patientId());
        if (scope.issuerOfPatientId() != null) {
            body.put("issuerOfPatientID", scope.issuerOfPatientId());
        }
        body.put("studies", studies.size());
        body.put("weasisUri", launch.uri().toString());
        body.put("expiresAt", launch.expiresAt().toString());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(body);
    }

    /**
     * The manifest, for the caller's Authorization header or, since Weasis fetches a manifest URL without
     * headers ({@code $dicom:get -w}), for the viewer token of a launch in its {@code token} parameter. A viewer
     * token covering the study is reused in the manifest (never renewed); other callers get a new one.
     */
    @GetMapping(value = "/studies/{study}/manifest.xml")
    public ResponseEntity<byte[]> manifest(@PathVariable String study,
            @RequestParam(name = "token", required = false) String viewerToken, HttpServletRequest rq) {
        return manifest(rq, study, null, viewerToken);
    }

    /** The manifest of one series: what a series launch (and its series-scoped token) opens. */
    @GetMapping(value = "/studies/{study}/series/{series}/manifest.xml")
    public ResponseEntity<byte[]> seriesManifest(@PathVariable String study, @PathVariable String series,
            @RequestParam(name = "token", required = false) String viewerToken, HttpServletRequest rq) {
        return manifest(rq, study, series, viewerToken);
    }

    private ResponseEntity<byte[]> manifest(HttpServletRequest rq, String study, String series, String viewerToken) {
        String authorization = rq.getHeader("Authorization");
        if (authorization == null && viewerToken != null) {
            authorization = "Bearer " + viewerToken;
        }
        Caller caller = access.authenticate(rq, authorization);
        ViewerScope requested = series == null ? ViewerScope.study(null, null, study)
                : ViewerScope.series(null, null, study, series); // validates the UIDs
        StudyContents.Contents contents = access.study(rq, caller, study, series).orElse(null);
        if (contents == null) {
            return ResponseEntity.notFound().build();
        }
        StudyContents.Owner owner = contents.owner();
        Optional<ViewerToken> presented = access.presentedViewerToken(authorization);
        if (presented.isPresent()
                && !presented.get().scope().covers(owner.patientId(), owner.issuerOfPatientId(), study, series)) {
            // a viewer token is never traded for a wider one
            access.guard().audit(rq, Action.RETRIEVE, owner.patientId(), study, "denied",
                    "Weasis manifest outside viewer token " + presented.get().id());
            return ResponseEntity.notFound().build();
        }
        ViewerToken token = presented.orElse(null);
        if (token == null) {
            token = access.issue(caller, new ViewerScope(requested.level(), owner.patientId(),
                    owner.issuerOfPatientId(), study, series), contents);
            access.guard().audit(rq, Action.RETRIEVE, owner.patientId(), study, "viewer token issued",
                    "Weasis manifest (" + requested.level() + "), token " + token.id() + " until "
                            + token.expiresAt() + contents.origin());
        } else {
            access.guard().audit(rq, Action.RETRIEVE, owner.patientId(), study, "success",
                    "Weasis manifest for viewer token " + token.id() + contents.origin());
        }
        WeasisManifest mf = WeasisManifest.withToken(NodeUrls.wadoUri(rq, dicomWeb), token, List.of(contents.patient()));
        return ResponseEntity.ok().contentType(new MediaType("application", "xml", StandardCharsets.UTF_8))
                .cacheControl(CacheControl.noStore()).body(mf.toXml().getBytes(StandardCharsets.UTF_8));
    }


    private ResponseEntity<Map<String, Object>> launch(HttpServletRequest rq, String study, String series) {
        ViewerToken token = access.launch(rq, "Weasis launch", study, series).orElse(null);
        if (token == null) {
            return ResponseEntity.notFound().build();
        }
        WeasisLaunch launch = WeasisLaunch.dicomWeb(NodeUrls.dicomWebBase(rq, dicomWeb), token);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("studyInstanceUID", study);
        if (series != null) {
            body.put("seriesInstanceUID", series);
        }
        body.put("weasisUri", launch.uri().toString());
        body.put("expiresAt", launch.expiresAt().toString());
        // older Weasis: $dicom:get -w on the manifest URL, which carries the same short-lived token as a parameter
        // a series launch opens the series' manifest: its series-scoped token could not open the study's
        String manifestUrl = NodeUrls.origin(rq) + "/viewer/weasis/studies/" + study
                + (series == null ? "" : "/series/" + series) + "/manifest.xml";
        body.put("manifestUrl", manifestUrl);
        body.put("manifestWeasisUri", WeasisLaunch.manifest(manifestUrl + "?token=" + token.value(),
                token.expiresAt()).uri().toString());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(body);
    }
}
