package org.imagingnode.bridge.sharing.consumer;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.sharing.index.PatientIndex;
import org.imagingnode.bridge.sharing.nodeauth.DicomWebBase;
import org.imagingnode.bridge.sharing.nodeauth.NodeAuthProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the consumer may send a caller's token: a source node's studies are followed only at the DICOMweb base
 * configured for that trusted node ({@code node.sharing.auth.trusted-nodes.<id>.dicomweb-url}). Professionals'
 * tokens are valid at every node of the network, so an index entry naming any other address (a wrong or hostile
 * entry, a node not trusted, a trusted node without that setting) is refused: logged with the setting that would
 * allow it, and audited as a security alert ({@value #AUDIT_ACTION}).
 */
public class TrustedSources {
    private static final Logger log = LoggerFactory.getLogger(TrustedSources.class);
    static final String AUDIT_ACTION = "untrusted-source";

    private final Map<String, DicomWebBase> bases = new LinkedHashMap<>();
    private final java.util.Set<String> trusted;
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
     * The DICOMweb base to ask {@code node} about a study at, when {@code retrieveUrl} is the one configured for
     * it; else empty, after a WARN line and an audit event naming the caller, the patient (as {@code cx}) and the
     * study.
     */
    public Optional<String> follow(String node, String retrieveUrl, Caller caller, String patient, String studyUid) {
        DicomWebBase base = bases.get(node);
        if (base != null && base.isNamedBy(retrieveUrl)) {
            return Optional.of(base.url());
        }
        String setting = "node.sharing.auth.trusted-nodes." + node + ".dicomweb-url";
        String url = printable(retrieveUrl);
        String why = !trusted.contains(node) ? "node " + node + " is not a trusted node (node.sharing.auth.trusted-nodes."
                + node + ".public-key-file or .jwks-uri, and " + setting + ")"
                : base == null ? "no DICOMweb base is configured for node " + node + " (" + setting + ")"
                : "node " + node + "'s DICOMweb base is " + base.url() + " (" + setting + ")";
        log.warn("study {} at node {} not followed: its index entry names {} but {}; no token is sent there",
                studyUid, node, url, why);
        try {
            audit.record(new AuditEvent(Instant.now(), caller.id(), caller.role(), AUDIT_ACTION, PatientIndex.CHANNEL,
                    patient, studyUid, "denied", "index entry not followed: node " + node + " at " + url + "; " + why,
                    caller.address()));
        } catch (RuntimeException e) {
            log.error("could not audit the refused index entry of study {}: {}", studyUid, e.toString());
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return t.replaceAll("[^\\x21-\\x7E]", "?");
    }
}
