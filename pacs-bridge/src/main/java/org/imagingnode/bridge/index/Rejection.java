package org.imagingnode.bridge.index;

import java.util.List;
import java.util.Objects;

/**
 * A rejection note (IHE IOCM) to apply to the index: the Key Object Selection document {@code noteUid}, stored in
 * study {@code studyUid}, rejects the instances it references for the reason its title code gives.
 *
 * @param actor   who sent the note (calling AE title or authenticated user)
 * @param channel "DIMSE" or "STOW-RS"
 * @param address the sender's network address, if known
 */
public record Rejection(String noteUid, String studyUid, String codeValue, String codingScheme, String codeMeaning,
        String actor, String channel, String address, List<Reference> references) {

    /** One referenced instance, as the note's evidence names it. */
    public record Reference(String seriesInstanceUid, String sopClassUid, String sopInstanceUid) {
    }

    /** What became of one reference. */
    public enum Outcome {
        /** indexed in the note's study: hidden from every query and retrieval, bytes kept */
        REJECTED,
        /** not received yet: recorded, so it is refused when it comes */
        NOT_RECEIVED,
        /** rejected before (the first rejection stands) */
        ALREADY,
        /** indexed in another study than the note's: left alone */
        OTHER_STUDY,
        /** a rejection note, or an object the node derived itself (a manifest is rebuilt instead) */
        NOT_REJECTABLE
    }

    public Rejection {
        Objects.requireNonNull(noteUid);
        Objects.requireNonNull(studyUid);
        references = List.copyOf(references);
    }
}
