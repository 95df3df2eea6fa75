package org.imagingnode.bridge.space;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.dicomweb.DicomWebProperties;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.security.Caller;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The patient API (JSON, bearer token of a patient), under {@code /api/patient}. Every call acts for the
 * caller, or with {@code ?for=<national id in CX form>} for a person the caller is the confirmed guardian of
 * (or, for reading only, the trusted person of). Every call is audited (channel {@code API}).
 *
 * <ul>
 * <li>{@code GET /studies}: the person's studies from every site (date, modalities, description, site,
 * report status, hidden flag, and a thumbnail URL an {@code <img>} can load: see {@link ThumbnailLinks})</li>
 * <li>{@code PUT|DELETE /studies/{study}/hidden}: hide a study from professionals, or show it again</li>
 * <li>{@code GET /blocked-professionals}, {@code PUT|DELETE /blocked-professionals/{id}}</li>
 * <li>{@code GET /history}: who accessed what, when, from where; emergency accesses flagged</li>
 * <li>{@code POST /studies/{study}/share-links} ({@code {"lifetimeSeconds": n}}), {@code GET /share-links},
 * {@code DELETE /share-links/{id}}: time-limited links to one study, presented as {@code Bearer <token>}</li>
 * <li>{@code POST /minors} ({@code {"nationalId", "issuer"}}): ask to be attached to a minor as guardian
 * (effective once the site confirms it); {@code POST|DELETE /trusted-persons}; {@code GET /delegations}</li>
 * </ul>
 */
@RestController
@RequestMapping("/api/patient")
@ConditionalOnProperty(name = "node.security.mode", havingValue = "tokens")
public class PatientApiController {
    static final String CHANNEL = "API";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SpaceApi api;
    private final PatientSpace space;
    private final SpaceProperties props;
    private final DicomWebProperties dicomWeb;
    private final ThumbnailLinks thumbnails;
    private final RemoteStudies remote;

    PatientApiController(SpaceApi api, PatientSpace space, SpaceProperties props, DicomWebProperties dicomWeb,
            ThumbnailLinks thumbnails, Optional<RemoteStudies> remote) {
        this.api = api;
        this.space = space;
        this.props = props;
        this.dicomWeb = dicomWeb;
        this.thumbnails = thumbnails;
        this.remote = remote.orElse(null);
    }

