package org.imagingnode.bridge.ingest;

import java.nio.file.Path;

/**
 * A received object waiting in the spool to be ingested.
 *
 * @param file                   a Part 10 file (preamble, meta header, data set); ingest consumes it
 * @param sha256                 SHA-256 of the whole file, computed while it was received
 * @param datasetOffset          where the data set starts in the file
 * @param expectedSopClassUid    the SOP class the transport announced (C-STORE command), or null
 * @param expectedSopInstanceUid the SOP instance the transport announced, or null
 * @param source                 who sent it, for the index and the audit trail
 */
public record IngestRequest(Path file, String sha256, long datasetOffset, String transferSyntaxUid,
        String expectedSopClassUid, String expectedSopInstanceUid, IngestSource source) {
}
