package org.imagingnode.bridge.sharing.consumer;

import org.imagingnode.bridge.dicomweb.DicomWebException;

/**
 * Another node (a source node or the index) did not answer usably: unreachable, timed out, answered a server
 * error, or counts as down after repeated failures. DICOMweb answers it 502 (bad gateway) or 504 (timeout) with
 * its message, which says which node and why and contains no patient data; DIMSE turns it into a failure status
 * with the message as ErrorComment.
 */
public class SourceUnavailableException extends DicomWebException {
    public SourceUnavailableException(boolean timeout, String message) {
        super(timeout ? 504 : 502, message);
    }
}
