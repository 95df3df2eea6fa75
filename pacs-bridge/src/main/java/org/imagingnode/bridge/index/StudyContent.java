package org.imagingnode.bridge.index;

/**
 * Whether a study still has content: an instance that is neither a rejection note (IHE IOCM) nor an object the node
 * derived itself (its manifest). A study whose instances were all rejected keeps its notes, instances reachable in
 * the study by its UID, but it is no study of the patient's any more: study- and patient-level queries do not list
 * it, patient counts do not count it, and it is not shared.
 */
public final class StudyContent {
    /**
     * The condition in SQL, over the study alias {@code st}. A study no rejection note names costs one index probe
     * (rejection_note by study); only the others are looked into.
     */
    public static final String SQL = "(NOT EXISTS (SELECT 1 FROM rejection_note rn"
            + " WHERE rn.study_instance_uid = st.study_instance_uid)"
            + " OR EXISTS (SELECT 1 FROM series cs JOIN instance ci ON ci.series_fk = cs.pk WHERE cs.study_fk = st.pk"
            + " AND NOT starts_with(coalesce(ci.source_ae, ''), '" + InstanceIndex.OWN_SOURCE_PREFIX + "')"
            + " AND NOT EXISTS (SELECT 1 FROM rejection_note cn WHERE cn.sop_instance_uid = ci.sop_instance_uid)))";

    private StudyContent() {
    }
}
