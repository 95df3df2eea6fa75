package org.imagingnode.bridge.sharing.nodeauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** A running node publishes its public signing key, and a peer configured with that JWKS URL accepts its tokens. */
class NodeJwksEndpointTest extends NodeIntegrationTest {
    @Autowired
    NodeTokenIssuer issuer;

    @Test
    void the_node_serves_its_public_key_only_and_a_peer_trusting_that_url_accepts_its_tokens() throws Exception {
        String url = "http://127.0.0.1:" + httpPort + "/node/jwks.json";
        HttpResponse<String> rs = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rs.statusCode()).isEqualTo(200);
        JWKSet set = JWKSet.parse(rs.body());
        assertThat(set.getKeys()).hasSize(1);
        assertThat(set.getKeys().get(0).isPrivate()).isFalse();
        assertThat(rs.body()).doesNotContain("\"d\"");

        assertThat(issuer.nodeId()).isEqualTo(NODE_AE); // default node id: the AE title
        NodeTokenVerifier peer = new NodeTokenVerifier("peer", Map.of(NODE_AE,
                JWKSourceBuilder.create(URI.create(url).toURL()).build()));
        assertThat(peer.verify(issuer.authorizationFor("peer")).nodeId()).isEqualTo(NODE_AE);
    }
}
