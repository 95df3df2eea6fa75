package org.imagingnode.bridge.viewer;

import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.Decision;
import org.springframework.stereotype.Component;

/**
 * The viewer endpoints' use of the node's one access policy (the DICOMweb one, channel {@value #CHANNEL}):
 * identify the caller from the Authorization header, decide the endpoint, then the study's patient. No
 * rule of its own.
 */
@Component
class ViewerAccess {
    static final String CHANNEL = "viewer";

    private final AccessGuard guard;
    private final InstanceIndex index;

    ViewerAccess(AccessGuard guard, InstanceIndex index) {
        this.guard = guard;
        this.index = index;
    }

    AccessGuard guard() {
        return guard;
    }

    /** Identifies the caller and takes the endpoint-level decision (denied: audited and thrown). */
    Caller authenticate(HttpServletRequest rq) {
        Caller caller = guard.policy().authenticate(rq.getHeader("Authorization"), rq.getRemoteAddr());
        rq.setAttribute(AccessGuard.CALLER, caller);
        rq.setAttribute(AccessGuard.CHANNEL, CHANNEL);
        Decision d;
        try {
            d = guard.policy().decide(AccessRequest.endpoint(caller, CHANNEL, Action.RETRIEVE));
        } catch (RuntimeException e) {
            d = Decision.deny("policy error");
        }
        if (!d.allowed()) {
            guard.audit(caller, CHANNEL, Action.RETRIEVE, null, null, "denied",
                    rq.getMethod() + " " + rq.getRequestURI() + ": " + d.reason());
            throw new AccessDeniedException("access denied", !"anonymous".equals(caller.role()));
        }
        return caller;
    }

    /**
     * The stored study (or series), once the policy allowed the caller to see its patient's study; empty
     * (and audited) when nothing of it is stored.
     */
    Optional<StudyContents.Contents> study(HttpServletRequest rq, Caller caller, String studyUid, String seriesUid) {
        Optional<StudyContents.Contents> contents = StudyContents.read(index, studyUid, seriesUid);
        if (contents.isEmpty()) {
            guard.audit(caller, CHANNEL, Action.RETRIEVE, null, studyUid, "not found", rq.getRequestURI());
            return contents;
        }
        StudyContents.Owner owner = contents.get().owner();
        guard.check(rq, Action.RETRIEVE, owner.patientId(), owner.issuerOfPatientId(), studyUid);
        return contents;
    }
}
