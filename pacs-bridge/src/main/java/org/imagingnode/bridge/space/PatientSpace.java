package org.imagingnode.bridge.space;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.imagingnode.bridge.index.StudyContent;
import org.imagingnode.bridge.index.Visibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The patient space in PostgreSQL (schema {@code db/migration/V2__patient_space.sql}): who a local
 * patient is, what the patient decided, and the questions the access policy asks. Local patients are
 * named by (PatientID, IssuerOfPatientID) as indexed, {@code ''} for an absent issuer.
 */
@Repository
public class PatientSpace {
    private static final Logger log = LoggerFactory.getLogger(PatientSpace.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Prefix of share-link bearer tokens: {@code sl.<id>.<secret>}. */
    public static final String SHARE_TOKEN_PREFIX = "sl.";

    public enum LinkOutcome {
        LINKED, ALREADY_LINKED, CONFLICT, NOT_LINKABLE
    }

    /** What the policy needs to decide a professional's access to one study. */
    public record ProfessionalView(boolean linked, boolean hidden, boolean blocked, boolean breakGlass) {
    }

    public record StudySummary(String studyInstanceUid, LocalDate studyDate, String studyTime, String description,
            String accessionNumber, List<String> modalities, int instances, String site, String reportStatus,
            boolean hidden) {
    }

    public record UnlinkedStudy(String studyInstanceUid, String localPatientId, String localIssuer,
            LocalDate studyDate, List<String> claimedIdentities) {
    }

    public record ShareLink(String id, String studyInstanceUid, Instant createdAt, Instant expiresAt, Instant revokedAt) {
    }

    public record NewShareLink(ShareLink link, String token) {
    }

    /** A valid share link presented as a credential. */
    public record ShareGrant(String id, String studyInstanceUid, NationalId owner) {
    }

    public record Delegation(NationalId person, NationalId delegate, String kind, boolean confirmed, Instant createdAt) {
    }

    public record HistoryEntry(Instant time, String actor, String actorRole, String action, String channel,
            String studyInstanceUid, String outcome, String detail, String sourceAddress, boolean emergency) {
    }

    public record BreakGlassGrant(NationalId patient, String professionalId, Instant expiresAt) {
    }

    private final JdbcTemplate jdbc;
    /** Bumped by every change made through this object: lets the policy's short-lived memory of decisions go stale. */
    private final AtomicLong generation = new AtomicLong();

    public PatientSpace(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    /** Changes so far through this object (on this node). */
    public long generation() {
        return generation.get();
    }

    private int update(String sql, Object... args) {
        try {
            return jdbc.update(sql, args);
        } finally {
            generation.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ identities and links

    /** The identity's key, created if new. */
    long identity(NationalId who) {
        Long pk = jdbc.queryForObject("WITH ins AS (INSERT INTO national_identity (national_id, issuer) VALUES (?, ?)"
                + " ON CONFLICT (national_id, issuer) DO NOTHING RETURNING pk)"
                + " SELECT pk FROM ins UNION ALL SELECT pk FROM national_identity WHERE national_id = ? AND issuer = ?"
                + " LIMIT 1", Long.class, who.id(), who.issuer(), who.id(), who.issuer());
        return pk;
    }

    private Long existingIdentity(NationalId who) {
        List<Long> l = jdbc.queryForList("SELECT pk FROM national_identity WHERE national_id = ? AND issuer = ?",
                Long.class, who.id(), who.issuer());
        return l.isEmpty() ? null : l.get(0);
    }

    /** The person a local patient is linked to. */
    public Optional<NationalId> identityOf(String localPatientId, String localIssuer) {
        List<NationalId> l = jdbc.query("SELECT n.national_id, n.issuer FROM patient_link k"
                + " JOIN national_identity n ON n.pk = k.identity_fk WHERE k.local_patient_id = ? AND k.local_issuer = ?",
                (rs, i) -> new NationalId(rs.getString(1), rs.getString(2)), nz(localPatientId), nz(localIssuer));
        return l.stream().findFirst();
    }

    /** A patient of this node, as named by its PatientID and IssuerOfPatientID ('' when absent). */
    public record LocalPatient(String patientId, String issuer) {
    }

    /**
     * The local patient to file a person's studies from other nodes under (import reconciliation): among the
     * local patients linked to that person, one other than the national identity itself if any, then the
     * earliest linked, then the smallest PatientID and issuer; empty when none is linked.
     */
    public Optional<LocalPatient> reconciliationTarget(NationalId who) {
        List<LocalPatient> l = jdbc.query("SELECT k.local_patient_id, k.local_issuer FROM patient_link k"
                + " JOIN national_identity n ON n.pk = k.identity_fk WHERE n.national_id = ? AND n.issuer = ?"
                + " ORDER BY (k.local_patient_id = n.national_id AND k.local_issuer = n.issuer), k.linked_at,"
                + " k.local_patient_id, k.local_issuer LIMIT 1",
                (rs, i) -> new LocalPatient(rs.getString(1), rs.getString(2)), who.id(), who.issuer());
        return l.stream().findFirst();
    }

    /**
     * Links a local patient to a person. A local patient already linked to someone else is not moved:
     * the claim is recorded as a conflict for reconciliation.
     */
    public LinkOutcome link(String localPatientId, String localIssuer, NationalId who, String origin, String by,
            String studyUid) {
        String pid = nz(localPatientId);
        String issuer = nz(localIssuer);
        if (pid.isEmpty()) {
            return LinkOutcome.NOT_LINKABLE;
        }
        long identity = identity(who);
        int inserted = update("INSERT INTO patient_link (local_patient_id, local_issuer, identity_fk, origin, linked_by)"
                + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (local_patient_id, local_issuer) DO NOTHING",
                pid, issuer, identity, origin, by);
        if (inserted == 1) {
            log.info("local patient {} ({}) linked to a national identity ({})", pid, issuer.isEmpty() ? "no issuer" : issuer,
                    origin);
            return LinkOutcome.LINKED;
        }
        Long current = jdbc.queryForObject("SELECT identity_fk FROM patient_link WHERE local_patient_id = ? AND local_issuer = ?",
                Long.class, pid, issuer);
        if (current != null && current == identity) {
            return LinkOutcome.ALREADY_LINKED;
        }
        recordConflict(pid, issuer, identity, studyUid, origin + ": linked to another identity");
        return LinkOutcome.CONFLICT;
    }

    private void recordConflict(String pid, String issuer, long claimed, String studyUid, String source) {
        update("INSERT INTO identity_conflict (local_patient_id, local_issuer, claimed_fk, study_uid, source)"
                + " VALUES (?, ?, ?, ?, ?)", pid, issuer, claimed, studyUid, source);
        log.warn("identity conflict for local patient {} ({}): {}; left for reconciliation", pid, issuer, source);
    }

    /**
     * Links the local patient of a received object to the national identities its data set names. Needs an
     * IssuerOfPatientID (a bare PatientID is not unique across sites), unless the PatientID is itself the
     * national identifier; more than one identity, or none usable, leaves the patient unlinked and records
     * the claims for reconciliation.
     */
    public LinkOutcome linkFromDataset(String localPatientId, String localIssuer, List<NationalId> named,
            String studyUid, String source) {
        if (named.isEmpty()) {
            return LinkOutcome.NOT_LINKABLE;
        }
        String pid = nz(localPatientId);
        String issuer = nz(localIssuer);
        if (pid.isEmpty()) {
            return LinkOutcome.NOT_LINKABLE;
        }
        if (named.size() > 1) {
            for (NationalId n : named) {
                recordConflict(pid, issuer, identity(n), studyUid, "data set names several national identities");
            }
            return LinkOutcome.CONFLICT;
        }
        NationalId who = named.get(0);
        boolean self = who.id().equals(pid) && who.issuer().equals(issuer);
        if (issuer.isEmpty() && !self) {
            recordConflict(pid, issuer, identity(who), studyUid, "no IssuerOfPatientID: not linked automatically");
            return LinkOutcome.NOT_LINKABLE;
        }
        return link(pid, issuer, who, "dataset", source, studyUid);
    }

    /** Removes a link (reconciliation); true if there was one. */
    public boolean unlink(String localPatientId, String localIssuer) {
        return update("DELETE FROM patient_link WHERE local_patient_id = ? AND local_issuer = ?",
                nz(localPatientId), nz(localIssuer)) > 0;
    }

    /** Studies whose local patient is linked to no person, newest first, with the identities claimed for them. */
    public List<UnlinkedStudy> unlinkedStudies(int limit) {
        return jdbc.query("SELECT st.study_instance_uid, p.patient_id, p.issuer, st.study_date,"
                + " ARRAY(SELECT DISTINCT n.national_id || '^^^&' || n.issuer || '&ISO' FROM identity_conflict c"
                + "   JOIN national_identity n ON n.pk = c.claimed_fk"
                + "   WHERE c.local_patient_id = p.patient_id AND c.local_issuer = p.issuer)"
                + " FROM study st JOIN patient p ON p.pk = st.patient_fk"
                + " WHERE NOT EXISTS (SELECT 1 FROM patient_link k WHERE k.local_patient_id = p.patient_id"
                + "   AND k.local_issuer = p.issuer)"
                + " ORDER BY st.created_at DESC, st.pk DESC LIMIT ?",
                (rs, i) -> new UnlinkedStudy(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, LocalDate.class), List.of((String[]) rs.getArray(5).getArray())),
                Math.max(1, Math.min(limit, 1000)));
    }

    // ------------------------------------------------------------------ questions of the access policy

    /** Whether the local patient is linked to any person. */
    public boolean isLinked(String localPatientId, String localIssuer) {
        return Boolean.TRUE.equals(jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM patient_link"
                + " WHERE local_patient_id = ? AND local_issuer = ?)", Boolean.class, nz(localPatientId), nz(localIssuer)));
    }

    /** A professional's standing with the person a study belongs to: hidden study, blocked, emergency access. */
    public ProfessionalView professionalView(String localPatientId, String localIssuer, String studyUid,
            String professionalId) {
        List<ProfessionalView> l = jdbc.query("SELECT"
                + " EXISTS (SELECT 1 FROM hidden_study h WHERE h.identity_fk = k.identity_fk AND h.study_uid = ?),"
                + " EXISTS (SELECT 1 FROM blocked_professional b WHERE b.identity_fk = k.identity_fk"
                + "   AND b.professional_id = ?),"
                + " EXISTS (SELECT 1 FROM break_glass g WHERE g.identity_fk = k.identity_fk AND g.professional_id = ?"
                + "   AND g.expires_at > now())"
                + " FROM patient_link k WHERE k.local_patient_id = ? AND k.local_issuer = ?",
                (rs, i) -> new ProfessionalView(true, rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3)),
                studyUid == null ? "" : studyUid, professionalId, professionalId, nz(localPatientId), nz(localIssuer));
        return l.isEmpty() ? new ProfessionalView(false, false, false, false) : l.get(0);
    }

    /**
     * A professional's standing with a person named by their national identity (the patient-space index, whose
     * entries name persons, not local patients); a person this node knows nothing of has decided nothing.
     */
    public ProfessionalView professionalView(NationalId who, String studyUid, String professionalId) {
        List<ProfessionalView> l = jdbc.query("SELECT"
                + " EXISTS (SELECT 1 FROM hidden_study h WHERE h.identity_fk = n.pk AND h.study_uid = ?),"
                + " EXISTS (SELECT 1 FROM blocked_professional b WHERE b.identity_fk = n.pk AND b.professional_id = ?),"
                + " EXISTS (SELECT 1 FROM break_glass g WHERE g.identity_fk = n.pk AND g.professional_id = ?"
                + "   AND g.expires_at > now())"
                + " FROM national_identity n WHERE n.national_id = ? AND n.issuer = ?",
                (rs, i) -> new ProfessionalView(true, rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3)),
                studyUid == null ? "" : studyUid, professionalId, professionalId, who.id(), who.issuer());
        return l.isEmpty() ? new ProfessionalView(false, false, false, false) : l.get(0);
    }

