package org.imagingnode.bridge.dimse;

import java.io.IOException;

import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.Command;

/** The final response of a C-FIND, C-GET or C-MOVE that carries no data set. */
final class FinalResponses {
    private FinalResponses() {
    }

    static void send(Association a, Association.Message msg, int responseField, int status, String comment,
            Integer offendingTag) throws IOException {
        Command rsp = Command.responseTo(msg.command(), responseField, status, false).putError(comment, offendingTag);
        a.send(msg.contextId(), rsp, null);
    }
}
