package org.imagingnode.bridge.sharing.index;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessPolicy;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.Decision;
import org.imagingnode.bridge.sharing.nodeauth.AuthenticatedNode;
import org.imagingnode.bridge.sharing.nodeauth.InvalidNodeTokenException;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenVerifier;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpacePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The patient-space index's HTTP API (the index contract): source nodes publish and withdraw their studies with
 * their node token; professionals, patients, and nodes acting for a professional ask which studies exist for a
 * person, under the person's rules (the node's access policy decides each entry). Every call is audited.
 */
@RestController
class IndexController {
    private static final Logger log = LoggerFactory.getLogger(IndexController.class);
    static final String CHANNEL = PatientIndex.CHANNEL;
    /** Channel of a request a node makes for a professional (the professional's token forwarded). */
    static final String REMOTE_CHANNEL = "remote";
    static final String NODE_AUTHORIZATION = "X-Node-Authorization";
    private static final int MAX_ENTRY_LENGTH = 64 * 1024;

    /** A refusal or bad request, answered as JSON with its status. */
    static final class IndexApiException extends RuntimeException {
        final HttpStatus status;

        IndexApiException(HttpStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final PatientIndex index;
    private final NodeTokenVerifier nodes;
    private final AccessGuard guard;
    private final ObjectMapper json;
    private final TrustedSources trusted;

    IndexController(PatientIndex index, NodeTokenVerifier nodes, AccessGuard guard, ObjectMapper json,
            TrustedSources trusted) {
        this.json = json;
        this.trusted = trusted;
        this.index = index;
        this.nodes = nodes;
        this.guard = guard;
    }

    @PutMapping(path = "/index/v1/studies/{sourceNode}/{studyUid}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Void> put(@PathVariable String sourceNode, @PathVariable String studyUid,
            @RequestBody(required = false) String body, HttpServletRequest rq) {
        // authenticated before the body is even parsed
        AuthenticatedNode node = sourceNode(rq, sourceNode, studyUid, "index-publish");
        if (body == null || body.length() > MAX_ENTRY_LENGTH) {
            throw bad(node, rq, "index-publish", studyUid, "one index entry (JSON, at most 64 KB) is required");
        }
        IndexEntry entry;
        try {
            entry = json.readValue(body, IndexEntry.class).validated();
        } catch (JsonProcessingException e) {
            throw bad(node, rq, "index-publish", studyUid, "not an index entry (JSON)");
        } catch (IllegalArgumentException e) {
            throw bad(node, rq, "index-publish", studyUid, e.getMessage());
        }
        if (!entry.sourceNode().equals(sourceNode) || !entry.studyInstanceUid().equals(studyUid)) {
            throw bad(node, rq, "index-publish", studyUid, "sourceNode and studyInstanceUid must match the path");
        }
        refuseForeignAddress(node, entry, rq);
        index.publish(entry, node.nodeId(), rq.getRemoteAddr());
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/index/v1/studies/{sourceNode}/{studyUid}")
    ResponseEntity<Void> delete(@PathVariable String sourceNode, @PathVariable String studyUid,
            HttpServletRequest rq) {
        AuthenticatedNode node = sourceNode(rq, sourceNode, studyUid, "index-withdraw");
        index.withdraw(sourceNode, studyUid, node.nodeId(), rq.getRemoteAddr());
        return ResponseEntity.noContent().build();
    }

    @GetMapping(path = "/index/v1/patients/{issuer}/{id}/studies", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<List<IndexEntry>> studies(@PathVariable String issuer, @PathVariable String id,
            HttpServletRequest rq) {
        String via = forwardingNode(rq);
        String channel = via == null ? CHANNEL : REMOTE_CHANNEL;
        AccessPolicy policy = guard.policy();
        Caller caller = policy.authenticate(rq.getHeader(HttpHeaders.AUTHORIZATION), rq.getRemoteAddr());
        String suffix = via == null ? "" : " (for node " + via + ")";
        Decision endpoint;
        try {
            endpoint = policy.decide(AccessRequest.endpoint(caller, channel, Action.QUERY));
        } catch (RuntimeException e) {
            endpoint = Decision.deny("policy error");
        }
        if (!endpoint.allowed()) {
            guard.audit(caller, channel, Action.QUERY, null, null, "denied", "index query: " + endpoint.reason() + suffix);
            boolean anonymous = "anonymous".equals(caller.role());
            throw new IndexApiException(anonymous ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN,
                    anonymous ? "authentication required" : "access denied");
        }
        NationalId who;
        try {
            who = new NationalId(id, issuer);
        } catch (IllegalArgumentException e) {
            throw new IndexApiException(HttpStatus.BAD_REQUEST, "malformed national identifier");
        }
        List<IndexEntry> all = index.entries(who);
        List<IndexEntry> shown = all.stream().filter(e -> decide(policy, caller, channel, who, e.studyInstanceUid())
                .allowed()).toList();
        guard.audit(caller, channel, Action.QUERY, who.cx(), null, "success",
                "index query: " + shown.size() + " of " + all.size() + " entries shown" + suffix);
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(shown);
    }

    /** The node's one access policy, asked about a person's study; the patient space's rules in tokens mode. */
    private static Decision decide(AccessPolicy policy, Caller caller, String channel, NationalId who, String study) {
        try {
            return policy instanceof PatientSpacePolicy space ? space.decideForPerson(caller, who, study)
                    : policy.decide(new AccessRequest(caller, channel, Action.QUERY, who.id(), who.issuer(), study));
        } catch (RuntimeException e) {
            log.error("access policy failed on an index entry; hidden: {}", e.toString());
            return Decision.deny("policy error");
        }
    }

    /** The node named in the path, proved by its node token: else 401 (no or bad token) or 403 (another node). */
    private AuthenticatedNode sourceNode(HttpServletRequest rq, String sourceNode, String studyUid, String action) {
        AuthenticatedNode node;
        try {
            node = nodes.verify(rq.getHeader(HttpHeaders.AUTHORIZATION));
        } catch (InvalidNodeTokenException e) {
            record("anonymous", "anonymous", action, null, studyUid, "denied", e.getMessage(), rq.getRemoteAddr());
            throw new IndexApiException(HttpStatus.UNAUTHORIZED, "node authentication required");
        }
        if (!node.nodeId().equals(sourceNode)) {
            record(node.nodeId(), "node", action, null, studyUid, "denied", "node may only publish its own studies",
                    rq.getRemoteAddr());
            throw new IndexApiException(HttpStatus.FORBIDDEN, "a node publishes only its own studies");
        }
        return node;
    }

    /**
     * Refuses (403) an entry whose retrieveUrl is not the DICOMweb base this index has configured for its node:
     * consumers would send their callers' tokens there. A node without a configured base publishes nothing.
     */
    private void refuseForeignAddress(AuthenticatedNode node, IndexEntry entry, HttpServletRequest rq) {
        Optional<String> why = trusted.refusal(node.nodeId(), entry.retrieveUrl());
        if (why.isEmpty()) {
            return;
        }
        String url = TrustedSources.printable(entry.retrieveUrl());
        log.warn("index entry of study {} refused: node {} published retrieveUrl {} but {}", entry.studyInstanceUid(),
                node.nodeId(), url, why.get());
        trusted.alert(node.nodeId(), "node", entry.patient().nationalId().cx(), entry.studyInstanceUid(),
                "index entry refused: node " + node.nodeId() + " published " + url + "; " + why.get(),
                rq.getRemoteAddr());
        throw new IndexApiException(HttpStatus.FORBIDDEN, "retrieveUrl " + url + " refused: " + why.get()
                + " on the index");
    }

    /** The node a request is forwarded by, when it carries {@value #NODE_AUTHORIZATION}: else null. */
    private String forwardingNode(HttpServletRequest rq) {
        String header = rq.getHeader(NODE_AUTHORIZATION);
        if (header == null) {
            return null;
        }
        try {
            return nodes.verify(header).nodeId();
        } catch (InvalidNodeTokenException e) {
            record("anonymous", "anonymous", Action.QUERY.auditName(), null, null, "denied",
                    "index query: bad node token: " + e.getMessage(), rq.getRemoteAddr());
            throw new IndexApiException(HttpStatus.UNAUTHORIZED, "node authentication required");
        }
    }

    private IndexApiException bad(AuthenticatedNode node, HttpServletRequest rq, String action, String studyUid,
            String reason) {
        record(node.nodeId(), "node", action, null, studyUid, "failure", "bad entry: " + reason, rq.getRemoteAddr());
        return new IndexApiException(HttpStatus.BAD_REQUEST, reason);
    }

    private void record(String actor, String role, String action, String patient, String studyUid, String outcome,
            String detail, String address) {
        index.record(actor, role, action, patient, studyUid, outcome, detail, address);
    }

    @ExceptionHandler(IndexApiException.class)
    ResponseEntity<Map<String, String>> refused(IndexApiException e) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(e.status);
        if (e.status == HttpStatus.UNAUTHORIZED) {
            b.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"imaging-node\"");
        }
        return b.body(Map.of("error", e.getMessage()));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, String>> mediaType(Exception e) {
        return ResponseEntity.status(HttpStatus.UNSUPPORTED_MEDIA_TYPE).body(Map.of("error", "send application/json"));
    }
}