    /**
     * Whether a person may see the studies of a local patient: it is theirs, or that of someone they are the
     * confirmed guardian or the trusted person of.
     */
    public boolean patientMaySee(String localPatientId, String localIssuer, NationalId caller) {
        return Boolean.TRUE.equals(jdbc.queryForObject("SELECT " + PATIENT_SEES.formatted("?", "?"), Boolean.class,
                nz(localPatientId), nz(localIssuer), caller.id(), caller.issuer(), caller.id(), caller.issuer()));
    }

    /**
     * The one rule of {@link #patientMaySee}, over a local patient named by {@code %1$s} (PatientID) and
     * {@code %2$s} (issuer): columns of a query, or placeholders; then the person twice (self, delegate).
     */
    private static final String PATIENT_SEES = "EXISTS (SELECT 1 FROM patient_link k"
            + " JOIN national_identity n ON n.pk = k.identity_fk"
            + " WHERE k.local_patient_id = %1$s AND k.local_issuer = %2$s AND ((n.national_id = ? AND n.issuer = ?)"
            + "   OR EXISTS (SELECT 1 FROM delegation d JOIN national_identity g ON g.pk = d.delegate_fk"
            + "     WHERE d.identity_fk = n.pk AND g.national_id = ? AND g.issuer = ?"
            + "     AND (d.kind = 'trusted' OR d.confirmed_at IS NOT NULL))))";

