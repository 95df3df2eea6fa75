package org.imagingnode.bridge.space;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.security.Caller;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Professionals' side of the patient space.
 * <ul>
 * <li>{@code POST /api/break-glass} ({@code {"nationalId", "issuer", "reason"}}, professional token): emergency
 * access to all the person's studies, hidden ones included, for {@code node.space.break-glass-duration};
 * a reason is required; flagged in the patient's history.</li>
 * <li>Site staff (professionals whose organisation is {@code node.space.organisation}), reconciliation:
 * {@code PUT /api/site/links} ({@code {"localPatientId", "localIssuer", "nationalId", "issuer"}}) links a local
 * patient to a person, {@code DELETE /api/site/links?localPatientId=&localIssuer=} unlinks,
 * {@code GET /api/site/reconciliation} lists the studies linked to nobody (with the identities claimed for
 * them), {@code POST /api/site/guardianships} ({@code {"minor": {...}, "guardian": {...}}}) confirms an
 * attachment a guardian asked for.</li>
 * </ul>
 */
@RestController
@ConditionalOnProperty(name = "node.security.mode", havingValue = "tokens")
public class ProfessionalApiController {
    private final SpaceApi api;
    private final PatientSpace space;
    private final SpaceProperties props;

    ProfessionalApiController(SpaceApi api, PatientSpace space, SpaceProperties props) {
        this.api = api;
        this.space = space;
        this.props = props;
    }

    public record BreakGlassRequest(String nationalId, String issuer, String reason) {
    }

    @PostMapping("/api/break-glass")
    public ResponseEntity<Map<String, Object>> breakGlass(@RequestBody(required = false) BreakGlassRequest body,
            HttpServletRequest rq) {
        Caller caller = api.caller(rq, "break-glass", PatientSpacePolicy.PROFESSIONAL);
        if (body == null) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "nationalId and reason required");
        }
        NationalId patient = new PatientApiController.PersonRequest(body.nationalId(), body.issuer())
                .toId(props.defaultIssuer());
        if (body.reason() == null || body.reason().isBlank()) {
            api.audit(caller, "break-glass", patient.cx(), null, "denied", "emergency access without a reason");
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "an emergency access needs a reason");
        }
        String reason = body.reason().strip();
        if (reason.length() > 1000) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "reason too long");
        }
        PatientSpace.BreakGlassGrant g = space.breakGlass(patient, caller.id(), reason, props.breakGlassDuration(),
                caller.address());
        api.audit(caller, "break-glass", patient.cx(), null, "success",
                "EMERGENCY ACCESS until " + g.expiresAt() + ", reason: " + reason);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("patient", patient.cx());
        out.put("expiresAt", g.expiresAt().toString());
        return ResponseEntity.status(HttpStatus.CREATED).body(out);
    }

    private Caller siteStaff(HttpServletRequest rq, String action) {
        Caller caller = api.caller(rq, action, PatientSpacePolicy.PROFESSIONAL);
        var token = api.policy().token(caller);
        String org = token == null ? null : token.organisation();
        if (props.organisation() == null || !props.organisation().equals(org)) {
            api.audit(caller, action, null, null, "denied", "not staff of this site");
            throw new SpaceApi.ApiException(HttpStatus.FORBIDDEN, "access denied");
        }
        return caller;
    }

    public record LinkRequest(String localPatientId, String localIssuer, String nationalId, String issuer) {
    }

    @PutMapping("/api/site/links")
    public ResponseEntity<Map<String, Object>> link(@RequestBody(required = false) LinkRequest body,
            HttpServletRequest rq) {
        Caller caller = siteStaff(rq, "link-identity");
        if (body == null) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "localPatientId and nationalId required");
        }
        String pid = SpaceApi.requireText(body.localPatientId(), "localPatientId");
        String issuer = body.localIssuer() == null ? "" : body.localIssuer().strip();
        NationalId who = new PatientApiController.PersonRequest(body.nationalId(), body.issuer())
                .toId(props.defaultIssuer());
        PatientSpace.LinkOutcome outcome = space.link(pid, issuer, who, "api", caller.id(), null);
        api.audit(caller, "link-identity", who.cx(), null, outcome == PatientSpace.LinkOutcome.CONFLICT ? "failure" : "success",
                "local patient " + pid + " (" + issuer + "): " + outcome);
        if (outcome == PatientSpace.LinkOutcome.CONFLICT) {
            throw new SpaceApi.ApiException(HttpStatus.CONFLICT, "local patient already linked to another person;"
                    + " unlink it first");
        }
        return ResponseEntity.status(outcome == PatientSpace.LinkOutcome.LINKED ? HttpStatus.CREATED : HttpStatus.OK)
                .body(Map.of("outcome", outcome.name()));
    }

    @DeleteMapping("/api/site/links")
    public ResponseEntity<Void> unlink(@RequestParam String localPatientId,
            @RequestParam(required = false, defaultValue = "") String localIssuer, HttpServletRequest rq) {
        Caller caller = siteStaff(rq, "unlink-identity");
        boolean removed = space.unlink(localPatientId, localIssuer);
        api.audit(caller, "unlink-identity", null, null, removed ? "success" : "failure",
                "local patient " + localPatientId + " (" + localIssuer + ") unlinked");
        return removed ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }

    @GetMapping("/api/site/reconciliation")
    public Object reconciliation(@RequestParam(required = false, defaultValue = "200") int limit,
            HttpServletRequest rq) {
        Caller caller = siteStaff(rq, "reconciliation");
        var list = space.unlinkedStudies(limit);
        api.audit(caller, "reconciliation", null, null, "success", "unlinked studies listed: " + list.size());
        return list;
    }

    public record GuardianshipRequest(PatientApiController.PersonRequest minor,
            PatientApiController.PersonRequest guardian) {
    }

    @PostMapping("/api/site/guardianships")
    public ResponseEntity<Void> confirm(@RequestBody(required = false) GuardianshipRequest body, HttpServletRequest rq) {
        Caller caller = siteStaff(rq, "confirm-guardian");
        if (body == null || body.minor() == null || body.guardian() == null) {
            throw new SpaceApi.ApiException(HttpStatus.BAD_REQUEST, "minor and guardian required");
        }
        NationalId minor = body.minor().toId(props.defaultIssuer());
        NationalId guardian = body.guardian().toId(props.defaultIssuer());
        boolean ok = space.confirmGuardianship(minor, guardian, caller.id());
        api.audit(caller, "confirm-guardian", minor.cx(), null, ok ? "success" : "failure",
                "guardian " + guardian.cx());
        return ok ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }
}
