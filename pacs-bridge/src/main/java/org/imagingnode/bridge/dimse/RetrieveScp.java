package org.imagingnode.bridge.dimse;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.security.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * C-GET and C-MOVE SCP. Both resolve the identifier to stored instances and send each as a C-STORE
 * sub-operation: back on the requestor's association (C-GET) or on a new association to a
 * registered destination AE (C-MOVE), with pending responses carrying the counts.
 */
final class RetrieveScp {
    private static final Logger log = LoggerFactory.getLogger(RetrieveScp.class);
    private static final int FAILED_SOP_INSTANCE_UID_LIST = 0x00080058;

    private final InstanceIndex index;
    private final InstanceSender sender;
    private final AeRegistry registry;
    private final String aeTitle;
    private final int connectTimeoutMillis;
    private final RemoteRetrieves remote;

    /** @param remote studies held by other nodes, retrieved through this one; null when sharing is off */
    RetrieveScp(InstanceIndex index, InstanceSender sender, AeRegistry registry, String aeTitle,
            int connectTimeoutMillis, RemoteRetrieves remote) {
        this.index = index;
        this.sender = sender;
        this.registry = registry;
        this.aeTitle = aeTitle;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.remote = remote;
    }

    /** Counts of one retrieve, reported in pending and final responses. */
    private static final class Progress {
        final int total;
        int completed;
        int failed;
        int warning;
        final List<String> failedUids = new ArrayList<>();
        final AtomicBoolean cancelled = new AtomicBoolean();
        /** Why the retrieve ended short (the destination or the requestor lost); null while all goes well. */
        String problem;

        Progress(int total) {
            this.total = total;
        }

        int remaining() {
            return total - completed - failed - warning;
        }
    }

    void get(AssociationContext ctx, Association.Message msg) throws IOException {
        retrieve(ctx, msg, Command.C_GET_RSP, null);
    }

    void move(AssociationContext ctx, Association.Message msg) throws IOException {
        String destination = msg.command().getString(Command.MoveDestination);
        retrieve(ctx, msg, Command.C_MOVE_RSP, destination == null ? "" : destination);
    }

