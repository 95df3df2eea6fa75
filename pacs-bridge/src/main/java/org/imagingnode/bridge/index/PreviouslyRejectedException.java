package org.imagingnode.bridge.index;

import java.time.Instant;

/**
 * An instance cannot be indexed: its SOP Instance UID was rejected by a rejection note (IHE IOCM), and a rejected
 * instance stays rejected, whoever sends it again.
 *
 * @see InstanceIndex#upsert
 */
public class PreviouslyRejectedException extends RuntimeException {
    private final String rejectionNoteUid;
    private final String reason;
    private final String keptBlobKey;

    PreviouslyRejectedException(String sopInstanceUid, String rejectionNoteUid, String reason, Instant rejectedAt,
            String keptBlobKey) {
        super("instance " + sopInstanceUid + " was rejected (" + reason + ") on " + rejectedAt
                + " by rejection note " + rejectionNoteUid + "; it is not stored again");
        this.rejectionNoteUid = rejectionNoteUid;
        this.reason = reason;
        this.keptBlobKey = keptBlobKey;
    }

    /** For the sender, short (a DICOM ErrorComment holds 64 characters), the essential first. */
    public String shortMessage() {
        return "previously rejected, not stored (" + reason + ")";
    }

    public String rejectionNoteUid() {
        return rejectionNoteUid;
    }

    /** The blob of the instance as it was when rejected (kept), or null when it was rejected before it arrived. */
    public String keptBlobKey() {
        return keptBlobKey;
    }
}
