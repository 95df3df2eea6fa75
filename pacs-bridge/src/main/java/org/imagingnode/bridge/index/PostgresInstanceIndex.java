package org.imagingnode.bridge.index;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The instance index on PostgreSQL (schema: {@code db/migration/V1__index.sql}; rejected instances,
 * IHE IOCM: {@code V11__instance_rejection.sql}).
 *
 * <ul>
 *   <li>{@link #upsert} is one call of the {@code index_store_instance} database function in a transaction of its
 *       own, committed once the instance's bytes are durable. Safe for concurrent ingest of the same
 *       patient/study/series from several connections.</li>
 *   <li>{@link #find} and {@link #locate} build parameterised SQL ({@link IndexSql}); malformed or
 *       unanswerable queries throw {@link IllegalArgumentException} with a message fit for the requester.</li>
 * </ul>
 * All statements go through a {@link JdbcTemplate}.
 */
@Repository
public class PostgresInstanceIndex implements InstanceIndex {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresInstanceIndex.class);

    private static final String UPSERT = "SELECT previous_blob_key, study_patient_conflict, series_study_conflict,"
            + " rejected_note, rejected_reason, rejected_at, rejected_blob_key"
            + " FROM index_store_instance(?::text, ?::text, ?::text, ?::text, ?::date, ?::text,"
            + " ?::text, ?::date, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text,"
            + " ?::text, ?::text, ?::int, ?::text, ?::text,"
            + " ?::text, ?::text, ?::int, ?::int, ?::int, ?::int, ?::text, ?::text,"
            + " ?::text, ?::bigint, ?::text, ?::bigint, ?::text)";

    private final JdbcTemplate jdbc;

    public PostgresInstanceIndex(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    @Override
    public Optional<String> upsert(IndexedInstance in, CompletableFuture<?> bytesDurable) {
        Objects.requireNonNull(in, "instance");
        require(in.studyInstanceUid(), "StudyInstanceUID");
        require(in.seriesInstanceUid(), "SeriesInstanceUID");
        require(in.sopInstanceUid(), "SOPInstanceUID");
        require(in.transferSyntaxUid(), "transfer syntax");
        require(in.blobKey(), "blob key");
        if (in.blobSize() < 0 || in.datasetOffset() < 0) {
            throw new IllegalArgumentException("blob size and data set offset must not be negative");
        }
        UpsertResult result = jdbc.execute((ConnectionCallback<UpsertResult>) con -> {
            con.setAutoCommit(false);
            try {
                UpsertResult r;
                try (PreparedStatement ps = prepareUpsert(con, in); ResultSet rs = ps.executeQuery()) {
                    r = readUpsert(rs, in);
                }
                bytesDurable.join(); // the rows wait here, uncommitted, for the blob store's flush
                con.commit();
                return r;
            } catch (SQLException | RuntimeException e) {
                try {
                    con.rollback();
                } catch (SQLException failed) {
                    e.addSuppressed(failed); // the connection is gone: nothing was committed either
                }
                throw e;
            } finally {
                restoreAutoCommit(con);
            }
        });
        if (result.studyPatientConflict()) {
            LOG.warn("Instance {}: study {} is indexed under another patient; the instance was indexed under that"
                    + " patient (patient identities are not changed by ingest)", in.sopInstanceUid(), in.studyInstanceUid());
        }
        if (result.seriesStudyConflict()) {
            LOG.warn("Instance {}: series {} belongs to another study than {}; the instance was indexed in the"
                    + " existing series", in.sopInstanceUid(), in.seriesInstanceUid(), in.studyInstanceUid());
        }
        return Optional.ofNullable(result.previousBlobKey());
    }

    private static void restoreAutoCommit(Connection con) {
        try {
            con.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("connection left in a transaction (the pool discards broken connections): {}", e.toString());
        }
    }

    private static PreparedStatement prepareUpsert(Connection con, IndexedInstance in) throws SQLException {
        PreparedStatement ps = con.prepareStatement(UPSERT);
        int k = 0;
        ps.setString(++k, in.patientId() == null ? "" : in.patientId());
        ps.setString(++k, in.issuerOfPatientId() == null ? "" : in.issuerOfPatientId());
        ps.setString(++k, blankToNull(in.patientName()));
        ps.setString(++k, PersonNames.normalise(in.patientName()));
        setDate(ps, ++k, in.patientBirthDate());
        ps.setString(++k, blankToNull(in.patientSex()));
        ps.setString(++k, in.studyInstanceUid());
        setDate(ps, ++k, in.studyDate());
        ps.setString(++k, blankToNull(in.studyTime()));
        ps.setString(++k, blankToNull(in.accessionNumber()));
        ps.setString(++k, blankToNull(in.studyId()));
        ps.setString(++k, blankToNull(in.studyDescription()));
        ps.setString(++k, blankToNull(in.referringPhysicianName()));
        ps.setString(++k, PersonNames.normalise(in.referringPhysicianName()));
        ps.setString(++k, in.seriesInstanceUid());
        ps.setString(++k, blankToNull(in.modality()));
        setInt(ps, ++k, in.seriesNumber());
        ps.setString(++k, blankToNull(in.seriesDescription()));
        ps.setString(++k, blankToNull(in.bodyPartExamined()));
        ps.setString(++k, in.sopInstanceUid());
        ps.setString(++k, blankToNull(in.sopClassUid()));
        setInt(ps, ++k, in.instanceNumber());
        setInt(ps, ++k, in.numberOfFrames());
        setInt(ps, ++k, in.rows());
        setInt(ps, ++k, in.columns());
        ps.setString(++k, in.transferSyntaxUid());
        ps.setString(++k, blankToNull(in.specificCharacterSet()));
        ps.setString(++k, in.blobKey());
        ps.setLong(++k, in.blobSize());
        ps.setString(++k, blankToNull(in.sha256()));
        ps.setLong(++k, in.datasetOffset());
        ps.setString(++k, blankToNull(in.sourceAeTitle()));
        return ps;
    }

    private static UpsertResult readUpsert(ResultSet rs, IndexedInstance in) throws SQLException {
        if (!rs.next()) {
            throw new IllegalStateException("index_store_instance returned no row");
        }
        if (rs.getString(4) != null) {
            throw new PreviouslyRejectedException(in.sopInstanceUid(), rs.getString(4), rs.getString(5),
                    rs.getTimestamp(6).toInstant(), rs.getString(7));
        }
        return new UpsertResult(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3));
    }

    private record UpsertResult(String previousBlobKey, boolean studyPatientConflict, boolean seriesStudyConflict) {
    }

    @Override
    public List<IndexRow> find(IndexQuery query) {
        IndexSql.Statement statement = IndexSql.find(query);
        List<IndexAttribute> columns = statement.columns();
        return jdbc.query(con -> prepare(con.prepareStatement(statement.sql()), statement.params()), (rs, n) -> {
            Map<IndexAttribute, Object> values = new EnumMap<>(IndexAttribute.class);
            for (int k = 0; k < columns.size(); k++) {
                Object value = read(rs, k + 1, columns.get(k));
                if (value != null) {
                    values.put(columns.get(k), value);
                }
            }
            return new IndexRow(values);
        });
    }

    @Override
    public Optional<InstanceLocation> findInstance(String sopInstanceUid) {
        if (sopInstanceUid == null || sopInstanceUid.isBlank()) {
            return Optional.empty();
        }
        return locate(List.of(new Condition.SingleValue(IndexAttribute.SOPInstanceUID, sopInstanceUid)))
                .stream().findFirst();
    }

    @Override
    public List<InstanceLocation> locate(List<Condition> conditions) {
        IndexSql.Statement statement = IndexSql.locate(conditions);
        return jdbc.query(con -> prepare(con.prepareStatement(statement.sql()), statement.params()),
                (rs, n) -> new InstanceLocation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7), rs.getString(8), rs.getLong(9)));
    }

    /**
     * Shareable instances: neither derived (from the source given) nor rejection notes. A study's last change is
     * the later of its newest shareable instance and its newest rejection. A study is due once quiet when it
     * changed after its derived object or holds a shareable instance no build of it has seen ({@code
     * awaits_derived}, V63: race-free where the times are not). Only studies holding such an instance are looked
     * at (a partial index, V64): every change of a study (an instance stored or sent again, a rejection note) leaves
     * one until the next build, so the poll costs what changed, not the size of the archive.
     */
    static final String CHANGED_SINCE_DERIVED = "SELECT st.study_instance_uid FROM study st"
            + " JOIN series se ON se.study_fk = st.pk JOIN instance i ON i.series_fk = se.pk"
            + " LEFT JOIN rejection_note n ON n.sop_instance_uid = i.sop_instance_uid"
            + " LEFT JOIN (SELECT r.study_instance_uid, max(r.rejected_at) AS at FROM rejected_instance r"
            + "   GROUP BY r.study_instance_uid) rj ON rj.study_instance_uid = st.study_instance_uid"
            + " WHERE st.pk IN (SELECT cs.study_fk FROM instance c JOIN series cs ON cs.pk = c.series_fk"
            + "   WHERE c.awaits_derived)"
            + " GROUP BY st.pk, st.study_instance_uid, rj.at"
            + " HAVING greatest(max(i.received_at) FILTER (WHERE i.source_ae IS DISTINCT FROM ? AND n.pk IS NULL), rj.at) < ?"
            + " AND (greatest(max(i.received_at) FILTER (WHERE i.source_ae IS DISTINCT FROM ? AND n.pk IS NULL), rj.at)"
            + "   > coalesce(max(i.received_at) FILTER (WHERE i.source_ae = ?), '-infinity')"
            + "   OR bool_or(i.awaits_derived AND i.source_ae IS DISTINCT FROM ? AND n.pk IS NULL))"
            + " AND bool_or((i.source_ae IS DISTINCT FROM ? AND n.pk IS NULL) OR i.source_ae = ?)"
            + " ORDER BY st.pk LIMIT ?";

    @Override
    public List<String> studiesChangedSinceDerived(String derivedSource, Instant quietSince, int limit) {
        return jdbc.query(CHANGED_SINCE_DERIVED, (rs, n) -> rs.getString(1), derivedSource,
                Timestamp.from(quietSince), derivedSource, derivedSource, derivedSource, derivedSource, derivedSource,
                limit);
    }

    @Override
    public Set<String> derivedInstances(String studyUid, String derivedSource) {
        return Set.copyOf(jdbc.queryForList("SELECT i.sop_instance_uid FROM study st JOIN series se ON se.study_fk = st.pk"
                + " JOIN instance i ON i.series_fk = se.pk WHERE st.study_instance_uid = ? AND i.source_ae = ?",
                String.class, studyUid, derivedSource));
    }

    @Override
    public void markSeenByDerived(Collection<String> sopInstanceUids) {
        if (sopInstanceUids.isEmpty()) {
            return;
        }
        jdbc.update(con -> {
            PreparedStatement ps = con.prepareStatement(
                    "UPDATE instance SET awaits_derived = false WHERE sop_instance_uid = ANY(?) AND awaits_derived");
            ps.setArray(1, con.createArrayOf("text", sopInstanceUids.toArray()));
            return ps;
        });
    }

    private static final String REJECT = "SELECT sop_instance_uid, outcome FROM index_reject_instances("
            + "?, ?, ?, ?, ?, ?, ?, ?, ?::text[], ?::text[], ?::text[], ?)";

    @Override
    public Map<String, Rejection.Outcome> reject(Rejection r) {
        Map<String, Rejection.Outcome> outcomes = new LinkedHashMap<>();
        jdbc.query(con -> {
            PreparedStatement ps = con.prepareStatement(REJECT);
            int k = 0;
            for (String v : new String[] {r.noteUid(), r.studyUid(), r.codeValue(), r.codingScheme(), r.codeMeaning(),
                r.actor(), r.channel(), r.address()}) {
                ps.setString(++k, v);
            }
            ps.setArray(++k, con.createArrayOf("text",
                    r.references().stream().map(Rejection.Reference::seriesInstanceUid).toArray()));
            ps.setArray(++k, con.createArrayOf("text",
                    r.references().stream().map(Rejection.Reference::sopClassUid).toArray()));
            ps.setArray(++k, con.createArrayOf("text",
                    r.references().stream().map(Rejection.Reference::sopInstanceUid).toArray()));
            ps.setString(++k, OWN_SOURCE_PREFIX);
            return ps;
        }, rs -> {
            outcomes.put(rs.getString(1), Rejection.Outcome.valueOf(rs.getString(2).toUpperCase(Locale.ROOT)
                    .replace('-', '_')));
        });
        return outcomes;
    }

    @Override
    public Set<String> rejectionNotesOf(String studyUid) {
        return Set.copyOf(jdbc.queryForList("SELECT sop_instance_uid FROM rejection_note WHERE study_instance_uid = ?",
                String.class, studyUid));
    }

    @Override
    public Map<String, String> rejectedBlobKeys(Collection<String> sopInstanceUids) {
        Map<String, String> keys = new HashMap<>();
        if (sopInstanceUids.isEmpty()) {
            return keys;
        }
        jdbc.query(con -> {
            PreparedStatement ps = con.prepareStatement("SELECT sop_instance_uid, blob_key FROM rejected_instance"
                    + " WHERE sop_instance_uid = ANY(?) AND blob_key IS NOT NULL");
            ps.setArray(1, con.createArrayOf("text", sopInstanceUids.toArray()));
            return ps;
        }, rs -> {
            keys.put(rs.getString(1), rs.getString(2));
        });
        return keys;
    }

    @Override
    public Optional<String> remove(String sopInstanceUid) {
        return Optional.ofNullable(jdbc.queryForObject("SELECT index_remove_instance(?)", String.class, sopInstanceUid));
    }

    static PreparedStatement prepare(PreparedStatement ps, List<Object> params) throws SQLException {
        int k = 0;
        for (Object p : params) {
            k++;
            if (p instanceof String s) {
                ps.setString(k, s);
            } else if (p instanceof Integer i) {
                ps.setInt(k, i);
            } else if (p instanceof LocalDate d) {
                ps.setObject(k, d);
            } else if (p instanceof IndexSql.TextArray a) {
                Array array = ps.getConnection().createArrayOf("text", a.values().toArray(new String[0]));
                ps.setArray(k, array);
            } else {
                throw new IllegalStateException("unexpected parameter type " + p.getClass());
            }
        }
        return ps;
    }

    private static Object read(ResultSet rs, int column, IndexAttribute attribute) throws SQLException {
        switch (attribute.kind()) {
            case DATE:
                return rs.getObject(column, LocalDate.class);
            case INTEGER:
            case COUNT: {
                int v = rs.getInt(column);
                return rs.wasNull() ? null : v;
            }
            case LIST: {
                Array array = rs.getArray(column);
                if (array == null) {
                    return null;
                }
                try {
                    return List.of((String[]) array.getArray());
                } finally {
                    array.free();
                }
            }
            default: {
                String v = rs.getString(column);
                return v == null || v.isEmpty() ? null : v;
            }
        }
    }

    private static void setDate(PreparedStatement ps, int k, LocalDate date) throws SQLException {
        if (date == null) {
            ps.setNull(k, Types.DATE);
        } else {
            ps.setObject(k, date);
        }
    }

    private static void setInt(PreparedStatement ps, int k, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(k, Types.INTEGER);
        } else {
            ps.setInt(k, value);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("an indexed instance needs a " + what);
        }
    }
}
