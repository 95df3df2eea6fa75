package org.imagingnode.bridge.ingest;

/**
 * The outcome of ingesting one object.
 *
 * @param offendingTag the attribute at fault for a rejection, or null
 */
public record IngestResult(Outcome outcome, String sopInstanceUid, String studyInstanceUid, String patientId,
        String message, Integer offendingTag) {

    public enum Outcome {
        /** new instance stored and indexed */
        STORED,
        /** the same bytes were already stored: nothing changed */
        UNCHANGED,
        /** the instance existed with other bytes: replaced (and audited) */
        REPLACED,
        /** the bytes are not a complete, parseable data set */
        MALFORMED,
        /** parseable, but a required attribute is missing, invalid or contradicts the transport */
        INVALID,
        /** its SOP Instance UID was rejected by a rejection note (IHE IOCM): it stays rejected, nothing stored */
        PREVIOUSLY_REJECTED,
        /** the node could not store it (blob store or database unavailable) */
        FAILED
    }

    public boolean success() {
        return outcome == Outcome.STORED || outcome == Outcome.UNCHANGED || outcome == Outcome.REPLACED;
    }

    static IngestResult rejected(Outcome outcome, String sopInstanceUid, String message, Integer offendingTag) {
        return new IngestResult(outcome, sopInstanceUid, null, null, message, offendingTag);
    }
}
