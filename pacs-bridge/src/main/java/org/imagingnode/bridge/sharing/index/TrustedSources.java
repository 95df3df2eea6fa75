package org.imagingnode.bridge.sharing.index;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.sharing.nodeauth.DicomWebBase;
import org.imagingnode.bridge.sharing.nodeauth.NodeAuthProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Which address a node's index entries may name: the DICOMweb base configured for that trusted node
 * ({@code node.sharing.auth.trusted-nodes.<id>.dicomweb-url}), and no other. Professionals' tokens are valid at
 * every node of the network, so an entry naming any other address (a wrong or hostile entry, a node not trusted, a
 * trusted node without that setting) is refused twice: by the index when the node publishes it
 * ({@link #refusal}), and by a consumer about to send a caller's token there ({@link #follow}), for entries an
 * index that does not check holds. Each refusal is audited as a security alert ({@value #AUDIT_ACTION}).
 */
@Component
public class TrustedSources {
    private static final Logger log = LoggerFactory.getLogger(TrustedSources.class);
    static final String AUDIT_ACTION = "untrusted-source";

    private final Map<String, DicomWebBase> bases = new LinkedHashMap<>();
    private final Set<String> trusted;
    private final AuditLog audit;

    public TrustedSources(NodeAuthProperties nodes, AuditLog audit) {
        this.trusted = nodes.trustedNodes().keySet();
        this.audit = audit;
        nodes.trustedNodes().forEach((id, node) -> node.dicomwebBase().ifPresent(b -> bases.put(id, b)));
    }

    /** The trusted nodes whose studies are followed, with their DICOMweb base (for the start-up log). */
    public Map<String, String> followed() {
        Map<String, String> out = new LinkedHashMap<>();
        bases.forEach((id, b) -> out.put(id, b.url()));
        return out;
    }

    /**
     * Why an entry of {@code node} naming {@code retrieveUrl} is refused, naming the setting that decides (and the
     * base it holds); empty when the URL is that node's configured base.
     */
    public Optional<String> refusal(String node, String retrieveUrl) {
        DicomWebBase base = bases.get(node);
        if (base != null && base.isNamedBy(retrieveUrl)) {
            return Optional.empty();
        }
        String setting = "node.sharing.auth.trusted-nodes." + node + ".dicomweb-url";
        return Optional.of(!trusted.contains(node) ? "node " + node + " is not a trusted node"
                + " (node.sharing.auth.trusted-nodes." + node + ".public-key-file or .jwks-uri, and " + setting + ")"
                : base == null ? "no DICOMweb base is configured for node " + node + " (" + setting + ")"
                : "node " + node + "'s DICOMweb base is " + base.url() + " (" + setting + ")");
    }

    /**
     * The DICOMweb base to ask {@code node} about a study at, when {@code retrieveUrl} is the one configured for
     * it; else empty, after a WARN line and an audit event naming the caller, the patient (as {@code cx}) and the
     * study.
     */
    public Optional<String> follow(String node, String retrieveUrl, Caller caller, String patient, String studyUid) {
        Optional<String> why = refusal(node, retrieveUrl);
        if (why.isEmpty()) {
            return Optional.of(bases.get(node).url());
        }
        String url = printable(retrieveUrl);
        log.warn("study {} at node {} not followed: its index entry names {} but {}; no token is sent there",
                studyUid, node, url, why.get());
        alert(caller.id(), caller.role(), patient, studyUid, "index entry not followed: node " + node + " at " + url
                + "; " + why.get(), caller.address());
        return Optional.empty();
    }

    /** Audits a refused address as a security alert (channel {@value PatientIndex#CHANNEL}). */
    void alert(String actor, String role, String patient, String studyUid, String detail, String address) {
        try {
            audit.record(new AuditEvent(Instant.now(), actor, role, AUDIT_ACTION, PatientIndex.CHANNEL, patient,
                    studyUid, "denied", detail, address));
        } catch (RuntimeException e) {
            log.error("could not audit the refused index entry of study {}: {}", studyUid, e.toString());
        }
    }

    /** A URL fit for a log line or an answer: at most 200 characters, printable ASCII. */
    static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return t.replaceAll("[^\\x21-\\x7E]", "?");
    }
}
