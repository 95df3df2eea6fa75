package org.imagingnode.bridge.dimse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.storage.BlobNotFoundException;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends stored instances as C-STORE sub-operations (for C-GET on the requestor's association, for
 * C-MOVE on one opened to the destination), streaming each data set from the blob store. An
 * uncompressed object may be re-encoded between the little-endian syntaxes when the peer accepted
 * only the other one; compressed objects are sent as stored. The patient identity may be rewritten on the way
 * ({@link PatientIdRewrite}: the stored object is not changed).
 */
final class InstanceSender {
    private static final Logger log = LoggerFactory.getLogger(InstanceSender.class);
    private final BlobStore blobs;
    private final AtomicInteger messageIds = new AtomicInteger(1);

    InstanceSender(BlobStore blobs) {
        this.blobs = blobs;
    }

    /**
     * Thrown when an instance cannot be sent (no syntax the peer accepted, no longer in the store, not re-encodable)
     * before anything of it went on the association: a failed sub-operation, the association still usable.
     */
    static final class NotSentException extends Exception {
        NotSentException(String message) {
            super(message);
        }
    }

    /** The accepted context to send an instance on, preferring its stored syntax. */
    static int contextFor(Association a, InstanceLocation instance) throws NotSentException {
        int fallback = -1;
        for (var pc : a.accepted().presentationContexts()) {
            if (!pc.accepted() || !instance.sopClassUid().equals(a.abstractSyntax(pc.id()))) {
                continue;
            }
            if (pc.transferSyntax().equals(instance.transferSyntaxUid())) {
                return pc.id();
            }
            if (isLittleEndianNative(pc.transferSyntax()) && isLittleEndianNative(instance.transferSyntaxUid())) {
                fallback = pc.id();
            }
        }
        if (fallback < 0) {
            throw new NotSentException("no accepted presentation context for " + instance.sopClassUid()
                    + " in " + instance.transferSyntaxUid());
        }
        return fallback;
    }

    private static boolean isLittleEndianNative(String ts) {
        return TransferSyntax.IMPLICIT_VR_LE.equals(ts) || TransferSyntax.EXPLICIT_VR_LE.equals(ts);
    }

    /**
     * Sends one instance and waits for its C-STORE-RSP, whose status it returns. A C-CANCEL-RQ
     * arriving meanwhile (C-GET, same association) is noted in {@code cancelled}.
     *
     * @param rewrite the patient identity to give the instance; null to send it as stored
     */
    int send(Association a, InstanceLocation instance, String moveOriginatorAe, Integer moveOriginatorMessageId,
            AtomicBoolean cancelled, PatientIdRewrite rewrite) throws IOException, NotSentException {
        int context = contextFor(a, instance);
        String targetTs = a.transferSyntax(context);
        Command rq = Command.of(Command.C_STORE_RQ, true);
        int messageId = messageIds.getAndUpdate(id -> id >= 0xFFFF ? 1 : id + 1);
        rq.put(Command.MessageID, messageId);
        rq.put(Command.AffectedSOPClassUID, instance.sopClassUid());
        rq.put(Command.AffectedSOPInstanceUID, instance.sopInstanceUid());
        rq.put(Command.Priority, 0);
        rq.put(Command.MoveOriginatorApplicationEntityTitle, moveOriginatorAe);
        rq.put(Command.MoveOriginatorMessageID, moveOriginatorMessageId);
        long length = instance.blobSize() - instance.datasetOffset();
        String storedTs = instance.transferSyntaxUid();
        InputStream stored;
        try {
            stored = blobs.get(instance.blobKey(), instance.datasetOffset(), length);
        } catch (BlobNotFoundException e) {
            // removed since it was located (rejected, or a remote instance evicted from the cache)
            throw new NotSentException("instance " + instance.sopInstanceUid() + " is no longer stored");
        }
        try (InputStream data = stored) {
            PatientIdRewrite.Prepared rewritten = rewrite == null ? null : prepare(rewrite, data, instance);
            if (rewritten == null && rewrite != null) {
                try (InputStream again = blobs.get(instance.blobKey(), instance.datasetOffset(), length)) {
                    sendData(a, context, rq, again, storedTs, targetTs);
                }
            } else if (rewritten == null) {
                sendData(a, context, rq, data, storedTs, targetTs);
            } else if (targetTs.equals(storedTs)) {
                a.send(context, rq, rewritten::writeTo);
            } else {
                ByteArrayOutputStream copy = new ByteArrayOutputStream();
                rewritten.writeTo(copy);
                sendData(a, context, rq, new ByteArrayInputStream(copy.toByteArray()), storedTs, targetTs);
            }
        } catch (MalformedDicomException e) {
            // found before any of it went on the association: this sub-operation fails, the association goes on
            throw new NotSentException("stored instance " + instance.sopInstanceUid() + " cannot be re-encoded: "
                    + e.getMessage());
        }
        while (true) {
            Association.Message rsp = a.receive();
            if (rsp == null) {
                throw new IOException("peer released the association during a C-STORE sub-operation");
            }
            int field = rsp.command().field();
            if (field == Command.C_STORE_RSP) {
                return rsp.command().getInt(Command.Status, Status.UNABLE_TO_PROCESS);
            }
            if (field == Command.C_CANCEL_RQ) {
                cancelled.set(true);
                continue;
            }
            throw new IOException("unexpected DIMSE command 0x" + Integer.toHexString(field)
                    + " while waiting for a C-STORE-RSP");
        }
    }

    /** The data set as stored, or re-encoded in the other little-endian syntax. */
    private static void sendData(Association a, int context, Command rq, InputStream data, String storedTs,
            String targetTs) throws IOException, MalformedDicomException {
        if (targetTs.equals(storedTs)) {
            a.send(context, rq, data::transferTo);
        } else {
            DicomDataset ds = DicomDataset.read(data, storedTs);
            a.send(context, rq, out -> ds.write(out, targetTs));
        }
    }

    /** The rewritten data set; null when its patient elements cannot be rewritten (it is then sent as stored). */
    private static PatientIdRewrite.Prepared prepare(PatientIdRewrite rewrite, InputStream data,
            InstanceLocation instance) throws IOException, MalformedDicomException {
        try {
            return rewrite.prepare(data, instance.transferSyntaxUid());
        } catch (PatientIdRewrite.NotRewritableException e) {
            log.warn("instance {} sent with the patient identity of its source: {}", instance.sopInstanceUid(),
                    e.getMessage());
            return null;
        }
    }

    static boolean isSuccessOrWarning(int status) {
        return status == Status.SUCCESS || (status & 0xF000) == 0xB000 || status == 0x0107 || status == 0x0116;
    }
}
