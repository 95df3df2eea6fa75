package org.imagingnode.bridge.dimse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.PresentationContext;
import org.imagingnode.bridge.index.InstanceLocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends stored instances to a remote AE on an association the node opens (C-STORE SCU): the C-MOVE
 * sub-operations and the portal's "import into my PACS" both go through {@link #open}; {@link #send} is the
 * whole push of the latter. Each object is streamed from the blob store in its stored syntax.
 */
public final class StoreScu {
    private static final Logger log = LoggerFactory.getLogger(StoreScu.class);

    /** Counts of a push so far. */
    public record Counts(int total, int completed, int warning, int failed) {
        public int remaining() {
            return total - completed - warning - failed;
        }
    }

    /** Called after each instance with the counts so far. */
    public interface Listener {
        /** @return whether to go on; {@code false} stops the push after this instance (the association is released) */
        boolean progress(Counts counts);
    }

    private final InstanceSender sender;
    private final String aeTitle;
    private final int connectTimeoutMillis;

    StoreScu(InstanceSender sender, String aeTitle, int connectTimeoutMillis) {
        this.sender = sender;
        this.aeTitle = aeTitle;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /**
     * Sends every instance to the destination on one association and returns the final counts. An instance
     * the destination refuses, or cannot take in any syntax it accepted, counts as failed; losing the
     * association is an {@link IOException}. When the listener says stop, the instances not yet sent are left
     * out of the counts ({@link Counts#remaining()}).
     *
     * @param identity the patient identity to give every instance as it is sent (a remote study reconciled with
     *                 this node's patient), or null to send them as stored
     */
    public Counts send(AeRegistry.RemoteAe target, List<InstanceLocation> instances, PatientIdRewrite identity,
            Listener listener) throws IOException {
        Association a = open(target, instances, aeTitle, connectTimeoutMillis);
        int completed = 0;
        int warning = 0;
        int failed = 0;
        try {
            for (InstanceLocation instance : instances) {
                int status;
                try {
                    status = sender.send(a, instance, null, null, new AtomicBoolean(), identity);
                } catch (InstanceSender.NotSentException e) {
                    log.info("cannot send {} to {}: {}", instance.sopInstanceUid(), target.aeTitle(), e.getMessage());
                    status = Status.UNABLE_TO_PROCESS;
                }
                if (status == Status.SUCCESS) {
                    completed++;
                } else if (InstanceSender.isSuccessOrWarning(status)) {
                    warning++;
                } else {
                    failed++;
                }
                if (!listener.progress(new Counts(instances.size(), completed, warning, failed))) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            a.abort();
            throw e;
        }
        try {
            a.release();
        } catch (IOException e) {
            a.abort();
        }
        return new Counts(instances.size(), completed, warning, failed);
    }

    /** Opens an association to the destination proposing each SOP class in its stored syntax (plus LE alternatives). */
    static Association open(AeRegistry.RemoteAe target, List<InstanceLocation> instances, String callingAe,
            int connectTimeoutMillis) throws IOException {
        Set<List<String>> classAndSyntax = new LinkedHashSet<>();
        for (InstanceLocation i : instances) {
            classAndSyntax.add(List.of(i.sopClassUid(), i.transferSyntaxUid()));
        }
        List<PresentationContext> pcs = new ArrayList<>();
        int id = 1;
        for (List<String> combo : classAndSyntax) {
            if (id > 255) {
                break; // more than 128 kinds: the rest fail as sub-operations without a context
            }
            String ts = combo.get(1);
            List<String> offered = switch (ts) {
                case TransferSyntax.EXPLICIT_VR_LE -> List.of(ts, TransferSyntax.IMPLICIT_VR_LE);
                case TransferSyntax.IMPLICIT_VR_LE -> List.of(ts, TransferSyntax.EXPLICIT_VR_LE);
                default -> List.of(ts);
            };
            pcs.add(PresentationContext.proposed(id, combo.get(0), offered));
            id += 2;
        }
        return Association.connect(target.host(), target.port(), new AssociationParameters(target.aeTitle(), callingAe,
                pcs, 131072, Part10.IMPLEMENTATION_CLASS_UID, Part10.IMPLEMENTATION_VERSION_NAME, Map.of()),
                connectTimeoutMillis);
    }
}