    private void retrieve(AssociationContext ctx, Association.Message msg, int responseField, String moveDestination)
            throws IOException {
        Association a = ctx.association;
        String action = moveDestination == null ? "C-GET" : "C-MOVE";
        if (!ctx.authorized(Action.RETRIEVE, action)) {
            a.dataSet().transferTo(OutputStream.nullOutputStream());
            FinalResponses.send(a, msg, responseField, Status.REFUSED_NOT_AUTHORIZED, "calling AE may not retrieve", null);
            return;
        }
        List<Condition> keys;
        try {
            DicomDataset identifier = DicomDataset.readUntrusted(a.dataSet(), a.transferSyntax(msg.contextId()),
                    Identifiers.MAX_IDENTIFIER_BYTES);
            QueryLevel level = Identifiers.level(identifier, a.abstractSyntax(msg.contextId()));
            keys = Identifiers.retrieveKeys(identifier, level);
        } catch (MalformedDicomException e) {
            FinalResponses.send(a, msg, responseField, Status.CANNOT_UNDERSTAND, "malformed identifier", null);
            return;
        } catch (Identifiers.BadIdentifierException e) {
            FinalResponses.send(a, msg, responseField, Status.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, e.getMessage(), null);
            return;
        }
        AeRegistry.RemoteAe target = null;
        if (moveDestination != null) {
            target = registry.destination(moveDestination).orElse(null);
            if (target == null) {
                FinalResponses.send(a, msg, responseField, Status.MOVE_DESTINATION_UNKNOWN,
                        "move destination '" + moveDestination + "' unknown", null);
                ctx.audit(Action.RETRIEVE, Identifiers.singleValue(keys, IndexAttribute.PatientID),
                        Identifiers.singleValue(keys, IndexAttribute.StudyInstanceUID), "failure",
                        "C-MOVE refused: unknown destination " + moveDestination);
                return;
            }
        }
        List<InstanceLocation> instances;
        try {
            instances = index.locate(keys);
        } catch (RuntimeException e) {
            log.error("{} from {} failed: {}", action, ctx.callingAe, e.toString());
            FinalResponses.send(a, msg, responseField, Status.OUT_OF_RESOURCES, "index unavailable", null);
            return;
        }
        String patient = Identifiers.singleValue(keys, IndexAttribute.PatientID);
        Map<String, RemoteRetrieves.Fetched> fetchedByStudy = new LinkedHashMap<>();
        if (remote != null) {
            Set<String> held = new HashSet<>();
            instances.forEach(i -> held.add(i.studyInstanceUid()));
            for (String study : Identifiers.uids(keys, IndexAttribute.StudyInstanceUID)) {
                if (held.contains(study)) {
                    continue; // held here: what matches is sent from here
                }
                try {
                    RemoteRetrieves.Fetched fetched = remote.fetch(study,
                            Identifiers.uids(keys, IndexAttribute.SeriesInstanceUID),
                            Identifiers.uids(keys, IndexAttribute.SOPInstanceUID));
                    if (fetched != null) {
                        fetchedByStudy.put(study, fetched);
                    }
                } catch (RemoteRetrieves.Refused e) {
                    log.warn("{} from {} of remote study {} refused: {}", action, ctx.callingAe, study, e.getMessage());
                    FinalResponses.send(a, msg, responseField, e.notAuthorized() ? Status.REFUSED_NOT_AUTHORIZED
                            : Status.OUT_OF_RESOURCES_MATCHES, e.getMessage(), null);
                    ctx.audit(Action.RETRIEVE, patient, study, e.notAuthorized() ? "denied" : "failure",
                            action + " of a remote study refused: " + e.getMessage());
                    return;
                }
            }
        }
        Map<String, PatientIdRewrite> reconciled = new HashMap<>();
        List<String> notFetched = new ArrayList<>();
        if (!fetchedByStudy.isEmpty()) {
            instances = new ArrayList<>(instances);
            for (var remoteStudy : fetchedByStudy.entrySet()) {
                RemoteRetrieves.Fetched fetched = remoteStudy.getValue();
                instances.addAll(fetched.instances());
                notFetched.addAll(fetched.failedSopUids());
                if (fetched.reconciled() != null && !fetched.instances().isEmpty()) {
                    reconciled.put(remoteStudy.getKey(), fetched.reconciled());
                    log.info("{} from {} of remote study {} (node {}): sent under this node's patient identity",
                            action, ctx.callingAe, remoteStudy.getKey(), fetched.sourceNode());
                    log.debug("remote study {} sent as PatientID {} issuer '{}'", remoteStudy.getKey(),
                            fetched.reconciled().patientId(), fetched.reconciled().issuer());
                }
            }
        }
        Map<String, Integer> perStudy = new LinkedHashMap<>();
        instances.forEach(i -> perStudy.merge(i.studyInstanceUid(), 1, Integer::sum));
        fetchedByStudy.forEach((study, fetched) -> {
            if (!fetched.failedSopUids().isEmpty()) {
                perStudy.merge(study, fetched.failedSopUids().size(), Integer::sum);
            }
        });
        Progress progress = new Progress(instances.size() + notFetched.size());
        progress.failed = notFetched.size();
        progress.failedUids.addAll(notFetched);
        String what = action + (moveDestination != null ? " to " + moveDestination : "");
        Association destination = null;
        if (target != null) {
            try {
                destination = StoreScu.open(target, instances, aeTitle, connectTimeoutMillis);
            } catch (IOException e) {
                log.warn("C-MOVE from {}: cannot associate with {} at {}:{}: {}", ctx.callingAe, target.aeTitle(),
                        target.host(), target.port(), e.getMessage());
                if (perStudy.isEmpty()) {
                    perStudy.put(Identifiers.singleValue(keys, IndexAttribute.StudyInstanceUID), 0);
                }
                audit(ctx, perStudy, fetchedByStudy, patient, "failure",
                        n -> what + " failed: cannot reach the destination (" + e.getMessage() + ")");
                FinalResponses.send(a, msg, responseField, Status.OUT_OF_RESOURCES_SUBOPERATIONS,
                        "cannot reach move destination " + target.aeTitle(), null);
                return;
            }
        }
        try {
            try {
                sendAll(a, destination == null ? a : destination, msg, responseField, instances, progress,
                        destination == null ? null : ctx.callingAe, reconciled);
            } finally {
                if (destination != null && progress.problem == null) {
                    try {
                        destination.release();
                    } catch (IOException e) {
                        destination.abort();
                    }
                }
            }
            finishRetrieve(a, msg, responseField, progress);
        } catch (IOException e) {
            // the requestor is gone (for C-GET it is also the destination): nobody to answer, the audit stays due
            progress.problem = "association with the requestor lost: " + e.getMessage();
            throw e;
        } finally {
            String problem = progress.problem == null ? "" : "; " + progress.problem;
            audit(ctx, perStudy, fetchedByStudy, patient,
                    progress.failed == 0 && progress.problem == null ? "success" : "failure",
                    n -> what + ": " + n + " instances, " + progress.completed + " sent in all, " + progress.failed
                            + " failed" + problem);
        }
    }

