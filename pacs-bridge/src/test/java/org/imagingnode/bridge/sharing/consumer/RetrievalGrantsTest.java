package org.imagingnode.bridge.sharing.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.threeten.extra.MutableClock;

/**
 * What a professional's credentials are lent for: a viewer token issued by this node acts with them for its one
 * study, until the first of the two tokens expires; nothing is lent for an expired token.
 */
class RetrievalGrantsTest {
    private final MutableClock clock = MutableClock.of(Instant.now(), ZoneOffset.UTC);
    private final RetrievalGrants grants = new RetrievalGrants(clock);

    /** A professional's bearer JWT expiring then (its signature is the source's to check, not this node's). */
    private static String professional(Instant expiry) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                new JWTClaimsSet.Builder().subject("RPPS-1").expirationTime(Date.from(expiry)).build());
        jwt.sign(new MACSigner(new byte[32]));
        return "Bearer " + jwt.serialize();
    }

    @Test
    void aViewerTokenActsAsItsProfessionalForItsStudyUntilTheViewerTokenExpires() throws Exception {
        String pro = professional(clock.instant().plus(Duration.ofHours(1)));
        grants.entrust("vt-1", "1.2.3", pro, clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(grants.authorizationForViewer("vt-1", "1.2.3")).contains(pro);
        assertThat(grants.authorizationForViewer("vt-1", "1.2.4")).as("another study").isEmpty();
        assertThat(grants.authorizationForViewer("vt-2", "1.2.3")).as("another viewer token").isEmpty();
        assertThat(grants.authorizationFor("1.2.3")).as("lent to the viewer token, not to DIMSE peers").isEmpty();
        clock.add(Duration.ofMinutes(31));
        assertThat(grants.authorizationForViewer("vt-1", "1.2.3")).isEmpty();
    }

    @Test
    void orUntilTheProfessionalsTokenExpiresIfThatComesFirst() throws Exception {
        String pro = professional(clock.instant().plus(Duration.ofMinutes(10)));
        grants.entrust("vt-1", "1.2.3", pro, clock.instant().plus(Duration.ofMinutes(30)));
        clock.add(Duration.ofMinutes(9));
        assertThat(grants.authorizationForViewer("vt-1", "1.2.3")).contains(pro);
        clock.add(Duration.ofMinutes(2));
        assertThat(grants.authorizationForViewer("vt-1", "1.2.3")).isEmpty();

        grants.entrust("vt-2", "1.2.3", professional(clock.instant().minusSeconds(1)), clock.instant().plusSeconds(60));
        assertThat(grants.authorizationForViewer("vt-2", "1.2.3")).as("an expired professional token").isEmpty();
    }
}
