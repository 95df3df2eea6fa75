package org.imagingnode.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.Map;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer token validation: only tokens signed by a trusted issuer's key, for our audience, unexpired. */
class TokenVerifierTest {
    static final String ISSUER = "https://idp.example/realms/health";
    static RSAKey idpKey;
    static RSAKey otherKey;
    static final AuthProperties.Claims CLAIMS = new AuthProperties.Claims(null, null, null, null, null);

    @BeforeAll
    static void keys() throws Exception {
        idpKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        otherKey = new RSAKeyGenerator(2048).keyID("idp-1").generate();
    }

    TokenVerifier verifier() {
        return new TokenVerifier("imaging-node", CLAIMS).trust(ISSUER,
                new ImmutableJWKSet<>(new JWKSet(idpKey.toPublicJWK())));
    }

    static JWTClaimsSet.Builder claims() {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience("imaging-node").subject("user-1")
                .issueTime(new Date(now)).expirationTime(new Date(now + 600_000));
    }

    static String sign(RSAKey key, JWTClaimsSet c) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .keyID(key.getKeyID()).build(), c);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void a_professional_token_of_the_trusted_issuer_is_accepted_with_its_claims() throws Exception {
        VerifiedToken t = verifier().verify("Bearer " + sign(idpKey, claims().claim("professional_id", "810001234567")
                .claim("profession", "radiologist").claim("organisation", "FINESS-1").build()));
        assertThat(t.isProfessional()).isTrue();
        assertThat(t.professionalId()).isEqualTo("810001234567");
        assertThat(t.organisation()).isEqualTo("FINESS-1");
        VerifiedToken p = verifier().verify(sign(idpKey, claims().claim("patient_id", "285017512345678").build()));
        assertThat(p.isPatient()).isTrue();
        assertThat(p.patientId()).isEqualTo("285017512345678");
    }

    @Test
    void forged_expired_foreign_and_malformed_tokens_are_refused() throws Exception {
        TokenVerifier v = verifier();
        long now = System.currentTimeMillis();
        String forged = sign(otherKey, claims().build());
        String expired = sign(idpKey, claims().issueTime(new Date(now - 7_200_000))
                .expirationTime(new Date(now - 3_600_000)).build());
        String otherIssuer = sign(idpKey, claims().issuer("https://evil.example").build());
        String otherAudience = sign(idpKey, claims().audience("another-api").build());
        String noSubject = sign(idpKey, claims().subject(null).build());
        String unsigned = new PlainJWT(claims().build()).serialize();
        SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims().build());
        hmac.sign(new MACSigner(new byte[32]));
        String good = sign(idpKey, claims().build());
        String[] parts = good.split("\\.");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                claims().subject("admin").build().toString().getBytes()) + "." + parts[2];
        for (String bad : new String[] {forged, expired, otherIssuer, otherAudience, noSubject, unsigned,
                hmac.serialize(), tampered, "", "Bearer", "not.a.jwt", "a.b", "x".repeat(20_000)}) {
            assertThatThrownBy(() -> v.verify(bad)).as(bad.length() > 60 ? bad.substring(0, 60) : bad)
                    .isInstanceOf(InvalidTokenException.class);
        }
        assertThat(v.verify(good).subject()).isEqualTo("user-1");
    }

    @Test
    void keys_can_come_from_a_local_jwks_or_pem_file(@TempDir Path dir) throws Exception {
        Path jwks = Files.writeString(dir.resolve("keys.json"), new JWKSet(idpKey.toPublicJWK()).toString());
        TokenVerifier v = new TokenVerifier("imaging-node", CLAIMS).trust(ISSUER, TokenVerifier.fileKeys(jwks));
        assertThat(v.verify(sign(idpKey, claims().build())).subject()).isEqualTo("user-1");
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                idpKey.toRSAPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        Path pemFile = Files.writeString(dir.resolve("key.pem"), pem);
        TokenVerifier w = new TokenVerifier("imaging-node", CLAIMS).trust(ISSUER, TokenVerifier.fileKeys(pemFile));
        assertThat(w.verify(sign(idpKey, claims().build())).subject()).isEqualTo("user-1");
    }

    @Test
    void the_dev_issuer_signs_tokens_the_verifier_accepts_and_expired_ones_it_refuses() throws Exception {
        DevTokenIssuer dev = new DevTokenIssuer("imaging-node", Duration.ofMinutes(5), Clock.systemUTC());
        TokenVerifier v = new TokenVerifier("imaging-node", CLAIMS).trust(DevTokenIssuer.ISSUER, dev.publicKeys());
        assertThat(v.verify(dev.issue("pat", Map.of("patient_id", "1"), null)).patientId()).isEqualTo("1");
        String expired = dev.issue("pat", Map.of("patient_id", "1"), Duration.ofMinutes(-5));
        assertThatThrownBy(() -> v.verify(expired)).isInstanceOf(InvalidTokenException.class);
        // a dev token is not accepted by a node that trusts only its real issuer
        assertThatThrownBy(() -> verifier().verify(dev.issue("pat", Map.of(), null)))
                .isInstanceOf(InvalidTokenException.class);
        assertThat(DevTokenController.loopback("127.0.0.1")).isTrue();
        assertThat(DevTokenController.loopback("::1")).isTrue();
        assertThat(DevTokenController.loopback("192.168.1.10")).isFalse();
        assertThat(DevTokenController.loopback("localhost.evil")).isFalse();
    }
}
