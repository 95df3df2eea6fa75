package org.imagingnode.bridge.viewer;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.dimse.AeRegistry;
import org.imagingnode.bridge.export.ImportDestinations;
import org.imagingnode.bridge.export.PacsImports;
import org.imagingnode.bridge.export.StoredStudy;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.space.PatientSpacePolicy;
import org.imagingnode.viewer.ViewerScope;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * "Import into my PACS", for professionals (their own token; never a viewer token nor a share link):
 * <ul>
 * <li>{@code GET /viewer/imports/destinations}: the AEs this professional may send to
 * ({@code node.pacs-import.destinations}: bound to their organisation or to them);</li>
 * <li>{@code POST /viewer/imports} ({@code {"studyInstanceUID", "destination"}}): 202 and the job, which sends the
 * study by C-STORE in the background; a study the policy hides is 404, a destination not theirs 403. A study held
 * by another node (found through the patient-space index) is fetched from it first, with the professional's own
 * credentials, then sent under this node's identity of the patient, as a C-MOVE of it would be;</li>
 * <li>{@code GET /viewer/imports/{id}}: the job's state ({@code queued}, {@code fetching}, {@code sending},
 * {@code completed}, {@code failed}, {@code cancelling}, {@code cancelled}) and counts, for the professional who
 * asked only;</li>
 * <li>{@code POST /viewer/imports/{id}/cancel}: stops it (their own only).</li>
 * </ul>
 * Requests, refusals and outcomes are audited (channel "viewer").
 */
@RestController
public class PacsImportController {
    private final ViewerAccess access;
    private final InstanceIndex index;
    private final ImportDestinations destinations;
    private final PacsImports imports;
    /** Studies of other nodes (sharing consumer), or null. */
    private final RemoteStudies remote;

    PacsImportController(ViewerAccess access, InstanceIndex index, ImportDestinations destinations,
            PacsImports imports, Optional<RemoteStudies> remote) {
        this.access = access;
        this.index = index;
        this.destinations = destinations;
        this.imports = imports;
        this.remote = remote.orElse(null);
    }

    public record ImportRequest(String studyInstanceUID, String destination) {
    }

