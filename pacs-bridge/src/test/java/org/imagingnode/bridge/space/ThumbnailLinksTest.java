package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** A thumbnail link opens one study's thumbnail, for a few minutes, for the person it names; nothing else. */
class ThumbnailLinksTest {
    private static final byte[] SECRET = new byte[32];
    private static final String STUDY = "1.2.3.4";
    private static final String JANE = "285017512345678^^^&1.2.250.1.213.1.4.8&ISO";

    static {
        Arrays.fill(SECRET, (byte) 7);
    }

    private static ThumbnailLinks at(Instant now) {
        return new ThumbnailLinks(SECRET, Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void a_link_names_its_subject_for_its_study_until_it_expires() {
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        String token = at(t0).issue(STUDY, JANE);
        assertThat(token).startsWith(ThumbnailLinks.PREFIX);
        assertThat(at(t0).verify(token, STUDY)).hasValue(JANE);
        assertThat(at(t0.plus(ThumbnailLinks.LIFETIME).minusSeconds(1)).verify(token, STUDY)).hasValue(JANE);
        assertThat(at(t0.plus(ThumbnailLinks.LIFETIME)).verify(token, STUDY)).isEmpty();
    }

    @Test
    void another_study_another_key_or_a_changed_token_opens_nothing() {
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        ThumbnailLinks links = at(t0);
        String token = links.issue(STUDY, JANE);
        assertThat(links.verify(token, "1.2.3.5")).isEmpty();
        byte[] other = SECRET.clone();
        other[0] = 8;
        assertThat(new ThumbnailLinks(other, Clock.fixed(t0, ZoneOffset.UTC)).verify(token, STUDY)).isEmpty();
        String[] parts = token.split("\\.");
        // a later expiry, or another subject, with the same MAC
        assertThat(links.verify("th." + (Long.parseLong(parts[1]) + 3600) + "." + parts[2] + "." + parts[3], STUDY))
                .isEmpty();
        String john = links.issue(STUDY, "john").split("\\.")[2];
        assertThat(links.verify("th." + parts[1] + "." + john + "." + parts[3], STUDY)).isEmpty();
        for (String bad : new String[] {null, "", "th.", "th.x.y.z", "th.1.2", "sl.a.b", token + ".", "th.99999999999.."}) {
            assertThat(links.verify(bad, STUDY)).as(String.valueOf(bad)).isEmpty();
        }
    }
}
