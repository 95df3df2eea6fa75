package org.imagingnode.bridge.sharing.index;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;

import javax.sql.DataSource;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.space.NationalId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The patient-space index's entries in PostgreSQL (table {@code index_entry}, V10). Publications and
 * withdrawals are audited (channel {@value #CHANNEL}), whether they come over HTTP or from this node itself.
 */
@Repository
public class PatientIndex {
    private static final Logger log = LoggerFactory.getLogger(PatientIndex.class);
    /** How far ahead of the index's clock an entry's date is taken as given (PostgreSQL interval). */
    static final String FUTURE_TOLERANCE = "5 minutes";
    public static final String CHANNEL = "index";

    private final JdbcTemplate jdbc;
    private final AuditLog audit;

    public PatientIndex(DataSource dataSource, AuditLog audit) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.audit = audit;
    }

    /** Stores a source node's entry (unless a newer one is held) and audits it. */
    public void publish(IndexEntry e, String byNode, String address) {
        boolean stored = put(e);
        record(byNode, "node", "index-publish", e.patient().nationalId().cx(), e.studyInstanceUid(), "success",
                stored ? "entry stored (" + e.numberOfInstances() + " instances)" : "entry older than the one held: ignored",
                address);
    }

    /** Removes a source node's entry and audits it. */
    public void withdraw(String sourceNode, String studyUid, String byNode, String address) {
        boolean removed = delete(sourceNode, studyUid);
        record(byNode, "node", "index-withdraw", null, studyUid, "success", removed ? "entry removed" : "no entry held",
                address);
    }

    /** Writes one audit event of the index. */
    void record(String actor, String role, String action, String patient, String studyUid, String outcome,
            String detail, String address) {
        try {
            audit.record(new AuditEvent(Instant.now(), actor, role, action, CHANNEL, patient, studyUid, outcome, detail,
                    address));
        } catch (RuntimeException e) {
            log.error("could not audit {} by {}: {}", action, actor, e.toString());
        }
    }

    /**
     * Stores an entry unless the index holds a newer one for the same study and node; true if stored. An entry dated
     * more than {@value #FUTURE_TOLERANCE} ahead of the index's clock is stored as of that bound: a source whose
     * clock once ran ahead would otherwise see every later publication of the study ignored as older.
     */
    boolean put(IndexEntry e) {
        return jdbc.update("INSERT INTO index_entry (source_node, study_instance_uid, national_id, issuer,"
                + " manifest_sop_instance_uid, retrieve_url, retrieve_ae_title, study_date, modalities, study_description,"
                + " number_of_instances, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?, ?,"
                + " LEAST(?, now() + interval '" + FUTURE_TOLERANCE + "'))"
                + " ON CONFLICT (source_node, study_instance_uid) DO UPDATE SET national_id = excluded.national_id,"
                + " issuer = excluded.issuer, manifest_sop_instance_uid = excluded.manifest_sop_instance_uid,"
                + " retrieve_url = excluded.retrieve_url, retrieve_ae_title = excluded.retrieve_ae_title,"
                + " study_date = excluded.study_date, modalities = excluded.modalities,"
                + " study_description = excluded.study_description, number_of_instances = excluded.number_of_instances,"
                + " updated_at = excluded.updated_at, received_at = now()"
                + " WHERE index_entry.updated_at <= excluded.updated_at",
                e.sourceNode(), e.studyInstanceUid(), e.patient().id(), e.patient().issuer(),
                e.manifestSopInstanceUid(), e.retrieveUrl(), e.retrieveAeTitle(), e.localStudyDate(),
                pgArray(e.modalities()), e.studyDescription(), e.numberOfInstances(),
                Timestamp.from(e.updatedAt())) > 0;
    }

    /** Removes the entry; true if there was one. */
    boolean delete(String sourceNode, String studyUid) {
        return jdbc.update("DELETE FROM index_entry WHERE source_node = ? AND study_instance_uid = ?", sourceNode,
                studyUid) > 0;
    }

    /** The person's entries from every node, newest study first. */
    public List<IndexEntry> entries(NationalId who) {
        return jdbc.query("SELECT national_id, issuer, study_instance_uid, source_node, manifest_sop_instance_uid,"
                + " retrieve_url, retrieve_ae_title, study_date, modalities, study_description, number_of_instances,"
                + " updated_at FROM index_entry WHERE national_id = ? AND issuer = ?"
                + " ORDER BY study_date DESC NULLS LAST, updated_at DESC, source_node, study_instance_uid",
                (rs, n) -> new IndexEntry(new IndexEntry.Patient(rs.getString(1), rs.getString(2)), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                        date(rs.getObject(8, LocalDate.class)), List.of((String[]) rs.getArray(9).getArray()),
                        rs.getString(10), rs.getInt(11), rs.getTimestamp(12).toInstant()),
                who.id(), who.issuer());
    }

    private static String date(LocalDate d) {
        return d == null ? null : d.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    /** A text[] literal; modality codes are validated ([A-Z0-9_]), so no quoting is needed. */
    private static String pgArray(List<String> values) {
        return "{" + String.join(",", values) + "}";
    }
}