    /** The studies a person may see (see {@link #patientMaySee}), as a query restriction. */
    public Visibility patientVisibility(NationalId who) {
        return Visibility.where(PATIENT_SEES.formatted("p.patient_id", "p.issuer"), who.id(), who.issuer(), who.id(),
                who.issuer());
    }

    /**
     * The studies a professional may see, as a query restriction: the rules of the policy's per-study decision
     * ({@link #professionalView}): a linked study unless its person blocked the professional or hid the study,
     * everything of a person during an emergency grant of theirs; studies linked to nobody only when
     * {@code seesUnlinked} (staff of the source site).
     */
    public Visibility professionalVisibility(String professionalId, boolean seesUnlinked) {
        String linked = "EXISTS (SELECT 1 FROM patient_link k WHERE k.local_patient_id = p.patient_id"
                + " AND k.local_issuer = p.issuer AND (EXISTS (SELECT 1 FROM break_glass g WHERE g.identity_fk = k.identity_fk"
                + "   AND g.professional_id = ? AND g.expires_at > now())"
                + " OR (NOT EXISTS (SELECT 1 FROM blocked_professional b WHERE b.identity_fk = k.identity_fk"
                + "   AND b.professional_id = ?)"
                + "  AND NOT EXISTS (SELECT 1 FROM hidden_study h WHERE h.identity_fk = k.identity_fk"
                + "   AND h.study_uid = st.study_instance_uid))))";
        if (!seesUnlinked) {
            return Visibility.where(linked, professionalId, professionalId);
        }
        return Visibility.where(linked + " OR NOT EXISTS (SELECT 1 FROM patient_link k WHERE k.local_patient_id ="
                + " p.patient_id AND k.local_issuer = p.issuer)", professionalId, professionalId);
    }

