package org.imagingnode.bridge.sharing.consumer;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jwt.SignedJWT;

/**
 * Who may have a remote study retrieved through this node by a DIMSE peer. A C-MOVE or C-GET carries no user
 * identity, yet the source node decides with a professional's token: the professional who last found the study
 * through this node (QIDO-RS, the portal, a viewer launch) lends theirs, while it is valid, to the site's own PACS
 * importing it. A patient's token is never lent: with it, the site's peers would get what the patient hid from
 * its professionals. Kept in memory only, never written anywhere, and never longer than the token lives (12 hours at
 * most); a study nobody found here recently cannot be moved (the peer is told to look it up first).
 *
 * <p>The same holds for a viewer token this node issued to a professional for a remote study: the source never
 * sees that token (it is this node's), so requests made with it are forwarded with the credentials of the
 * professional it was issued to, for that one study, until the first of the two tokens expires.
 */
public class RetrievalGrants {
    private static final Duration LONGEST = Duration.ofHours(12);
    private static final int MAX = 10_000;

    private record Grant(String authorization, Instant until) {
    }

    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private final Map<String, Grant> viewers = new ConcurrentHashMap<>();
    private final Clock clock;

    public RetrievalGrants(Clock clock) {
        this.clock = clock;
    }

    /** The caller with this Authorization header was just allowed the study by its source. */
    public void grant(String studyUid, String authorization) {
        put(grants, studyUid, authorization, null);
    }

    /**
     * The viewer token {@code viewerTokenId} (valid until {@code viewerTokenExpiry}) was just issued for a remote
     * study to the holder of this Authorization header, whom its source allowed the study.
     */
    public void entrust(String viewerTokenId, String studyUid, String authorization, Instant viewerTokenExpiry) {
        put(viewers, viewerTokenId + '\u0000' + studyUid, authorization, viewerTokenExpiry);
    }

    /** The Authorization header a viewer token's requests about the study are forwarded with, while valid. */
    public Optional<String> authorizationForViewer(String viewerTokenId, String studyUid) {
        return valid(viewers.get(viewerTokenId + '\u0000' + studyUid));
    }

    private void put(Map<String, Grant> map, String key, String authorization, Instant notAfter) {
        Instant now = clock.instant();
        Instant until = expiry(authorization).orElse(now.plus(Duration.ofHours(1)));
        if (until.isAfter(now.plus(LONGEST))) {
            until = now.plus(LONGEST);
        }
        if (notAfter != null && until.isAfter(notAfter)) {
            until = notAfter;
        }
        if (!until.isAfter(now)) {
            return;
        }
        if (map.size() >= MAX) {
            map.values().removeIf(g -> !g.until().isAfter(now));
            if (map.size() >= MAX) {
                map.clear();
            }
        }
        map.put(key, new Grant(authorization, until));
    }

    /** The Authorization header to retrieve the study with, if someone's is still valid. */
    public Optional<String> authorizationFor(String studyUid) {
        return valid(grants.get(studyUid));
    }

    private Optional<String> valid(Grant g) {
        return g == null || !g.until().isAfter(clock.instant()) ? Optional.empty() : Optional.of(g.authorization());
    }

    /** The {@code exp} of a bearer JWT, read without checking it (the source checks it; this only bounds the grant). */
    static Optional<Instant> expiry(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        try {
            Date exp = SignedJWT.parse(authorization.substring(7).strip()).getJWTClaimsSet().getExpirationTime();
            return Optional.ofNullable(exp).map(Date::toInstant);
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
