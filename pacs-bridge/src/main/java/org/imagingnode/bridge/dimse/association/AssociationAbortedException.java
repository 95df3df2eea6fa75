package org.imagingnode.bridge.dimse.association;

import java.io.IOException;

/** The association ended abnormally: A-ABORT received, connection lost, or a protocol violation. */
public class AssociationAbortedException extends IOException {
    public AssociationAbortedException(String message) {
        super(message);
    }

    public AssociationAbortedException(String message, Throwable cause) {
        super(message, cause);
    }
}