    /**
     * Whether {@code caller} may act for {@code subject} in the patient API: themselves, a confirmed guardian
     * (everything), or a trusted person (reading only, when {@code manage} is false).
     */
    public boolean mayActFor(NationalId caller, NationalId subject, boolean manage) {
        if (caller.equals(subject)) {
            return true;
        }
        return Boolean.TRUE.equals(jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM delegation d"
                + " JOIN national_identity p ON p.pk = d.identity_fk JOIN national_identity g ON g.pk = d.delegate_fk"
                + " WHERE p.national_id = ? AND p.issuer = ? AND g.national_id = ? AND g.issuer = ?"
                + " AND ((d.kind = 'guardian' AND d.confirmed_at IS NOT NULL) OR (d.kind = 'trusted' AND NOT ?)))",
                Boolean.class, subject.id(), subject.issuer(), caller.id(), caller.issuer(), manage));
    }

    /** Whether a study is one of the person's (linked through any of their local patients). */
    public boolean studyBelongsTo(NationalId who, String studyUid) {
        return Boolean.TRUE.equals(jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM study st"
                + " JOIN patient p ON p.pk = st.patient_fk"
                + " JOIN patient_link k ON k.local_patient_id = p.patient_id AND k.local_issuer = p.issuer"
                + " JOIN national_identity n ON n.pk = k.identity_fk"
                + " WHERE st.study_instance_uid = ? AND n.national_id = ? AND n.issuer = ?)", Boolean.class,
                studyUid, who.id(), who.issuer()));
    }

    // ------------------------------------------------------------------ the patient's studies and decisions

    /** The person's studies from every site, newest first. */
    public List<StudySummary> studies(NationalId who) {
        return jdbc.query("SELECT st.study_instance_uid, st.study_date, st.study_time, st.study_description,"
                + " st.accession_number,"
                + " ARRAY(SELECT DISTINCT se.modality FROM series se WHERE se.study_fk = st.pk AND se.modality IS NOT NULL"
                + "   ORDER BY se.modality),"
                + " (SELECT count(*)::int FROM series se JOIN instance i ON i.series_fk = se.pk WHERE se.study_fk = st.pk),"
                + " p.issuer,"
                + " EXISTS (SELECT 1 FROM series se WHERE se.study_fk = st.pk AND se.modality IN ('SR', 'DOC')),"
                + " EXISTS (SELECT 1 FROM hidden_study h WHERE h.identity_fk = n.pk AND h.study_uid = st.study_instance_uid)"
                + " FROM national_identity n"
                + " JOIN patient_link k ON k.identity_fk = n.pk"
                + " JOIN patient p ON p.patient_id = k.local_patient_id AND p.issuer = k.local_issuer"
                + " JOIN study st ON st.patient_fk = p.pk"
                + " WHERE n.national_id = ? AND n.issuer = ?"
                // a study with nothing left but rejection notes (IHE IOCM) is no study of the patient's any more
                + " AND " + StudyContent.SQL
                + " ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.pk DESC",
                (rs, i) -> new StudySummary(rs.getString(1), rs.getObject(2, LocalDate.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), List.of((String[]) rs.getArray(6).getArray()), rs.getInt(7),
                        rs.getString(8), rs.getBoolean(9) ? "available" : "none", rs.getBoolean(10)),
                who.id(), who.issuer());
    }

    public void hide(NationalId who, String studyUid) {
        update("INSERT INTO hidden_study (identity_fk, study_uid) VALUES (?, ?) ON CONFLICT DO NOTHING",
                identity(who), studyUid);
    }

    public void unhide(NationalId who, String studyUid) {
        update("DELETE FROM hidden_study WHERE identity_fk = ? AND study_uid = ?", identity(who), studyUid);
    }

    public void block(NationalId who, String professionalId) {
        update("INSERT INTO blocked_professional (identity_fk, professional_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                identity(who), professionalId);
    }

    public boolean unblock(NationalId who, String professionalId) {
        return update("DELETE FROM blocked_professional WHERE identity_fk = ? AND professional_id = ?",
                identity(who), professionalId) > 0;
    }

    public List<String> blocked(NationalId who) {
        return jdbc.queryForList("SELECT b.professional_id FROM blocked_professional b JOIN national_identity n"
                + " ON n.pk = b.identity_fk WHERE n.national_id = ? AND n.issuer = ? ORDER BY b.blocked_at, b.professional_id",
                String.class, who.id(), who.issuer());
    }

    // ------------------------------------------------------------------ share links

    public NewShareLink createShareLink(NationalId who, String studyUid, Duration lifetime, String by) {
        byte[] idBytes = new byte[9];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(idBytes);
        RANDOM.nextBytes(secret);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(idBytes);
        String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ShareLink link = jdbc.queryForObject("INSERT INTO share_link (id, token_sha256, identity_fk, study_uid, created_by,"
                + " created_at, expires_at) VALUES (?, ?, ?, ?, ?, now(), now() + ? * interval '1 millisecond')"
                + " RETURNING id, study_uid, created_at, expires_at, revoked_at", PatientSpace::shareLink,
                id, sha256(secretText), identity(who), studyUid, by, lifetime.toMillis());
        generation.incrementAndGet();
        return new NewShareLink(link, SHARE_TOKEN_PREFIX + id + "." + secretText);
    }

    public List<ShareLink> shareLinks(NationalId who) {
        return jdbc.query("SELECT s.id, s.study_uid, s.created_at, s.expires_at, s.revoked_at FROM share_link s"
                + " JOIN national_identity n ON n.pk = s.identity_fk WHERE n.national_id = ? AND n.issuer = ?"
                + " ORDER BY s.created_at DESC", PatientSpace::shareLink, who.id(), who.issuer());
    }

    /** Revokes one of the person's links; false when they have no such link. */
    public boolean revokeShareLink(NationalId who, String id) {
        Long pk = existingIdentity(who);
        return pk != null && update("UPDATE share_link SET revoked_at = COALESCE(revoked_at, now())"
                + " WHERE id = ? AND identity_fk = ?", id, pk) > 0;
    }

    /** The grant of a share-link token, if it is one, unrevoked and unexpired. */
    public Optional<ShareGrant> shareGrant(String token) {
        if (token == null || !token.startsWith(SHARE_TOKEN_PREFIX) || token.length() > 200) {
            return Optional.empty();
        }
        int dot = token.indexOf('.', SHARE_TOKEN_PREFIX.length());
        if (dot < 0) {
            return Optional.empty();
        }
        String id = token.substring(SHARE_TOKEN_PREFIX.length(), dot);
        String hash = sha256(token.substring(dot + 1));
        List<Object[]> rows = jdbc.query("SELECT s.token_sha256, s.study_uid, n.national_id, n.issuer FROM share_link s"
                + " JOIN national_identity n ON n.pk = s.identity_fk"
                + " WHERE s.id = ? AND s.revoked_at IS NULL AND s.expires_at > now()",
                (rs, i) -> new Object[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)}, id);
        if (rows.isEmpty() || !MessageDigest.isEqual(((String) rows.get(0)[0]).getBytes(StandardCharsets.US_ASCII),
                hash.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        Object[] r = rows.get(0);
        return Optional.of(new ShareGrant(id, (String) r[1], new NationalId((String) r[2], (String) r[3])));
    }

    private static ShareLink shareLink(ResultSet rs, int i) throws SQLException {
        return new ShareLink(rs.getString(1), rs.getString(2), instant(rs, 3), instant(rs, 4), instant(rs, 5));
    }

    // ------------------------------------------------------------------ guardians and trusted persons

    /** A guardian asks to be attached to a minor: effective once the site confirms it. */
    public void requestGuardianship(NationalId minor, NationalId guardian, String by) {
        update("INSERT INTO delegation (identity_fk, delegate_fk, kind, created_by) VALUES (?, ?, 'guardian', ?)"
                + " ON CONFLICT DO NOTHING", identity(minor), identity(guardian), by);
    }

    /** The site confirms an attachment; false when nobody asked for it. */
    public boolean confirmGuardianship(NationalId minor, NationalId guardian, String by) {
        Long m = existingIdentity(minor);
        Long g = existingIdentity(guardian);
        return m != null && g != null && update("UPDATE delegation SET confirmed_by = ?, confirmed_at = now()"
                + " WHERE identity_fk = ? AND delegate_fk = ? AND kind = 'guardian' AND confirmed_at IS NULL", by, m, g) > 0;
    }

    /** The patient designates a trusted person, who may then see their studies. */
    public void designateTrusted(NationalId patient, NationalId trusted, String by) {
        update("INSERT INTO delegation (identity_fk, delegate_fk, kind, created_by, confirmed_by, confirmed_at)"
                + " VALUES (?, ?, 'trusted', ?, ?, now()) ON CONFLICT DO NOTHING", identity(patient), identity(trusted), by, by);
    }

    public boolean removeDelegation(NationalId person, NationalId delegate, String kind) {
        Long p = existingIdentity(person);
        Long d = existingIdentity(delegate);
        return p != null && d != null && update("DELETE FROM delegation WHERE identity_fk = ? AND delegate_fk = ?"
                + " AND kind = ?", p, d, kind) > 0;
    }

    /** Delegations where the person is either side. */
    public List<Delegation> delegations(NationalId who) {
        return jdbc.query("SELECT p.national_id, p.issuer, g.national_id, g.issuer, d.kind, d.confirmed_at IS NOT NULL,"
                + " d.created_at FROM delegation d JOIN national_identity p ON p.pk = d.identity_fk"
                + " JOIN national_identity g ON g.pk = d.delegate_fk"
                + " WHERE (p.national_id = ? AND p.issuer = ?) OR (g.national_id = ? AND g.issuer = ?)"
                + " ORDER BY d.created_at",
                (rs, i) -> new Delegation(new NationalId(rs.getString(1), rs.getString(2)),
                        new NationalId(rs.getString(3), rs.getString(4)), rs.getString(5), rs.getBoolean(6), instant(rs, 7)),
                who.id(), who.issuer(), who.id(), who.issuer());
    }

    // ------------------------------------------------------------------ emergency access and history

    /** Grants a professional emergency access to a person's studies (hidden ones included) for a limited time. */
    public BreakGlassGrant breakGlass(NationalId patient, String professionalId, String reason, Duration duration,
            String sourceAddress) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("emergency access needs a reason");
        }
        OffsetDateTime exp = jdbc.queryForObject("INSERT INTO break_glass (identity_fk, professional_id, reason, expires_at,"
                + " source_address) VALUES (?, ?, ?, now() + ? * interval '1 millisecond', ?) RETURNING expires_at",
                OffsetDateTime.class, identity(patient), professionalId, reason.strip(), duration.toMillis(), sourceAddress);
        generation.incrementAndGet();
        return new BreakGlassGrant(patient, professionalId, exp.toInstant());
    }

    /**
     * Who accessed the person's data: audit events about their studies or naming them, newest first. An access
     * by a professional during an emergency grant of theirs is flagged.
     */
    public List<HistoryEntry> history(NationalId who, int limit) {
        Long known = existingIdentity(who);
        // a person this node has no study of may still be named by accesses to studies held by other nodes
        long pk = known == null ? -1 : known;
        return jdbc.query("WITH mine AS (SELECT st.study_instance_uid FROM patient_link k"
                + "   JOIN patient p ON p.patient_id = k.local_patient_id AND p.issuer = k.local_issuer"
                + "   JOIN study st ON st.patient_fk = p.pk WHERE k.identity_fk = ?)"
                + " SELECT e.event_time, e.actor, e.actor_role, e.action, e.channel, e.study_uid, e.outcome, e.detail,"
                + " e.source_address, (e.action = 'break-glass' OR EXISTS (SELECT 1 FROM break_glass g WHERE g.identity_fk = ?"
                + "   AND g.professional_id = e.actor AND e.event_time BETWEEN g.granted_at AND g.expires_at))"
                + " FROM audit_event e WHERE e.study_uid IN (SELECT study_instance_uid FROM mine) OR e.patient_id = ?"
                + " ORDER BY e.event_time DESC, e.id DESC LIMIT ?",
                (rs, i) -> new HistoryEntry(instant(rs, 1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                        rs.getBoolean(10)),
                pk, pk, who.cx(), Math.max(1, Math.min(limit, 1000)));
    }

    // ------------------------------------------------------------------ helpers

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