    @GetMapping(value = "/viewer/imports/destinations", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> destinations(HttpServletRequest rq) {
        Caller caller = professional(rq, access.authenticate(rq));
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(Map.of("destinations",
                destinations.allowedFor(caller.id(), access.guard().policy().organisationOf(caller))));
    }

    @PostMapping(value = "/viewer/imports", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> start(@RequestBody(required = false) ImportRequest body,
            HttpServletRequest rq) {
        Caller caller = professional(rq, access.authenticate(rq));
        if (body == null || body.studyInstanceUID() == null || body.destination() == null) {
            throw new IllegalArgumentException("studyInstanceUID and destination are required");
        }
        String studyUid = body.studyInstanceUID().strip();
        ViewerScope.study(null, null, studyUid); // validates the UID
        String ae = body.destination().strip();
        StoredStudy study = StoredStudy.read(index, studyUid).orElse(null);
        if (study == null) {
            return startRemote(rq, caller, studyUid, ae);
        }
        access.guard().check(rq, Action.RETRIEVE, study.patientId(), study.issuerOfPatientId(), studyUid);
        AeRegistry.RemoteAe destination = destination(rq, caller, ae, study.patientId(), studyUid);
        PacsImports.Job job = imports.start(caller, ViewerAccess.CHANNEL, study, destination);
        return started(rq, job, study.instances().size(), "");
    }

    /**
     * The import of a study another node holds, as its source lists it to the caller (asked now, with the caller's
     * credentials: the source applies the patient's rules); 404 as for an unknown study when it lists nothing.
     */
    private ResponseEntity<Map<String, Object>> startRemote(HttpServletRequest rq, Caller caller, String studyUid,
            String ae) {
        RemoteStudies.Study study = remote == null ? null : remote.find(studyUid, caller).orElse(null);
        // a source that cannot answer is the caller's error to see (ViewerErrors: 502, 503)
        List<RemoteStudies.Ref> instances = study == null ? List.of()
                : RemoteStudies.unlessNotFound(() -> study.instances(null, null));
        if (instances.isEmpty()) {
            access.guard().audit(caller, ViewerAccess.CHANNEL, Action.RETRIEVE, null, studyUid, "not found",
                    "import into a PACS");
            return ResponseEntity.notFound().build();
        }
        AeRegistry.RemoteAe destination = destination(rq, caller, ae, study.patient(), studyUid);
        PacsImports.Job job = imports.start(caller, ViewerAccess.CHANNEL, studyUid, study, instances, destination);
        return started(rq, job, instances.size(), " (remote study, node " + study.sourceNode() + ")");
    }

    /** The AE this professional asked for, when it is one they may send to; refused (and audited) otherwise. */
    private AeRegistry.RemoteAe destination(HttpServletRequest rq, Caller caller, String ae, String patientId,
            String studyUid) {
        return destinations.destination(ae, caller.id(), access.guard().policy().organisationOf(caller))
                .orElseThrow(() -> {
                    access.guard().audit(rq, Action.RETRIEVE, patientId, studyUid, "denied", "import into a PACS:"
                            + " destination '" + abbreviate(ae) + "' not allowed for this professional");
                    return new AccessDeniedException("access denied", true);
                });
    }

    private ResponseEntity<Map<String, Object>> started(HttpServletRequest rq, PacsImports.Job job, int instances,
            String origin) {
        access.guard().audit(rq, Action.RETRIEVE, job.patientId(), job.studyInstanceUid(), "success",
                "import into a PACS requested: " + instances + " instances to " + job.destination() + " (job "
                        + job.id() + ")" + origin);
        return ResponseEntity.accepted().location(URI.create(rq.getContextPath() + "/viewer/imports/" + job.id()))
                .cacheControl(CacheControl.noStore()).body(json(job));
    }

    @GetMapping(value = "/viewer/imports/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> status(@PathVariable String id, HttpServletRequest rq) {
        Caller caller = professional(rq, access.authenticate(rq));
        UUID uuid = jobId(id);
        if (uuid == null) {
            return ResponseEntity.notFound().build();
        }
        return imports.find(uuid, caller.id()).map(j -> ResponseEntity.ok().cacheControl(CacheControl.noStore())
                .body(json(j))).orElseGet(() -> ResponseEntity.notFound().build());
    }

    /**
     * Cancels the caller's own job: {@code 200} and the job {@code cancelled} if it was still waiting, {@code 202}
     * and the job {@code cancelling} while its node stops after the instance in flight; {@code 409} and the job if
     * it is already over; {@code 404} for anyone else's. The request is audited, and the job's end too.
     */
    @PostMapping(value = "/viewer/imports/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> cancel(@PathVariable String id, HttpServletRequest rq) {
        Caller caller = professional(rq, access.authenticate(rq));
        UUID uuid = jobId(id);
        PacsImports.Job job = uuid == null ? null : imports.cancel(uuid, caller.id()).orElse(null);
        if (job == null) {
            return ResponseEntity.notFound().build();
        }
        HttpStatus status = switch (job.state()) {
            case "cancelled" -> HttpStatus.OK;
            case "cancelling" -> HttpStatus.ACCEPTED;
            default -> HttpStatus.CONFLICT;
        };
        // the job's patient, so that the request shows in their access history like the job's outcome
        access.guard().audit(rq, Action.RETRIEVE, job.patientId(), job.studyInstanceUid(),
                status == HttpStatus.CONFLICT ? "failure" : "success",
                "import into a PACS: cancel requested (job " + job.id() + ", " + job.state() + ")");
        return ResponseEntity.status(status).cacheControl(CacheControl.noStore()).body(json(job));
    }

    private static UUID jobId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @ExceptionHandler(PacsImports.BusyException.class)
    ResponseEntity<Map<String, Object>> busy(PacsImports.BusyException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "30")
                .body(Map.of("error", e.getMessage()));
    }

    /** Imports are for professionals: anyone else is refused (and audited). */
    private Caller professional(HttpServletRequest rq, Caller caller) {
        if (!PatientSpacePolicy.PROFESSIONAL.equals(caller.role())) {
            access.guard().audit(caller, ViewerAccess.CHANNEL, Action.RETRIEVE, null, null, "denied",
                    rq.getMethod() + " " + rq.getRequestURI() + ": import into a PACS is for professionals");
            throw new AccessDeniedException("access denied", true);
        }
        return caller;
    }

    private static Map<String, Object> json(PacsImports.Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id().toString());
        m.put("studyInstanceUID", j.studyInstanceUid());
        m.put("destination", j.destination());
        m.put("state", j.state());
        m.put("total", j.total());
        if (j.sourceNode() != null) {
            m.put("sourceNode", j.sourceNode());
            m.put("fetched", j.fetched());
        }
        m.put("completed", j.completed());
        m.put("warning", j.warning());
        m.put("failed", j.failed());
        if (j.error() != null) {
            m.put("error", j.error());
        }
        m.put("createdAt", j.createdAt().toString());
        m.put("updatedAt", j.updatedAt().toString());
        return m;
    }

    private static String abbreviate(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7E]", "?");
        return clean.length() > 16 ? clean.substring(0, 16) + "..." : clean;
    }
}
