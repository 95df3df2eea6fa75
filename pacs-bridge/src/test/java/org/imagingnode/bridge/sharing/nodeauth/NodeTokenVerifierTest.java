package org.imagingnode.bridge.sharing.nodeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node tokens: node A signs, node B (the index or a source node) accepts only tokens of nodes it trusts, made
 * for it, signed with the named node's own key, and not expired.
 */
class NodeTokenVerifierTest {
    @TempDir
    static Path dir;
    static NodeSigningKey keyA;
    static NodeSigningKey keyB;
    static NodeSigningKey keyC;

    @BeforeAll
    static void keys() {
        keyA = NodeSigningKey.generatedIn(dir.resolve("a/key.jwk"));
        keyB = NodeSigningKey.generatedIn(dir.resolve("b/key.jwk"));
        keyC = NodeSigningKey.generatedIn(dir.resolve("c/key.jwk"));
    }

    /** Node B, trusting node A (and itself). */
    static NodeTokenVerifier nodeB() {
        return new NodeTokenVerifier("node-b", Map.of("node-a", new ImmutableJWKSet<>(keyA.publicKeys()),
                "node-b", new ImmutableJWKSet<>(keyB.publicKeys())));
    }

    static NodeTokenIssuer issuer(String id, NodeSigningKey key, Clock clock) {
        return new NodeTokenIssuer(id, key, Duration.ofMinutes(2), clock);
    }

    @Test
    void a_token_of_a_trusted_node_made_for_this_node_is_accepted() throws Exception {
        NodeTokenIssuer a = issuer("node-a", keyA, Clock.systemUTC());
        AuthenticatedNode n = nodeB().verify(a.authorizationFor("node-b"));
        assertThat(n.nodeId()).isEqualTo("node-a");
        assertThat(n.expiresAt()).isBetween(Instant.now().plusSeconds(60), Instant.now().plusSeconds(121));
        // the node's own tokens are accepted too (a node may be its own index, or call itself)
        assertThat(nodeB().verify(issuer("node-b", keyB, Clock.systemUTC()).tokenFor("node-b")).nodeId())
                .isEqualTo("node-b");
    }

    @Test
    void an_expired_token_is_refused() {
        Clock past = Clock.fixed(Instant.now().minus(Duration.ofMinutes(5)), ZoneOffset.UTC);
        String stale = issuer("node-a", keyA, past).tokenFor("node-b");
        assertThatThrownBy(() -> nodeB().verify(stale)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("xpired");
    }

    @Test
    void a_token_signed_with_another_key_than_the_named_nodes_is_refused() {
        // node C claims to be node A
        String forged = issuer("node-a", keyC, Clock.systemUTC()).tokenFor("node-b");
        assertThatThrownBy(() -> nodeB().verify(forged)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("node-a");
    }

    @Test
    void a_token_of_a_node_not_trusted_is_refused() {
        String untrusted = issuer("node-c", keyC, Clock.systemUTC()).tokenFor("node-b");
        assertThatThrownBy(() -> nodeB().verify(untrusted)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("not trusted");
    }

    @Test
    void a_token_made_for_another_node_is_refused() {
        String forC = issuer("node-a", keyA, Clock.systemUTC()).tokenFor("node-c");
        assertThatThrownBy(() -> nodeB().verify(forC)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("aud");
    }

    @Test
    void a_token_whose_subject_is_another_node_than_its_issuer_is_refused() throws Exception {
        String mismatch = sign(keyA, new JOSEObjectType(NodeTokenIssuer.TYPE), claims().subject("node-x").build());
        assertThatThrownBy(() -> nodeB().verify(mismatch)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("sub");
    }

    @Test
    void a_token_of_another_type_or_living_too_long_or_malformed_is_refused() throws Exception {
        NodeTokenVerifier b = nodeB();
        // a professional's access token signed with the node's key is not a node token
        String accessToken = sign(keyA, JOSEObjectType.JWT, claims().build());
        assertThatThrownBy(() -> b.verify(accessToken)).isInstanceOf(InvalidNodeTokenException.class);
        long now = System.currentTimeMillis();
        String longLived = sign(keyA, new JOSEObjectType(NodeTokenIssuer.TYPE),
                claims().expirationTime(new Date(now + Duration.ofHours(1).toMillis())).build());
        assertThatThrownBy(() -> b.verify(longLived)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("longer");
        // issued a year ahead for a lifetime within the cap: valid for a year otherwise
        Date ahead = new Date(now + Duration.ofDays(365).toMillis());
        String fromTheFuture = sign(keyA, new JOSEObjectType(NodeTokenIssuer.TYPE), claims().issueTime(ahead)
                .expirationTime(new Date(ahead.getTime() + 60_000)).build());
        assertThatThrownBy(() -> b.verify(fromTheFuture)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("future");
        String issuedLaterThanItExpires = sign(keyA, new JOSEObjectType(NodeTokenIssuer.TYPE), claims()
                .issueTime(new Date(now + 20_000)).expirationTime(new Date(now + 10_000)).build());
        assertThatThrownBy(() -> b.verify(issuedLaterThanItExpires)).isInstanceOf(InvalidNodeTokenException.class)
                .hasMessageContaining("before it is issued");
        for (String junk : new String[] {null, "", "Bearer ", "Bearer abc.def.ghi", "x".repeat(9000)}) {
            assertThatThrownBy(() -> b.verify(junk)).as(String.valueOf(junk)).isInstanceOf(InvalidNodeTokenException.class);
        }
    }

    @Test
    void tokens_are_reused_for_a_target_while_young_and_differ_per_target() {
        NodeTokenIssuer a = issuer("node-a", keyA, Clock.systemUTC());
        assertThat(a.tokenFor("node-b")).isEqualTo(a.tokenFor("node-b")).isNotEqualTo(a.tokenFor("node-c"));
        assertThatThrownBy(() -> a.tokenFor("bad node")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_generated_key_is_kept_private_and_read_back_the_same() throws Exception {
        Path file = dir.resolve("a/key.jwk");
        assertThat(NodeSigningKey.generatedIn(file).publicKeys().toString()).isEqualTo(keyA.publicKeys().toString());
        assertThat(NodeSigningKey.read(file).publicKeys().getKeys().get(0).isPrivate()).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Path pub = dir.resolve("public.jwk");
        Files.writeString(pub, keyA.publicKeys().getKeys().get(0).toJSONString());
        assertThatThrownBy(() -> NodeSigningKey.read(pub)).hasMessageContaining("private");
    }

    static JWTClaimsSet.Builder claims() {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder().issuer("node-a").subject("node-a").audience("node-b").jwtID("j1")
                .issueTime(new Date(now)).expirationTime(new Date(now + 60_000));
    }

    static String sign(NodeSigningKey key, JOSEObjectType type, JWTClaimsSet c) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(type)
                .keyID(key.key().getKeyID()).build(), c);
        jwt.sign(new ECDSASigner((ECKey) key.key()));
        return jwt.serialize();
    }
}