    /**
     * One audit row per study: a remote study's names the patient by national identity (so that it shows in their
     * access history) and its source node; a local one's, the PatientID of the identifier if any.
     *
     * @param detail the detail, given the number of instances of the study
     */
    private static void audit(AssociationContext ctx, Map<String, Integer> perStudy,
            Map<String, RemoteRetrieves.Fetched> fetchedByStudy, String patient, String outcome,
            IntFunction<String> detail) {
        perStudy.forEach((study, n) -> {
            RemoteRetrieves.Fetched fetched = fetchedByStudy.get(study);
            String origin = fetched == null ? "" : " (remote study, node " + fetched.sourceNode()
                    + (fetched.reconciled() == null ? "" : ", patient identity reconciled") + ")";
            ctx.audit(Action.RETRIEVE, fetched == null ? patient : fetched.patient(), study, outcome,
                    detail.apply(n) + origin);
        });
    }

    /**
     * Sends each instance as a C-STORE sub-operation, with a pending response after each. When a C-MOVE destination
     * is lost (or answers out of turn), it is aborted: the instance in flight and those not attempted fail, and
     * {@link Progress#problem} says why.
     */
    private void sendAll(Association requestor, Association target, Association.Message msg, int responseField,
            List<InstanceLocation> instances, Progress progress, String moveOriginator,
            Map<String, PatientIdRewrite> reconciled) throws IOException {
        Integer originatorId = moveOriginator == null ? null : msg.command().getInt(Command.MessageID);
        for (int i = 0; i < instances.size(); i++) {
            InstanceLocation instance = instances.get(i);
            if (progress.cancelled.get() || (target != requestor && requestor.hasPendingInput() && cancelRequested(requestor))) {
                progress.cancelled.set(true);
                break;
            }
            int status;
            try {
                status = sender.send(target, instance, moveOriginator, originatorId, progress.cancelled,
                        reconciled.get(instance.studyInstanceUid()));
            } catch (InstanceSender.NotSentException e) {
                log.info("cannot send {}: {}", instance.sopInstanceUid(), e.getMessage());
                status = Status.UNABLE_TO_PROCESS;
            } catch (IOException e) {
                if (target == requestor) {
                    throw e;
                }
                String destination = target.request().calledAeTitle();
                log.warn("C-MOVE from {}: association with destination {} lost: {}", moveOriginator, destination,
                        e.toString());
                target.abort();
                progress.problem = "move destination " + destination + " lost: " + e.getMessage();
                for (InstanceLocation notSent : instances.subList(i, instances.size())) {
                    progress.failed++;
                    progress.failedUids.add(notSent.sopInstanceUid());
                }
                return;
            }
            if (status == Status.SUCCESS) {
                progress.completed++;
            } else if (InstanceSender.isSuccessOrWarning(status)) {
                progress.warning++;
            } else {
                progress.failed++;
                progress.failedUids.add(instance.sopInstanceUid());
            }
            if (progress.remaining() > 0) {
                Command pending = Command.responseTo(msg.command(), responseField, Status.PENDING, false);
                counts(pending, progress);
                requestor.send(msg.contextId(), pending, null);
            }
        }
    }

    private static boolean cancelRequested(Association a) throws IOException {
        Association.Message m = a.receive();
        return m != null && m.command().field() == Command.C_CANCEL_RQ;
    }

    private static void counts(Command rsp, Progress p) {
        rsp.put(Command.NumberOfRemainingSuboperations, p.remaining());
        rsp.put(Command.NumberOfCompletedSuboperations, p.completed);
        rsp.put(Command.NumberOfFailedSuboperations, p.failed);
        rsp.put(Command.NumberOfWarningSuboperations, p.warning);
    }

    /**
     * PS3.4 C.4.2.3.1 and C.4.3.3.1: Failure A702 when every sub-operation failed (none completed, none with a
     * warning), Warning B000 when some failed or had a warning, Success otherwise.
     */
    private static int finalStatus(Progress p) {
        if (p.failed > 0 && p.completed == 0 && p.warning == 0) {
            return Status.OUT_OF_RESOURCES_SUBOPERATIONS;
        }
        return p.failed > 0 || p.warning > 0 ? Status.SUBOPERATIONS_WITH_FAILURES : Status.SUCCESS;
    }

    private static void finishRetrieve(Association a, Association.Message msg, int responseField, Progress p)
            throws IOException {
        int status = p.cancelled.get() ? Status.CANCEL : finalStatus(p);
        boolean withFailedList = !p.failedUids.isEmpty();
        Command rsp = Command.responseTo(msg.command(), responseField, status, withFailedList);
        counts(rsp, p);
        rsp.putError(p.problem, null);
        if (!p.cancelled.get()) {
            rsp.put(Command.NumberOfRemainingSuboperations, null);
        }
        if (withFailedList) {
            DicomDataset failed = DicomDataset.newUtf8();
            failed.putString(FAILED_SOP_INSTANCE_UID_LIST, p.failedUids.toArray(String[]::new));
            String ts = a.transferSyntax(msg.contextId());
            a.send(msg.contextId(), rsp, out -> failed.write(out, ts));
        } else {
            a.send(msg.contextId(), rsp, null);
        }
    }
}
