package org.imagingnode.bridge.space;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed thumbnail URLs for the patient's list of studies: an {@code <img>} cannot send an Authorization header,
 * so {@code GET /api/patient/studies} gives each study a {@code thumbnailUrl} carrying its own short-lived token
 * ({@code ?token=th.<expiry>.<subject>.<mac>}), never the caller's bearer token. The MAC (HMAC-SHA256) binds the
 * token to one study's thumbnail, its expiry and the person it was issued to: it opens that one thumbnail
 * ({@code /studies/{study}/thumbnail}) until it expires, and nothing else (not another study, not the study's
 * images, not as a bearer token).
 *
 * <p>The key is derived from {@code node.viewer.token-secret} (shared by the nodes of a site), or random per start
 * when that is not set; thumbnail links and viewer tokens never verify as one another.
 */
public final class ThumbnailLinks {
    /** Prefix of thumbnail link tokens. */
    public static final String PREFIX = "th.";
    /** How long a thumbnail URL works: long enough for a page to load its images. */
    public static final Duration LIFETIME = Duration.ofMinutes(5);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;
    private final Clock clock;

    /** @param secret the site's secret (at least 32 bytes), from which the thumbnail key is derived */
    public ThumbnailLinks(byte[] secret, Clock clock) {
        if (secret == null || secret.length < 32) {
            throw new IllegalArgumentException("the thumbnail link secret needs at least 32 bytes");
        }
        // a key of its own (domain separation), so that no other token signed with the site secret passes as one
        this.key = new SecretKeySpec(hmac(new SecretKeySpec(secret, "HmacSHA256"), "imaging-node thumbnail links"),
                "HmacSHA256");
        this.clock = clock;
    }

    /** A token opening the thumbnail of one study, for {@code subject} (audited as the caller). */
    public String issue(String studyUid, String subject) {
        long expiry = clock.instant().plus(LIFETIME).getEpochSecond();
        String who = B64.encodeToString(subject.getBytes(StandardCharsets.UTF_8));
        return PREFIX + expiry + "." + who + "." + B64.encodeToString(hmac(key, signed(studyUid, expiry, who)));
    }

    /** The subject of a valid, unexpired token for this study's thumbnail; empty for anything else. */
    public Optional<String> verify(String token, String studyUid) {
        if (token == null || studyUid == null || token.length() > 512 || !token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        long expiry;
        byte[] mac;
        String subject;
        try {
            expiry = Long.parseLong(parts[0]);
            mac = Base64.getUrlDecoder().decode(parts[2]);
            subject = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(mac, hmac(key, signed(studyUid, expiry, parts[1])))
                || clock.instant().getEpochSecond() >= expiry || subject.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(subject);
    }

    private static String signed(String studyUid, long expiry, String subject) {
        return "thumbnail\n" + studyUid + "\n" + expiry + "\n" + subject;
    }

    private static byte[] hmac(SecretKeySpec key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}
