package org.imagingnode.bridge.security;

import java.time.Instant;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@link AccessPolicy} and writes the audit trail: every decision of the HTTP edges goes
 * through here, allowed or denied. {@link AccessFilter} makes the endpoint-level decision of each
 * request; handlers then call {@link #check} for each patient/study they touch, and {@link #audit}
 * once the access is done.
 */
public class AccessGuard {
    private static final Logger log = LoggerFactory.getLogger(AccessGuard.class);
    /** Request attribute holding the {@link Caller}, set by {@link AccessFilter}. */
    public static final String CALLER = AccessGuard.class.getName() + ".caller";
    /** Request attribute holding the channel ("DICOMweb" or "WADO-URI"), set by {@link AccessFilter}. */
    public static final String CHANNEL = AccessGuard.class.getName() + ".channel";

    private final AccessPolicy policy;
    private final AuditLog audit;

    public AccessGuard(AccessPolicy policy, AuditLog audit) {
        this.policy = policy;
        this.audit = audit;
    }

    public AccessPolicy policy() {
        return policy;
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
        try {
            return policy.decide(new AccessRequest(caller, channel, action, patientId, issuer, studyUid)).allowed();
        } catch (RuntimeException e) {
            log.error("access policy failed; denying: {}", e.toString());
            return false;
        }
    }

    /**
     * Decides one access to a patient's study; a denial is audited and thrown. An allowed access is
     * not audited here: the handler audits it once it is done, with its outcome.
     */
    public void check(HttpServletRequest request, Action action, String patientId, String issuer, String studyUid) {
        Caller caller = caller(request);
        String channel = channel(request);
        Decision d;
        try {
            d = policy.decide(new AccessRequest(caller, channel, action, patientId, issuer, studyUid));
        } catch (RuntimeException e) {
            log.error("access policy failed; denying: {}", e.toString());
            d = Decision.deny("policy error");
        }
        if (!d.allowed()) {
            audit(caller, channel, action, patientId, studyUid, "denied", d.reason());
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
            audit.record(new AuditEvent(Instant.now(), caller.id(), caller.role(), action.auditName(), channel,
                    patientId, studyUid, outcome, detail, caller.address()));
        } catch (RuntimeException e) {
            // the access already happened (or was refused); losing its trace must be loud
            log.error("could not audit {} {} by {}: {}", channel, action.auditName(), caller.id(), e.toString());
        }
    }
}
