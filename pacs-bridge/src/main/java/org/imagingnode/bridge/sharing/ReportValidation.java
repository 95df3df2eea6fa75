package org.imagingnode.bridge.sharing;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.ingest.IngestResult;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * A study's report was validated: its manifest is built (and published) now, without waiting for the quiet period.
 * One path for every way a validation arrives (the HTTP API, HL7 v2 ORU messages); each outcome is audited.
 */
@Service
public class ReportValidation {
    private static final Logger log = LoggerFactory.getLogger(ReportValidation.class);
    static final String ACTION = "report-validated";

    public enum Status {
        /** the manifest was built and its publication recorded */
        BUILT,
        /** no study matches (or none the caller may touch) */
        UNKNOWN_STUDY,
        /** the accession number names several studies */
        SEVERAL_STUDIES,
        /** the manifest could not be built now (try again) */
        NOT_BUILT
    }

    /** @param studyUid the study found (null unless exactly one); manifestUid when built */
    public record Result(Status status, String studyUid, String manifestUid) {
        /** Why it did not succeed, fit for the sender. */
        public String reason() {
            return switch (status) {
                case BUILT -> "manifest built";
                case UNKNOWN_STUDY -> "no such study";
                case SEVERAL_STUDIES -> "several studies match";
                case NOT_BUILT -> "manifest not built; try again";
            };
        }
    }

    private final ManifestService manifests;
    private final InstanceIndex index;
    private final AccessGuard guard;

    ReportValidation(ManifestService manifests, InstanceIndex index, AccessGuard guard) {
        this.manifests = manifests;
        this.index = index;
        this.guard = guard;
    }

    /**
     * @param which    the study, by StudyInstanceUID or AccessionNumber
     * @param what     how the study was named, for the audit trail
     * @param mayTouch which of the studies found the caller may declare validated (the others are as if absent)
     */
    public Result validate(Caller caller, String channel, Condition which, String what, Predicate<IndexRow> mayTouch) {
        List<IndexRow> studies = index.find(new IndexQuery(QueryLevel.STUDY, List.of(which),
                Set.of(IndexAttribute.StudyInstanceUID, IndexAttribute.PatientID, IndexAttribute.IssuerOfPatientID), 2, 0));
        List<IndexRow> allowed = studies.stream().filter(mayTouch).toList();
        if (allowed.size() != 1) {
            Result r = new Result(allowed.isEmpty() ? Status.UNKNOWN_STUDY : Status.SEVERAL_STUDIES, null, null);
            guard.audit(caller, channel, Action.STORE, null, null, "failure", ACTION + ": " + what + ": "
                    + (allowed.isEmpty() ? "no such study (or not allowed)" : r.reason()));
            return r;
        }
        String studyUid = text(allowed.get(0), IndexAttribute.StudyInstanceUID);
        IngestResult built;
        try {
            built = manifests.rebuild(studyUid).orElse(null);
        } catch (IOException | RuntimeException e) {
            log.error("manifest of study {} not built on report validation: {}", studyUid, e.toString());
            built = null;
        }
        boolean ok = built != null && built.success();
        guard.audit(caller, channel, Action.STORE, text(allowed.get(0), IndexAttribute.PatientID), studyUid,
                ok ? "success" : "failure", ACTION + ": manifest " + (ok ? "built" : "not built"));
        return ok ? new Result(Status.BUILT, studyUid, built.sopInstanceUid())
                : new Result(Status.NOT_BUILT, studyUid, null);
    }

    /** A study named by its Study Instance UID; IllegalArgumentException when it is not a UID. */
    public static Condition byStudyUid(String studyUid) {
        if (studyUid == null || !Uids.isValid(studyUid.strip())) {
            throw new IllegalArgumentException("not a Study Instance UID");
        }
        return new Condition.SingleValue(IndexAttribute.StudyInstanceUID, studyUid.strip());
    }

    /** A study named by its accession number (one value, no wildcard); IllegalArgumentException otherwise. */
    public static Condition byAccession(String accessionNumber) {
        String a = accessionNumber == null ? "" : accessionNumber.strip();
        if (a.isEmpty() || a.length() > 16 || a.contains("*") || a.contains("?") || a.contains("\\")) {
            throw new IllegalArgumentException("not an accession number");
        }
        return new Condition.SingleValue(IndexAttribute.AccessionNumber, a);
    }

    static String text(IndexRow row, IndexAttribute a) {
        Object v = row.get(a);
        return v == null ? null : v.toString();
    }
}
