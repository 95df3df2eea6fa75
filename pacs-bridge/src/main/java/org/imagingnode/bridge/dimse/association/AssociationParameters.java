package org.imagingnode.bridge.dimse.association;

import java.util.List;
import java.util.Map;

/**
 * The content of an A-ASSOCIATE-RQ or -AC: AE titles, presentation contexts and user information.
 *
 * @param maxPduLength  the largest P-DATA-TF PDU the sender of these parameters will receive (0 = unlimited)
 * @param roleSelection SCP/SCU role selection by SOP class: {scuRole, scpRole}
 */
public record AssociationParameters(String calledAeTitle, String callingAeTitle,
        List<PresentationContext> presentationContexts, int maxPduLength, String implementationClassUid,
        String implementationVersionName, Map<String, boolean[]> roleSelection) {
    public static final String APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

    public AssociationParameters {
        presentationContexts = List.copyOf(presentationContexts);
        roleSelection = Map.copyOf(roleSelection);
    }

    public PresentationContext context(int id) {
        for (PresentationContext pc : presentationContexts) {
            if (pc.id() == id) {
                return pc;
            }
        }
        return null;
    }
}
