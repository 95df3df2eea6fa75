package org.imagingnode.bridge.viewer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.Decision;
import org.imagingnode.viewer.InvalidViewerTokenException;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
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
    private final ViewerTokenService viewerTokens;
    private final RemoteStudies remote;

    ViewerAccess(AccessGuard guard, InstanceIndex index, ViewerTokenService viewerTokens,
            Optional<RemoteStudies> remote) {
        this.guard = guard;
        this.index = index;
        this.viewerTokens = viewerTokens;
        this.remote = remote.orElse(null);
    }

    AccessGuard guard() {
        return guard;
    }

    /**
     * Identifies the caller of a launch and takes the endpoint-level decision (denied: audited and thrown).
     * A launch needs the person's own credentials: a viewer token cannot be traded for another (403), so a
     * token is never renewed nor widened.
     */
    Caller authenticate(HttpServletRequest rq) {
        String authorization = rq.getHeader("Authorization");
        if (presentedViewerToken(authorization).isPresent()) {
            Caller caller = Caller.anonymous(null, rq.getRemoteAddr());
            guard.audit(caller, CHANNEL, Action.RETRIEVE, null, null, "denied",
                    rq.getMethod() + " " + rq.getRequestURI() + ": a viewer token cannot launch a viewer");
            throw new AccessDeniedException("access denied", true);
        }
        return authenticate(rq, authorization);
    }

    /** The viewer token these credentials are, if they are one (valid, unexpired). */
    Optional<ViewerToken> presentedViewerToken(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(viewerTokens.verify(authorization));
        } catch (InvalidViewerTokenException e) {
            return Optional.empty();
        }
    }

    /** The same, with credentials that did not come in the Authorization header. */
    Caller authenticate(HttpServletRequest rq, String authorization) {
        Caller caller = guard.policy().authenticate(authorization, rq.getRemoteAddr());
        rq.setAttribute(AccessGuard.CALLER, caller);
        rq.setAttribute(AccessGuard.CHANNEL, CHANNEL);
        Decision d = guard.authorize(AccessRequest.endpoint(caller, CHANNEL, Action.RETRIEVE),
                rq.getMethod() + " " + rq.getRequestURI());
        if (!d.allowed()) {
            throw new AccessDeniedException("access denied", !"anonymous".equals(caller.role()));
        }
        return caller;
    }

    /**
     * The studies of a patient (PatientID, and issuer when given) stored here that the policy lets the caller
     * see; empty (and audited) when there is none, so that a refusal looks like an unknown patient.
     */
    List<String> visibleStudies(HttpServletRequest rq, Caller caller, String patientId, String issuer) {
        List<Condition> conditions = new ArrayList<>();
        conditions.add(new Condition.SingleValue(IndexAttribute.PatientID, patientId));
        if (issuer != null) {
            conditions.add(new Condition.SingleValue(IndexAttribute.IssuerOfPatientID, issuer));
        }
        return visible(rq, caller, conditions, patientId);
    }

    /** The same for the studies with this accession number. */
    List<String> visibleStudiesByAccession(HttpServletRequest rq, Caller caller, String accessionNumber) {
        if (accessionNumber.isBlank() || accessionNumber.length() > 16
                || accessionNumber.chars().anyMatch(c -> c == '*' || c == '?' || c == '\\' || c < 0x20)) {
            throw new IllegalArgumentException("invalid accessionNumber");
        }
        return visible(rq, caller, List.of(new Condition.SingleValue(IndexAttribute.AccessionNumber,
                accessionNumber)), null);
    }

    private List<String> visible(HttpServletRequest rq, Caller caller, List<Condition> conditions,
            String auditedPatient) {
        List<String> visible = new ArrayList<>();
        for (IndexRow row : index.find(new IndexQuery(QueryLevel.STUDY, conditions,
                Set.of(IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID), 0, 0))) {
            String study = String.valueOf(row.get(IndexAttribute.StudyInstanceUID));
            Object pid = row.get(IndexAttribute.PatientID);
            Object rowIssuer = row.get(IndexAttribute.IssuerOfPatientID);
            if (guard.permits(caller, CHANNEL, Action.RETRIEVE, pid == null ? null : pid.toString(),
                    rowIssuer == null ? null : rowIssuer.toString(), study)) {
                visible.add(study);
            }
        }
        if (visible.isEmpty()) {
            guard.audit(caller, CHANNEL, Action.RETRIEVE, auditedPatient, null, "not found", rq.getRequestURI());
        }
        return visible;
    }

    /**
     * The stored study (or series), once the policy allowed the caller to see its patient's study, or a study (or
     * series) held by another node as its source lists it to the caller; empty (and audited) when there is no such
     * study for the caller.
     */
    Optional<StudyContents.Contents> study(HttpServletRequest rq, Caller caller, String studyUid, String seriesUid) {
        Optional<StudyContents.Contents> contents = StudyContents.read(index, studyUid, seriesUid);
        if (contents.isEmpty()) {
            contents = remoteStudy(caller, studyUid, seriesUid);
            if (contents.isEmpty()) {
                guard.audit(caller, CHANNEL, Action.RETRIEVE, null, studyUid, "not found", rq.getRequestURI());
            }
            return contents;
        }
        StudyContents.Owner owner = contents.get().owner();
        guard.check(rq, Action.RETRIEVE, owner.patientId(), owner.issuerOfPatientId(), studyUid, seriesUid);
        return contents;
    }

    /**
     * A study of another node (or one series of it), listed by its source for the caller: the source applies the
     * patient's rules, this node the series limit.
     */
    private Optional<StudyContents.Contents> remoteStudy(Caller caller, String studyUid, String seriesUid) {
        Optional<RemoteStudies.Study> found = remote == null ? Optional.empty() : remote.find(studyUid, caller);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        try {
            RemoteStudies.Study r = seriesUid == null ? found.get() : found.get().series(seriesUid);
            return Optional.of(StudyContents.remote(r, studyUid, r.instanceAttributes()));
        } catch (DicomWebException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Launches a viewer ({@code viewer}, for the audit) on a study, or one series of it, for the caller: a viewer
     * token scoped to it, audited; empty when there is no such study (or series) for the caller.
     */
    Optional<ViewerToken> launch(HttpServletRequest rq, String viewer, String studyUid, String seriesUid) {
        Caller caller = authenticate(rq);
        ViewerScope requested = seriesUid == null ? ViewerScope.study(null, null, studyUid)
                : ViewerScope.series(null, null, studyUid, seriesUid); // validates the UIDs
        return study(rq, caller, studyUid, seriesUid).map(contents -> {
            StudyContents.Owner owner = contents.owner();
            ViewerToken token = issue(caller, new ViewerScope(requested.level(), owner.patientId(),
                    owner.issuerOfPatientId(), studyUid, seriesUid), contents);
            guard.audit(rq, Action.RETRIEVE, owner.patientId(), studyUid, "viewer token issued", viewer + " ("
                    + requested.level() + (seriesUid == null ? "" : " " + seriesUid) + "), token " + token.id()
                    + " until " + token.expiresAt() + contents.origin());
            return token;
        });
    }

    /**
     * A viewer token for the caller on what {@code scope} names in these contents; for a remote study, the token's
     * requests are entrusted with the caller's credentials at the source.
     */
    ViewerToken issue(Caller caller, ViewerScope scope, StudyContents.Contents contents) {
        ViewerToken token = viewerTokens.issue(caller.id(), scope);
        if (contents.remote() != null) {
            contents.remote().entrust(token.id(), token.expiresAt());
        }
        return token;
    }
}
