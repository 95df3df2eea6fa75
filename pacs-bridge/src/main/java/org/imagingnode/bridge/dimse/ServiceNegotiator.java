package org.imagingnode.bridge.dimse;

import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.AssociationRejectedException;
import org.imagingnode.bridge.dimse.association.PresentationContext;

/**
 * Decides what the node accepts of an association request: the called AE must be ours, the calling
 * AE must be registered, and each presentation context is accepted only for services the caller is
 * permitted (storage contexts also for retrievers, who need them as C-GET destinations).
 */
final class ServiceNegotiator implements Association.Negotiator {
    private static final List<String> QUERY_RETRIEVE_SYNTAXES =
            List.of(TransferSyntax.EXPLICIT_VR_LE, TransferSyntax.IMPLICIT_VR_LE);

    private final String aeTitle;
    private final AeRegistry registry;
    private final int maxPduLength;

    ServiceNegotiator(String aeTitle, AeRegistry registry, int maxPduLength) {
        this.aeTitle = aeTitle;
        this.registry = registry;
        this.maxPduLength = maxPduLength;
    }

    @Override
    public AssociationParameters negotiate(AssociationParameters rq, Socket socket) throws AssociationRejectedException {
        if (!aeTitle.equals(rq.calledAeTitle())) {
            throw new AssociationRejectedException(AssociationRejectedException.RESULT_PERMANENT,
                    AssociationRejectedException.SOURCE_SERVICE_USER,
                    AssociationRejectedException.REASON_CALLED_AE_NOT_RECOGNIZED,
                    "called AE title '" + rq.calledAeTitle() + "' is not this node's");
        }
        String caller = rq.callingAeTitle();
        if (!registry.isKnownCaller(caller)) {
            throw new AssociationRejectedException(AssociationRejectedException.RESULT_PERMANENT,
                    AssociationRejectedException.SOURCE_SERVICE_USER,
                    AssociationRejectedException.REASON_CALLING_AE_NOT_RECOGNIZED,
                    "calling AE title '" + caller + "' is not registered");
        }
        if (!registry.isAtItsOrigin(caller, socket.getInetAddress())) {
            throw new AssociationRejectedException(AssociationRejectedException.RESULT_PERMANENT,
                    AssociationRejectedException.SOURCE_SERVICE_USER,
                    AssociationRejectedException.REASON_CALLING_AE_NOT_RECOGNIZED,
                    "calling AE title '" + caller + "' may only connect from " + registry.originOf(caller).orElseThrow()
                            + ", not " + socket.getInetAddress().getHostAddress());
        }
        List<PresentationContext> accepted = new ArrayList<>();
        for (PresentationContext pc : rq.presentationContexts()) {
            accepted.add(negotiate(caller, pc));
        }
        Map<String, boolean[]> roles = new LinkedHashMap<>();
        if (registry.may(caller, Permission.RETRIEVE)) {
            rq.roleSelection().forEach((sopClass, role) -> {
                if (SopClasses.isStorage(sopClass)) {
                    roles.put(sopClass, role);
                }
            });
        }
        return new AssociationParameters(rq.calledAeTitle(), caller, accepted, maxPduLength,
                Part10.IMPLEMENTATION_CLASS_UID, Part10.IMPLEMENTATION_VERSION_NAME, roles);
    }

    private PresentationContext negotiate(String caller, PresentationContext pc) {
        String as = pc.abstractSyntax();
        boolean permitted;
        List<String> candidates;
        if (SopClasses.VERIFICATION.equals(as)) {
            permitted = true;
            candidates = QUERY_RETRIEVE_SYNTAXES;
        } else if (SopClasses.FIND.contains(as)) {
            permitted = registry.may(caller, Permission.QUERY);
            candidates = QUERY_RETRIEVE_SYNTAXES;
        } else if (SopClasses.MOVE.contains(as) || SopClasses.GET.contains(as)) {
            permitted = registry.may(caller, Permission.RETRIEVE);
            candidates = QUERY_RETRIEVE_SYNTAXES;
        } else if (SopClasses.isStorage(as)) {
            permitted = registry.may(caller, Permission.STORE) || registry.may(caller, Permission.RETRIEVE);
            candidates = null; // any accepted storage syntax, in the requestor's order of preference
        } else {
            return rejected(pc, PresentationContext.ABSTRACT_SYNTAX_NOT_SUPPORTED);
        }
        if (!permitted) {
            return rejected(pc, PresentationContext.USER_REJECTION);
        }
        if (candidates == null) {
            for (String ts : pc.transferSyntaxes()) {
                if (TransferSyntax.isAcceptedForStorage(ts)) {
                    return new PresentationContext(pc.id(), as, List.of(ts), PresentationContext.ACCEPTANCE);
                }
            }
        } else {
            for (String ts : candidates) {
                if (pc.transferSyntaxes().contains(ts)) {
                    return new PresentationContext(pc.id(), as, List.of(ts), PresentationContext.ACCEPTANCE);
                }
            }
        }
        return rejected(pc, PresentationContext.TRANSFER_SYNTAXES_NOT_SUPPORTED);
    }

    private static PresentationContext rejected(PresentationContext pc, int reason) {
        List<String> ts = pc.transferSyntaxes().isEmpty() ? List.of() : List.of(pc.transferSyntaxes().get(0));
        return new PresentationContext(pc.id(), pc.abstractSyntax(), ts, reason);
    }
}