    /** The person acted for, after checking the caller may (else 401/403, audited). */
    private NationalId subject(HttpServletRequest rq, String action, String forWhom, boolean manage) {
        Caller caller = api.caller(rq, action, PatientSpacePolicy.PATIENT);
        NationalId self = NationalId.parseCx(caller.id());
        if (forWhom == null || forWhom.isBlank()) {
            return self;
        }
        NationalId other = NationalId.parseCx(forWhom.strip());
        if (other == null) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "'for' must be a national identifier id^^^&issuer&ISO");
        }
        if (!space.mayActFor(self, other, manage)) {
            api.audit(caller, action, forWhom, null, "denied", "not a guardian or trusted person of this patient");
            throw new SpaceApi.ApiException(HttpStatus.FORBIDDEN, "access denied");
        }
        return other;
    }

    @GetMapping("/studies")
    public ResponseEntity<List<Map<String, Object>>> studies(@RequestParam(name = "for", required = false) String forWhom,
            HttpServletRequest rq) {
        NationalId who = subject(rq, "query", forWhom, false);
        Caller caller = api.caller(rq);
        List<Map<String, Object>> out = new ArrayList<>();
        for (PatientSpace.StudySummary s : space.studies(who)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("studyInstanceUID", s.studyInstanceUid());
            m.put("studyDate", s.studyDate() == null ? null : s.studyDate().toString());
            m.put("studyTime", s.studyTime());
            m.put("description", s.description());
            m.put("accessionNumber", s.accessionNumber());
            m.put("modalities", s.modalities());
            m.put("numberOfInstances", s.instances());
            m.put("site", s.site());
            m.put("reportStatus", s.reportStatus());
            m.put("hidden", s.hidden());
            // an <img> sends no header: the URL carries a short-lived token for this one thumbnail
            m.put("thumbnailUrl", dicomWeb.basePath() + "/studies/" + s.studyInstanceUid() + "/thumbnail?token="
                    + thumbnails.issue(s.studyInstanceUid(), caller.id()));
            m.put("retrieveUrl", dicomWeb.basePath() + "/studies/" + s.studyInstanceUid());
            out.add(m);
        }
        int local = out.size();
        List<String> warnings = new ArrayList<>();
        if (remote != null) {
            out.addAll(remoteStudies(rq, who, out, warnings));
        }
        api.audit(api.caller(rq), "query", who.cx(), null, "success", "patient API: list of studies, " + local
                + (out.size() > local ? " and " + (out.size() - local) + " held by other nodes" : ""));
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().cacheControl(CacheControl.noStore());
        warnings.forEach(w -> ok.header("Warning", w));
        return ok.body(out);
    }

    /**
     * The person's studies other nodes hold, found in the patient-space index and described by their source nodes
     * (which decide with the caller's token); opened through this node like local ones. Whether one is hidden is
     * decided, and changed, at its source node.
     */
    private List<Map<String, Object>> remoteStudies(HttpServletRequest rq, NationalId who, List<Map<String, Object>> local,
            List<String> warnings) {
        Caller caller = api.caller(rq);
        Set<String> known = new HashSet<>();
        local.forEach(m -> known.add((String) m.get("studyInstanceUID")));
        Map<String, List<String>> query = Map.of("PatientID", List.of(who.id()), "IssuerOfPatientID",
                List.of(who.issuer()));
        List<Map<String, Object>> out = new ArrayList<>();
        for (RemoteStudies.Match match : remote.studies(caller, query, known, dicomWeb.basePath(), warnings)) {
            JsonNode d;
            try {
                d = JSON.readTree(match.json());
            } catch (IOException e) {
                continue;
            }
            String uid = match.studyUid();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("studyInstanceUID", uid);
            String date = value(d, "00080020");
            m.put("studyDate", date == null || date.length() != 8 ? null
                    : date.substring(0, 4) + "-" + date.substring(4, 6) + "-" + date.substring(6));
            m.put("studyTime", value(d, "00080030"));
            m.put("description", value(d, "00081030"));
            m.put("accessionNumber", value(d, "00080050"));
            List<String> modalities = new ArrayList<>();
            d.path("00080061").path("Value").forEach(v -> modalities.add(v.asText()));
            m.put("modalities", modalities);
            m.put("numberOfInstances", d.path("00201208").path("Value").path(0).asInt(0));
            m.put("site", remote.find(uid, caller).map(RemoteStudies.Study::sourceNode).orElse(null));
            m.put("reportStatus", null);
            m.put("hidden", null);
            m.put("remote", true);
            m.put("thumbnailUrl", dicomWeb.basePath() + "/studies/" + uid + "/thumbnail");
            m.put("retrieveUrl", dicomWeb.basePath() + "/studies/" + uid);
            out.add(m);
        }
        return out;
    }

    private static String value(JsonNode dicomJson, String tag) {
        JsonNode v = dicomJson.path(tag).path("Value").path(0);
        return v.isValueNode() ? v.asText() : null;
    }

    @PutMapping("/studies/{study}/hidden")
    public ResponseEntity<Void> hide(@PathVariable String study,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "hide-study", forWhom, true);
        requireOwnStudy(rq, who, study, "hide-study");
        space.hide(who, study);
        api.audit(api.caller(rq), "hide-study", who.cx(), study, "success", "study hidden from professionals");
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/studies/{study}/hidden")
    public ResponseEntity<Void> unhide(@PathVariable String study,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "unhide-study", forWhom, true);
        requireOwnStudy(rq, who, study, "unhide-study");
        space.unhide(who, study);
        api.audit(api.caller(rq), "unhide-study", who.cx(), study, "success", "study shown to professionals again");
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/blocked-professionals")
    public List<String> blocked(@RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "read-settings", forWhom, true);
        return space.blocked(who);
    }

    @PutMapping("/blocked-professionals/{professionalId}")
    public ResponseEntity<Void> block(@PathVariable String professionalId,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "block-professional", forWhom, true);
        String pro = SpaceApi.requireText(professionalId, "professional identifier");
        space.block(who, pro);
        api.audit(api.caller(rq), "block-professional", who.cx(), null, "success", "blocked professional " + pro);
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/blocked-professionals/{professionalId}")
    public ResponseEntity<Void> unblock(@PathVariable String professionalId,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "unblock-professional", forWhom, true);
        String pro = SpaceApi.requireText(professionalId, "professional identifier");
        space.unblock(who, pro);
        api.audit(api.caller(rq), "unblock-professional", who.cx(), null, "success", "unblocked professional " + pro);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/history")
    public ResponseEntity<List<Map<String, Object>>> history(@RequestParam(name = "for", required = false) String forWhom,
            @RequestParam(name = "limit", required = false, defaultValue = "200") int limit, HttpServletRequest rq) {
        NationalId who = subject(rq, "read-history", forWhom, false);
        List<Map<String, Object>> out = new ArrayList<>();
        for (PatientSpace.HistoryEntry e : space.history(who, limit)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", e.time().toString());
            m.put("actor", e.actor());
            m.put("role", e.actorRole());
            m.put("action", e.action());
            m.put("channel", e.channel());
            m.put("studyInstanceUID", e.studyInstanceUid());
            m.put("outcome", e.outcome());
            m.put("detail", e.detail());
            m.put("sourceAddress", e.sourceAddress());
            m.put("emergency", e.emergency());
            out.add(m);
        }
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(out);
    }

    public record ShareRequest(Long lifetimeSeconds) {
    }

    @PostMapping("/studies/{study}/share-links")
    public ResponseEntity<Map<String, Object>> share(@PathVariable String study,
            @RequestBody(required = false) ShareRequest body,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "share-link-create", forWhom, true);
        requireOwnStudy(rq, who, study, "share-link-create");
        Duration life = body == null || body.lifetimeSeconds() == null ? Duration.ofDays(7)
                : Duration.ofSeconds(body.lifetimeSeconds());
        if (life.isNegative() || life.isZero() || life.compareTo(props.shareLinkMaxLifetime()) > 0) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "lifetimeSeconds must be positive and at most "
                    + props.shareLinkMaxLifetime().toSeconds());
        }
        PatientSpace.NewShareLink link = space.createShareLink(who, study, life, api.caller(rq).id());
        api.audit(api.caller(rq), "share-link-create", who.cx(), study, "success",
                "share link " + link.link().id() + " until " + link.link().expiresAt());
        Map<String, Object> m = shareLink(link.link());
        m.put("token", link.token());
        m.put("retrieveUrl", dicomWeb.basePath() + "/studies/" + study);
        return ResponseEntity.status(HttpStatus.CREATED).cacheControl(CacheControl.noStore()).body(m);
    }

    @GetMapping("/share-links")
    public List<Map<String, Object>> shareLinks(@RequestParam(name = "for", required = false) String forWhom,
            HttpServletRequest rq) {
        NationalId who = subject(rq, "read-settings", forWhom, true);
        return space.shareLinks(who).stream().map(PatientApiController::shareLink).toList();
    }

    @DeleteMapping("/share-links/{id}")
    public ResponseEntity<Void> revoke(@PathVariable String id,
            @RequestParam(name = "for", required = false) String forWhom, HttpServletRequest rq) {
        NationalId who = subject(rq, "share-link-revoke", forWhom, true);
        if (!space.revokeShareLink(who, id)) {
            throw new SpaceApi.ApiException(HttpStatus.NOT_FOUND, "no such share link");
        }
        api.audit(api.caller(rq), "share-link-revoke", who.cx(), null, "success", "share link " + id + " revoked");
        return ResponseEntity.noContent().build();
    }

    private static Map<String, Object> shareLink(PatientSpace.ShareLink l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", l.id());
        m.put("studyInstanceUID", l.studyInstanceUid());
        m.put("createdAt", l.createdAt().toString());
        m.put("expiresAt", l.expiresAt().toString());
        m.put("revokedAt", l.revokedAt() == null ? null : l.revokedAt().toString());
        m.put("active", l.revokedAt() == null && l.expiresAt().isAfter(Instant.now()));
        return m;
    }

    public record PersonRequest(String nationalId, String issuer) {
        NationalId toId(String defaultIssuer) {
            try {
                return new NationalId(nationalId == null ? "" : nationalId,
                        issuer == null || issuer.isBlank() ? defaultIssuer : issuer);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "nationalId (and issuer) required");
            }
        }
    }

    @PostMapping("/minors")
    public ResponseEntity<Map<String, Object>> attachMinor(@RequestBody(required = false) PersonRequest body,
            HttpServletRequest rq) {
        NationalId self = subject(rq, "attach-minor", null, true);
        NationalId minor = (body == null ? new PersonRequest(null, null) : body).toId(props.defaultIssuer());
        if (minor.equals(self)) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "one cannot be one's own guardian");
        }
        space.requestGuardianship(minor, self, self.cx());
        api.audit(api.caller(rq), "attach-minor", minor.cx(), null, "pending",
                "guardian " + self.cx() + " asked to be attached; the site must confirm");
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("minor", minor.cx(), "status", "pending"));
    }

    @PostMapping("/trusted-persons")
    public ResponseEntity<Map<String, Object>> designate(@RequestBody(required = false) PersonRequest body,
            HttpServletRequest rq) {
        NationalId self = subject(rq, "designate-trusted", null, true);
        NationalId trusted = (body == null ? new PersonRequest(null, null) : body).toId(props.defaultIssuer());
        if (trusted.equals(self)) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "one cannot be one's own trusted person");
        }
        space.designateTrusted(self, trusted, self.cx());
        api.audit(api.caller(rq), "designate-trusted", self.cx(), null, "success", "trusted person " + trusted.cx());
        return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("trustedPerson", trusted.cx()));
    }

    @DeleteMapping("/trusted-persons")
    public ResponseEntity<Void> removeTrusted(@RequestParam String nationalId,
            @RequestParam(required = false) String issuer, HttpServletRequest rq) {
        NationalId self = subject(rq, "remove-trusted", null, true);
        NationalId trusted = new PersonRequest(nationalId, issuer).toId(props.defaultIssuer());
        space.removeDelegation(self, trusted, "trusted");
        api.audit(api.caller(rq), "remove-trusted", self.cx(), null, "success", "trusted person " + trusted.cx()
                + " removed");
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/delegations")
    public List<Map<String, Object>> delegations(HttpServletRequest rq) {
        NationalId self = subject(rq, "read-settings", null, false);
        return space.delegations(self).stream().map(d -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("person", d.person().cx());
            m.put("delegate", d.delegate().cx());
            m.put("kind", d.kind());
            m.put("confirmed", d.confirmed());
            m.put("createdAt", d.createdAt().toString());
            return m;
        }).toList();
    }

    private void requireOwnStudy(HttpServletRequest rq, NationalId who, String study, String action) {
        if (!Uids.isValid(study)) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "invalid StudyInstanceUID");
        }
        if (!space.studyBelongsTo(who, study)) {
            api.audit(api.caller(rq), action, who.cx(), study, "denied", "not a study of this patient");
            throw new SpaceApi.ApiException(HttpStatus.NOT_FOUND, "no such study");
        }
    }

    @ExceptionHandler(SpaceApi.ApiException.class)
    ResponseEntity<Map<String, Object>> error(SpaceApi.ApiException e) {
        return SpaceApi.error(e);
    }
}
