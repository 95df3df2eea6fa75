package org.imagingnode.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Map;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;

import org.junit.jupiter.api.Test;
import org.threeten.extra.MutableClock;

class ViewerTokenServiceTest {
    private static final String ISSUER = "https://node.test";
    private static final String STUDY = "1.2.826.0.1.3680043.8.498.1";
    private final byte[] secret = ViewerTokenService.randomSecret();
    private final MutableClock clock = MutableClock.of(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
    private final ViewerTokenService tokens = new ViewerTokenService(secret, ISSUER, Duration.ofMinutes(30), clock);

    @Test
    void an_issued_token_verifies_to_its_subject_scope_and_expiry() throws Exception {
        ViewerScope scope = ViewerScope.study("PAT1", "INS", STUDY);
        ViewerToken t = tokens.issue("dr-house", scope);

        ViewerToken back = tokens.verify(t.value());

        assertThat(back.subject()).isEqualTo("dr-house");
        assertThat(back.scope()).isEqualTo(scope);
        assertThat(back.id()).isEqualTo(t.id()).hasSizeGreaterThan(16);
        assertThat(back.issuedAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
        assertThat(back.expiresAt()).isEqualTo(Instant.parse("2026-03-01T10:30:00Z")).isEqualTo(t.expiresAt());
        assertThat(tokens.verify(t.bearer()).scope()).isEqualTo(scope);
    }

    @Test
    void every_scope_level_round_trips() throws Exception {
        for (ViewerScope s : new ViewerScope[] {ViewerScope.patient("PAT1", null), ViewerScope.patient("P", "ISS"),
                ViewerScope.series(null, null, STUDY, "1.2.3.4")}) {
            assertThat(tokens.verify(tokens.issue("u", s).value()).scope()).isEqualTo(s);
        }
    }

    @Test
    void a_token_is_refused_once_expired_beyond_the_clock_skew() throws Exception {
        ViewerToken t = tokens.issue("dr-house", ViewerScope.study(null, null, STUDY));
        clock.add(Duration.ofMinutes(30).plus(ViewerTokenService.CLOCK_SKEW).minusSeconds(1));
        assertThat(tokens.verify(t.value()).id()).isEqualTo(t.id());
        clock.add(Duration.ofSeconds(1));
        assertThatThrownBy(() -> tokens.verify(t.value())).isInstanceOf(InvalidViewerTokenException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void a_token_whose_scope_was_edited_is_refused() throws Exception {
        ViewerToken t = tokens.issue("dr-house", ViewerScope.study(null, null, STUDY));
        String[] parts = t.value().split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String forged = payload.replace(STUDY, "1.2.3.999");
        assertThat(forged).isNotEqualTo(payload);
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(forged.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertThatThrownBy(() -> tokens.verify(tampered)).isInstanceOf(InvalidViewerTokenException.class)
                .hasMessageContaining("signature");
    }

    @Test
    void a_token_signed_with_another_secret_or_for_another_issuer_is_refused() {
        ViewerToken other = new ViewerTokenService(ViewerTokenService.randomSecret(), ISSUER, Duration.ofMinutes(5),
                clock).issue("x", ViewerScope.study(null, null, STUDY));
        assertThatThrownBy(() -> tokens.verify(other.value())).hasMessageContaining("signature");
        ViewerToken otherIssuer = new ViewerTokenService(secret, "https://elsewhere.test", Duration.ofMinutes(5),
                clock).issue("x", ViewerScope.study(null, null, STUDY));
        assertThatThrownBy(() -> tokens.verify(otherIssuer.value())).hasMessageContaining("issuer");
    }

    @Test
    void unsigned_tokens_other_token_types_and_overlong_lifetimes_are_refused() throws Exception {
        JWTClaimsSet claims = claims(Duration.ofMinutes(5));
        String plain = new PlainJWT(claims).serialize();
        assertThatThrownBy(() -> tokens.verify(plain)).isInstanceOf(InvalidViewerTokenException.class);

        SignedJWT jwtTyped = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims);
        jwtTyped.sign(new MACSigner(secret));
        assertThatThrownBy(() -> tokens.verify(jwtTyped.serialize())).hasMessageContaining("not a viewer token");

        // correctly signed with the node's key, but valid for 13 hours: never accepted
        SignedJWT tooLong = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType(ViewerTokenService.TOKEN_TYPE)).build(), claims(Duration.ofHours(13)));
        tooLong.sign(new MACSigner(secret));
        assertThatThrownBy(() -> tokens.verify(tooLong.serialize())).hasMessageContaining("lifetime");

        SignedJWT ok = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType(ViewerTokenService.TOKEN_TYPE)).build(), claims(Duration.ofHours(1)));
        ok.sign(new MACSigner(secret));
        assertThat(tokens.verify(ok.serialize()).scope().studyInstanceUid()).isEqualTo(STUDY);

        assertThatThrownBy(() -> tokens.verify("not.a.token")).isInstanceOf(InvalidViewerTokenException.class);
        assertThatThrownBy(() -> tokens.verify("")).isInstanceOf(InvalidViewerTokenException.class);
    }

    @Test
    void lifetimes_are_capped_and_secrets_must_be_long_enough() {
        assertThat(tokens.issue("u", ViewerScope.study(null, null, STUDY), Duration.ofDays(3)).expiresAt())
                .isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(tokens.issue("u", ViewerScope.study(null, null, STUDY), Duration.ofMinutes(2)).expiresAt())
                .isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
        assertThatThrownBy(() -> new ViewerTokenService(secret, ISSUER, Duration.ofHours(13), clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ViewerTokenService(new byte[31], ISSUER, Duration.ofMinutes(5), clock))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_token_never_shows_in_its_string_form() {
        ViewerToken t = tokens.issue("u", ViewerScope.study(null, null, STUDY));
        assertThat(t.toString()).doesNotContain(t.value()).contains(t.id());
        assertThat(tokens.toString()).doesNotContain(Base64.getEncoder().encodeToString(secret));
    }

    @Test
    void scopes_cover_only_what_they_name() {
        ViewerScope study = ViewerScope.study("P", null, STUDY);
        assertThat(study.covers("P", null, STUDY, "1.2.3")).isTrue();
        assertThat(study.covers("P", null, "1.2.4", "1.2.3")).isFalse();
        ViewerScope series = ViewerScope.series(null, null, STUDY, "1.2.3");
        assertThat(series.covers(null, null, STUDY, "1.2.3")).isTrue();
        assertThat(series.covers(null, null, STUDY, "1.2.4")).isFalse();
        assertThat(series.covers(null, null, STUDY, null)).isFalse();
        ViewerScope patient = ViewerScope.patient("P", "ISS");
        assertThat(patient.covers("P", "ISS", "9.9", null)).isTrue();
        assertThat(patient.covers("P", "OTHER", "9.9", null)).isFalse();
        assertThat(patient.covers("P", null, "9.9", null)).isFalse();
        assertThatThrownBy(() -> ViewerScope.study(null, null, "not-a-uid")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ViewerScope(ViewerScope.Level.PATIENT, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private JWTClaimsSet claims(Duration life) {
        Instant now = clock.instant();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(ViewerTokenService.AUDIENCE).subject("x")
                .jwtID("id-1").issueTime(Date.from(now)).expirationTime(Date.from(now.plus(life)))
                .claim("scope", Map.of("level", "study", "study", STUDY)).build();
    }
}
