package org.imagingnode.bridge.ingest;

/**
 * Where an object came from.
 *
 * @param actor   calling AE title (DIMSE) or authenticated user (DICOMweb)
 * @param channel "DIMSE" or "STOW-RS"
 * @param address remote network address
 */
public record IngestSource(String actor, String channel, String address) {
}
