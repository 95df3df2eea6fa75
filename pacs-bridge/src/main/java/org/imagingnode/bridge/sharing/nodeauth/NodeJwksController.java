package org.imagingnode.bridge.sharing.nodeauth;

import java.time.Duration;
import java.util.Map;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /node/jwks.json}: this node's public signing key, for the nodes that trust it by JWKS URL. */
@RestController
class NodeJwksController {
    private final NodeSigningKey key;

    NodeJwksController(NodeSigningKey key) {
        this.key = key;
    }

    @GetMapping(path = "/node/jwks.json", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Map<String, Object>> jwks() {
        return ResponseEntity.ok().cacheControl(CacheControl.maxAge(Duration.ofMinutes(5)))
                .body(key.publicKeys().toJSONObject(true));
    }
}
