package org.imagingnode.bridge.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded server survives what happens to nodes in production. */
class EmbeddedPostgresServerTest {

    @Test
    void aServerLeftRunningByAKilledNodeIsShutDownAndTheNodeStartsNormally(@TempDir Path dataDir) throws Exception {
        Path dir = dataDir.resolve("postgres");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process node = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                EmbeddedPostgresChild.class.getName(), dir.toString()).redirectErrorStream(true).start();
        long orphan = -1;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> out.lines().anyMatch(l -> l.startsWith("READY")));
            assertThat(ready.get(60, TimeUnit.SECONDS)).as("the first node started its server").isTrue();
            orphan = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).strip());

            node.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: no shutdown hook runs
            assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).as("postmaster orphaned").contains(true);

            try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dir, 0, "32MB");
                    Connection con = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
                    Statement st = con.createStatement();
                    ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).as("orphan stopped").isNotEqualTo(Optional.of(true));
            }
        } finally {
            node.destroyForcibly();
            if (orphan > 0) {
                ProcessHandle.of(orphan).ifPresent(ProcessHandle::destroy); // only if the test failed half-way
            }
        }
    }
}
