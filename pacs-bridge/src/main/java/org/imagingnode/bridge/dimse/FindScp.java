package org.imagingnode.bridge.dimse;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.security.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** C-FIND SCP for the Patient Root and Study Root information models, answered from the index. */
final class FindScp {
    private static final Logger log = LoggerFactory.getLogger(FindScp.class);

    private final InstanceIndex index;
    private final String aeTitle;
    private final int maxResults;

    FindScp(InstanceIndex index, String aeTitle, int maxResults) {
        this.index = index;
        this.aeTitle = aeTitle;
        this.maxResults = maxResults;
    }

    void handle(AssociationContext ctx, Association.Message msg) throws IOException {
        Association a = ctx.association;
        if (!ctx.authorized(Action.QUERY, "C-FIND")) {
            a.dataSet().transferTo(OutputStream.nullOutputStream());
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.REFUSED_NOT_AUTHORIZED, "calling AE may not query", null);
            return;
        }
        DicomDataset identifier;
        QueryLevel level;
        IndexQuery query;
        try {
            identifier = DicomDataset.readUntrusted(a.dataSet(), a.transferSyntax(msg.contextId()),
                    Identifiers.MAX_IDENTIFIER_BYTES);
            level = Identifiers.level(identifier, a.abstractSyntax(msg.contextId()));
            query = Identifiers.query(identifier, level);
        } catch (MalformedDicomException e) {
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.CANNOT_UNDERSTAND, "malformed identifier", null);
            return;
        } catch (Identifiers.BadIdentifierException e) {
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage(), e.offendingTag);
            return;
        }
        List<IndexRow> rows;
        try {
            // one more than allowed, to know there are too many without reading them all
            rows = index.find(query.limitedTo(maxResults + 1));
        } catch (IllegalArgumentException e) {
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage(), null);
            return;
        } catch (RuntimeException e) {
            log.error("C-FIND from {} failed: {}", ctx.callingAe, e.toString());
            ctx.audit(Action.QUERY, null, null, "failure", "C-FIND " + level + ": index unavailable");
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.OUT_OF_RESOURCES, "index unavailable", null);
            return;
        }
        if (rows.size() > maxResults) {
            log.info("C-FIND {} from {} refused: more than {} matches", level, ctx.callingAe, maxResults);
            ctx.audit(Action.QUERY, Identifiers.singleValue(query.conditions(), IndexAttribute.PatientID),
                    Identifiers.singleValue(query.conditions(), IndexAttribute.StudyInstanceUID), "failure",
                    "C-FIND " + level + ": more than " + maxResults + " matches, refused");
            FinalResponses.send(a, msg, Command.C_FIND_RSP, Status.OUT_OF_RESOURCES,
                    "more than " + maxResults + " matches: narrow the query", null);
            return;
        }
        int sent = 0;
        boolean cancelled = false;
        for (IndexRow row : rows) {
            if (a.hasPendingInput() && isCancel(a)) {
                cancelled = true;
                break;
            }
            DicomDataset response = Identifiers.response(identifier, row, level, aeTitle);
            Command pending = Command.responseTo(msg.command(), Command.C_FIND_RSP, Status.PENDING, true);
            String ts = a.transferSyntax(msg.contextId());
            a.send(msg.contextId(), pending, out -> response.write(out, ts));
            sent++;
        }
        FinalResponses.send(a, msg, Command.C_FIND_RSP, cancelled ? Status.CANCEL : Status.SUCCESS, null, null);
        ctx.audit(Action.QUERY, Identifiers.singleValue(query.conditions(), IndexAttribute.PatientID),
                Identifiers.singleValue(query.conditions(), IndexAttribute.StudyInstanceUID), "success",
                "C-FIND " + level + ": " + sent + " matches" + (cancelled ? " (cancelled)" : ""));
    }

    private static boolean isCancel(Association a) throws IOException {
        Association.Message m = a.receive();
        return m != null && m.command().field() == Command.C_CANCEL_RQ;
    }
}
