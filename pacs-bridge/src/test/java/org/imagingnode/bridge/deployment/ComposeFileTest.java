package org.imagingnode.bridge.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** docker/compose.yml is valid, configures the node for PostgreSQL, S3 and tokens, and demands its secrets. */
class ComposeFileTest {
    private static final Path COMPOSE = Path.of("..", "docker", "compose.yml");

    private record Result(int exit, String output) {
    }

    private static Result config(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config")
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("NODE_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void composeConfigurationIsValidAndPointsTheNodeAtPostgresAndMinio() throws Exception {
        Result r = config(Map.of("NODE_DB_PASSWORD", "db-secret", "NODE_S3_ACCESS_KEY", "ak",
                "NODE_S3_SECRET_KEY", "s3-secret", "NODE_AUTH_ISSUER", "https://login.test",
                "NODE_AUTH_JWKS_URI", "https://login.test/certs", "NODE_VIEWER_TOKEN_SECRET", "c2VjcmV0",
                "NODE_PUBLIC_URL", "https://imaging.test"));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("NODE_SECURITY_MODE: tokens")
                .contains("NODE_DICOMWEB_PUBLIC_BASE_URL: https://imaging.test/dicomweb")
                .contains("NODE_STORAGE_TYPE: s3")
                .contains("NODE_STORAGE_S3_ENDPOINT: http://minio:9000")
                .contains("SPRING_DATASOURCE_URL: jdbc:postgresql://postgres:5432/imaging_node")
                .contains("condition: service_healthy");
    }

    @Test
    void composeRefusesToRunWithoutSecrets() throws Exception {
        Result r = config(Map.of());
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("NODE_DB_PASSWORD");
        Result noIssuer = config(Map.of("NODE_DB_PASSWORD", "db-secret", "NODE_S3_ACCESS_KEY", "ak",
                "NODE_S3_SECRET_KEY", "s3-secret", "NODE_VIEWER_TOKEN_SECRET", "c2VjcmV0",
                "NODE_PUBLIC_URL", "https://imaging.test"));
        assertThat(noIssuer.exit()).isNotZero();
        assertThat(noIssuer.output()).contains("NODE_AUTH_ISSUER");
    }
}
