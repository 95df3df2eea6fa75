package org.imagingnode.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/** Which issuers a tokens-mode node trusts, from node.auth.*: the configured one's JWKS URL, the dev issuer, never none. */
class AuthConfigTest {
    private static final AuthProperties.Claims CLAIMS = new AuthProperties.Claims(null, null, null, null, null);

    private static AuthProperties props(String issuer, String jwksUri, boolean dev) {
        return new AuthProperties(issuer, jwksUri, null, null, CLAIMS, new AuthProperties.DevIssuer(dev, null));
    }

    @Test
    void tokens_of_the_configured_issuer_are_checked_against_the_keys_it_publishes_at_its_jwks_url() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
        AtomicInteger fetches = new AtomicInteger();
        HttpServer idp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        idp.createContext("/certs", x -> {
            fetches.incrementAndGet();
            byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        idp.start();
        try {
            String issuer = "http://127.0.0.1:" + idp.getAddress().getPort();
            TokenVerifier v = new AuthConfig().tokenVerifier(props(issuer, issuer + "/certs", false),
                    new StaticListableBeanFactory().getBeanProvider(DevTokenIssuer.class));
            String token = TokenVerifierTest.sign(key, TokenVerifierTest.claims().issuer(issuer)
                    .claim("professional_id", "810000000001").build());
            assertThat(v.verify(token).professionalId()).isEqualTo("810000000001");
            assertThat(v.verify(TokenVerifierTest.sign(key, TokenVerifierTest.claims().issuer(issuer).subject("u2")
                    .build())).subject()).isEqualTo("u2");
            assertThat(fetches.get()).isEqualTo(1); // keys cached
            // the dev issuer is not trusted unless enabled
            DevTokenIssuer dev = new DevTokenIssuer("imaging-node", Duration.ofMinutes(5), Clock.systemUTC());
            assertThatThrownBy(() -> v.verify(dev.issue("x", Map.of(), null)))
                    .isInstanceOf(InvalidTokenException.class);
        } finally {
            idp.stop(0);
        }
    }

    @Test
    void a_tokens_node_without_any_issuer_or_without_the_issuers_keys_does_not_start() {
        AuthConfig config = new AuthConfig();
        StaticListableBeanFactory none = new StaticListableBeanFactory();
        assertThatThrownBy(() -> config.tokenVerifier(props(null, null, false), none.getBeanProvider(DevTokenIssuer.class)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("node.auth.issuer");
        assertThatThrownBy(() -> config.tokenVerifier(props("https://idp.example", null, false),
                none.getBeanProvider(DevTokenIssuer.class))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("jwks-uri");
        StaticListableBeanFactory withDev = new StaticListableBeanFactory();
        DevTokenIssuer dev = new DevTokenIssuer("imaging-node", Duration.ofMinutes(5), Clock.systemUTC());
        withDev.addBean("dev", dev);
        assertThat(config.tokenVerifier(props(null, null, true), withDev.getBeanProvider(DevTokenIssuer.class))
                .trustsAnyIssuer()).isTrue();
    }
}
