package org.imagingnode.bridge.security;

import java.time.Instant;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.index.Visibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one authorisation point: applies the access policy and writes the audit trail for every channel.
 * HTTP callers (DICOMweb, WADO-URI, viewers) are decided by the {@link AccessPolicy} of
 * {@code node.security.mode}; DIMSE callers ({@link Caller#dimse}) by the per-AE permissions
 * ({@link DimseCallers}). {@link AccessFilter} makes the endpoint-level decision of each HTTP request;
 * handlers then call {@link #check} for each patient/study they touch, and {@link #audit} once the access
 * is done. The DIMSE services call {@link #authorize} for each operation and {@link #audit} for its outcome.
 */
public class AccessGuard {
    private static final Logger log = LoggerFactory.getLogger(AccessGuard.class);
    /** Request attribute holding the {@link Caller}, set by {@link AccessFilter}. */
    public static final String CALLER = AccessGuard.class.getName() + ".caller";
    /** Request attribute holding the channel ("DICOMweb" or "WADO-URI"), set by {@link AccessFilter}. */
    public static final String CHANNEL = AccessGuard.class.getName() + ".channel";

    /** The channel of DIMSE operations in the audit trail. */
    public static final String DIMSE = "DIMSE";

    private final AccessPolicy policy;
    private final AccessPolicy dimsePolicy;
    private final AuditLog audit;

    /** A guard for HTTP callers only: every DIMSE caller is denied. */
    public AccessGuard(AccessPolicy policy, AuditLog audit) {
        this(policy, audit, (ae, action) -> false);
    }

    public AccessGuard(AccessPolicy policy, AuditLog audit, DimseCallers dimseCallers) {
        this.policy = policy;
        this.dimsePolicy = new DimsePolicy(dimseCallers);
        this.audit = audit;
    }

    /** The policy of HTTP callers ({@code node.security.mode}), which also identifies them. */
    public AccessPolicy policy() {
        return policy;
    }

    /** Decides one access without auditing it; a failing policy denies. */
    public Decision decide(AccessRequest request) {
        try {
            return (request.caller().isDimse() ? dimsePolicy : policy).decide(request);
        } catch (RuntimeException e) {
            log.error("access policy failed; denying: {}", e.toString());
            return Decision.deny("policy error");
        }
    }

    /** What of the index the caller may find (see {@link AccessPolicy#visibility}); a failing policy: nothing. */
    public Visibility visibility(Caller caller, String channel, Action action) {
        try {
            return (caller.isDimse() ? dimsePolicy : policy).visibility(caller, channel, action);
        } catch (RuntimeException e) {
            log.error("access policy failed; nothing visible: {}", e.toString());
            return Visibility.NONE;
        }
    }

    /** Decides one access; a denial is audited (with the request's channel) before it is returned. */
    public Decision authorize(AccessRequest request, String what) {
        Decision d = decide(request);
        if (!d.allowed()) {
            audit(request.caller(), request.channel(), request.action(), request.patientId(),
                    request.studyInstanceUid(), "denied", what == null ? d.reason() : what + ": " + d.reason());
        }
        return d;
    }

    /** The caller the filter identified (anonymous if the request did not go through the filter). */
    public Caller caller(HttpServletRequest request) {
        Object c = request.getAttribute(CALLER);
        return c instanceof Caller caller ? caller : Caller.anonymous(null, request.getRemoteAddr());
    }

    public String channel(HttpServletRequest request) {
        Object c = request.getAttribute(CHANNEL);
        return c instanceof String s ? s : "DICOMweb";
    }

    /** Decides without auditing (for filtering query results; the query itself is audited once). */
    public boolean permits(Caller caller, String channel, Action action, String patientId, String issuer,
            String studyUid) {
        return permits(caller, channel, action, patientId, issuer, studyUid, null);
    }

    /** The same for one series of the study (null: the study as a whole). */
    public boolean permits(Caller caller, String channel, Action action, String patientId, String issuer,
            String studyUid, String seriesUid) {
        return decide(new AccessRequest(caller, channel, action, patientId, issuer, studyUid, seriesUid)).allowed();
    }

    /**
     * Decides one access to a patient's study; a denial is audited and thrown. An allowed access is
     * not audited here: the handler audits it once it is done, with its outcome.
     */
    public void check(HttpServletRequest request, Action action, String patientId, String issuer, String studyUid) {
        check(request, action, patientId, issuer, studyUid, null);
    }

    /**
     * The same for one series of the study, or an object of it ({@code seriesUid} null: the study as a whole,
     * which a credential scoped to one series does not open).
     */
    public void check(HttpServletRequest request, Action action, String patientId, String issuer, String studyUid,
            String seriesUid) {
        Caller caller = caller(request);
        Decision d = authorize(new AccessRequest(caller, channel(request), action, patientId, issuer, studyUid,
                seriesUid), null);
        if (!d.allowed()) {
            boolean authenticated = !"anonymous".equals(caller.role());
            if (authenticated && policy instanceof ConcealingPolicy) {
                throw new ConcealedResourceException(); // 404: the refusal must not confirm the study exists
            }
            throw new AccessDeniedException("access denied", authenticated);
        }
    }

    /** Writes one audit event for the request's caller and channel. */
    public void audit(HttpServletRequest request, Action action, String patientId, String studyUid, String outcome,
            String detail) {
        audit(caller(request), channel(request), action, patientId, studyUid, outcome, detail);
    }

    public void audit(Caller caller, String channel, Action action, String patientId, String studyUid, String outcome,
            String detail) {
        try {
            String withTls = caller.tlsSubject() == null ? detail
                    : (detail == null ? "" : detail + "; ") + "TLS client " + caller.tlsSubject();
            audit.record(new AuditEvent(Instant.now(), caller.id(), caller.role(), action.auditName(), channel,
                    patientId, studyUid, outcome, withTls, caller.address()));
        } catch (RuntimeException e) {
            // the access already happened (or was refused); losing its trace must be loud
            log.error("could not audit {} {} by {}: {}", channel, action.auditName(), caller.id(), e.toString());
        }
    }
}
