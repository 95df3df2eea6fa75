package org.imagingnode.bridge.index;

/** Where a stored instance's bytes are, for retrieval (C-GET, C-MOVE, WADO). */
public record InstanceLocation(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid,
        String sopClassUid, String transferSyntaxUid, String blobKey, long blobSize, String sha256,
        long datasetOffset) {
}
