package org.imagingnode.bridge.dimse;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.ingest.IngestRequest;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.ingest.IngestService;
import org.imagingnode.bridge.ingest.IngestSource;
import org.imagingnode.bridge.security.Action;

/**
 * C-STORE SCP: streams the data set into a spool file (hashing it on the way), hands it to the
 * ingest pipeline and answers with the pipeline's verdict. Success is sent only once the object is
 * durable and indexed.
 */
final class StoreScp {
    private final IngestService ingest;
    private final SpoolArea spool;
    private final long maxDataSetBytes;

    StoreScp(IngestService ingest, SpoolArea spool, long maxDataSetBytes) {
        this.maxDataSetBytes = maxDataSetBytes;
        this.ingest = ingest;
        this.spool = spool;
    }

    void handle(AssociationContext ctx, Association.Message msg) throws IOException {
        Association a = ctx.association;
        Command rq = msg.command();
        String sopClass = rq.getString(Command.AffectedSOPClassUID);
        String sopInstance = rq.getString(Command.AffectedSOPInstanceUID);
        if (!ctx.authorized(Action.STORE, "C-STORE of " + sopInstance)) {
            a.dataSet().transferTo(OutputStream.nullOutputStream());
            respond(a, msg, Status.REFUSED_NOT_AUTHORIZED, "calling AE may not store", null);
            return;
        }
        if (sopClass == null || sopInstance == null) {
            a.dataSet().transferTo(OutputStream.nullOutputStream());
            respond(a, msg, Status.CANNOT_UNDERSTAND, "C-STORE-RQ without Affected SOP Class/Instance UID", null);
            return;
        }
        var existing = ingest.lookAhead(sopInstance);
        String ts = a.transferSyntax(msg.contextId());
        Path file = spool.newFile();
        MessageDigest sha = Checksums.sha256();
        byte[] header = Part10.header(sopClass, sopInstance, ts);
        try (OutputStream out = new DigestOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024), sha)) {
            out.write(header);
            copyAtMost(a.dataSet(), out, maxDataSetBytes);
        } catch (IOException | RuntimeException e) {
            existing.cancel(false);
            Files.deleteIfExists(file);
            throw e;
        }
        IngestResult r = ingest.ingest(new IngestRequest(file, HexFormat.of().formatHex(sha.digest()), header.length,
                ts, sopClass, sopInstance, new IngestSource(ctx.callingAe, "DIMSE", ctx.caller.address())), existing);
        ctx.countStore(r.studyInstanceUid(), r.patientId(), r.success());
        int status = switch (r.outcome()) {
            case STORED, UNCHANGED, REPLACED -> Status.SUCCESS;
            case MALFORMED -> Status.CANNOT_UNDERSTAND;
            case INVALID -> Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS;
            case PREVIOUSLY_REJECTED -> Status.REFUSED_PREVIOUSLY_REJECTED;
            case FAILED -> Status.OUT_OF_RESOURCES;
        };
        respond(a, msg, status, r.success() ? null : r.message(), r.offendingTag());
    }

    /** Copies a data set, aborting the association when it exceeds the configured maximum. */
    private static void copyAtMost(InputStream in, OutputStream out, long max) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
            if (total > max) {
                throw new DataSetTooLargeException(max);
            }
            out.write(buffer, 0, n);
        }
    }

    /** A data set over the node's size limit: the association is aborted, nothing is stored. */
    static final class DataSetTooLargeException extends IOException {
        DataSetTooLargeException(long max) {
            super("data set larger than the limit of " + max + " bytes (node.dimse.max-data-set-size)");
        }
    }

    private static void respond(Association a, Association.Message msg, int status, String comment,
            Integer offendingTag) throws IOException {
        Command rsp = Command.responseTo(msg.command(), Command.C_STORE_RSP, status, false);
        rsp.put(Command.AffectedSOPInstanceUID, msg.command().getString(Command.AffectedSOPInstanceUID));
        rsp.putError(comment, offendingTag);
        a.send(msg.contextId(), rsp, null);
    }
}
