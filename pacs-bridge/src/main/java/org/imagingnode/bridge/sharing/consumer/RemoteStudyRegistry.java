package org.imagingnode.bridge.sharing.consumer;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.space.NationalId;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The remote studies this node has found in the index (table {@code remote_study}): a study asked for by its
 * StudyInstanceUID alone (WADO-RS, C-MOVE) is looked up here to know its source node. Grants nothing: the source
 * decides every access.
 */
public class RemoteStudyRegistry {

    /** A study held by another node. */
    public record RemoteStudy(String studyUid, String sourceNode, String retrieveUrl, String retrieveAe,
            String nationalId, String nationalIssuer) {
        /** The patient, as HL7 v2 CX ({@code id^^^&issuer&ISO}). */
        public String patientCx() {
            return new NationalId(nationalId, nationalIssuer).cx();
        }

        /** The same study, retrieved from that DICOMweb base. */
        RemoteStudy at(String base) {
            return new RemoteStudy(studyUid, sourceNode, base, retrieveAe, nationalId, nationalIssuer);
        }
    }

    private final JdbcTemplate jdbc;

    public RemoteStudyRegistry(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    /**
     * Records (or refreshes) where an index entry says its study is. The caller chose that source among those
     * publishing the study: another source replaces the one recorded; the same source's entry refreshes it only if
     * it is not older than the one recorded.
     */
    public void remember(IndexEntry e) {
        Timestamp updated = e.updatedAt() == null ? null : Timestamp.from(e.updatedAt());
        jdbc.update("INSERT INTO remote_study (study_uid, source_node, retrieve_url, retrieve_ae, national_id,"
                + " national_issuer, manifest_uid, index_updated_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (study_uid) DO UPDATE SET source_node = EXCLUDED.source_node,"
                + " retrieve_url = EXCLUDED.retrieve_url, retrieve_ae = EXCLUDED.retrieve_ae,"
                + " national_id = EXCLUDED.national_id, national_issuer = EXCLUDED.national_issuer,"
                + " manifest_uid = EXCLUDED.manifest_uid, index_updated_at = EXCLUDED.index_updated_at, seen_at = now()"
                + " WHERE remote_study.source_node <> EXCLUDED.source_node"
                + " OR remote_study.index_updated_at IS NULL OR EXCLUDED.index_updated_at IS NULL"
                + " OR EXCLUDED.index_updated_at >= remote_study.index_updated_at",
                e.studyInstanceUid(), e.sourceNode(), e.retrieveUrl(), e.retrieveAeTitle(), e.patient().id(),
                e.patient().issuer(), e.manifestSopInstanceUid(), updated);
    }

    /**
     * When the index last said something of each remote study of this person that this node remembers (the
     * {@code updatedAt} of the entry it saw; null when the entry had none).
     */
    public Map<String, Instant> updatedAt(NationalId who) {
        Map<String, Instant> out = new HashMap<>();
        jdbc.query("SELECT study_uid, index_updated_at FROM remote_study WHERE national_id = ? AND national_issuer = ?",
                rs -> {
                    Timestamp t = rs.getTimestamp(2);
                    out.put(rs.getString(1), t == null ? null : t.toInstant());
                }, who.id(), who.issuer());
        return out;
    }

    public Optional<RemoteStudy> find(String studyUid) {
        List<RemoteStudy> l = jdbc.query("SELECT study_uid, source_node, retrieve_url, retrieve_ae, national_id,"
                + " national_issuer FROM remote_study WHERE study_uid = ?",
                (rs, i) -> new RemoteStudy(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6)), studyUid);
        return l.stream().findFirst();
    }
}
