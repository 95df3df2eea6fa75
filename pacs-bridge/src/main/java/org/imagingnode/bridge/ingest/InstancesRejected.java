package org.imagingnode.bridge.ingest;

/**
 * Published (as a Spring application event) once a rejection note has been applied to the index: instances of the
 * study left every query and retrieval, so what was derived from the study (its manifest) is out of date.
 *
 * @param rejected how many instances the note hid now (0 when it only recorded instances not received yet)
 */
public record InstancesRejected(String studyInstanceUid, String rejectionNoteUid, int rejected) {
}
