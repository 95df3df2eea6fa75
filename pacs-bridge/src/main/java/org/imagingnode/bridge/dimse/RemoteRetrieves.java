package org.imagingnode.bridge.dimse;

import java.util.List;

import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.index.InstanceLocation;

/**
 * Studies held by other nodes that a C-GET or C-MOVE can retrieve through this node (the sharing consumer
 * implements it): the retrieve SCP turns to it when the identifier names a study this node does not hold.
 */
public interface RemoteRetrieves {

    /**
     * Fetches (or takes from the cache) the instances of a remote study: all of them, or those of the listed
     * series, or the listed instances.
     *
     * @param seriesUids      the series asked for; empty for every series
     * @param sopInstanceUids the instances asked for; empty for every instance (of those series)
     * @return null when this node knows no remote study of that UID
     * @throws Refused when nothing can be retrieved (not authorised, source unreachable)
     */
    Fetched fetch(String studyUid, List<String> seriesUids, List<String> sopInstanceUids) throws Refused;

    /**
     * @param patient       the patient, as HL7 v2 CX of the national identity (for the audit trail)
     * @param instances     the instances fetched, ready to send
     * @param failedSopUids those that could not be fetched (failed sub-operations)
     * @param reconciled    the patient identity of this node to give them as they are sent (import
     *                      reconciliation); null to send them with the source's
     */
    record Fetched(String sourceNode, String patient, List<InstanceLocation> instances, List<String> failedSopUids,
            PatientIdRewrite reconciled) {
    }

    /** A remote retrieve refused as a whole; the message becomes the response's ErrorComment. */
    final class Refused extends Exception {
        private final boolean notAuthorized;

        public Refused(boolean notAuthorized, String message) {
            super(message);
            this.notAuthorized = notAuthorized;
        }

        /** Refused for lack of authorisation (0124), rather than because the source is unavailable (A701). */
        public boolean notAuthorized() {
            return notAuthorized;
        }
    }
}
