package org.imagingnode.bridge.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.DriverManager;
import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The node's database: an embedded PostgreSQL on the data directory unless {@code spring.datasource.url}
 * names an external one; migrated by Flyway at startup either way.
 */
@ExtendWith(OutputCaptureExtension.class)
class DatabaseConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class,
                    JdbcTemplateAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class))
            .withUserConfiguration(DatabaseConfiguration.class);

    @Test
    void withoutADatabaseUrlTheNodeRunsADurableEmbeddedPostgresKeptAcrossRestarts(@TempDir Path dataDir,
            CapturedOutput output) throws IOException {
        int[] port = new int[1];
        runner.withPropertyValues("node.data-dir=" + dataDir).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(EmbeddedPostgresServer.class).hasBean("embeddedPostgres");
            EmbeddedPostgresServer server = context.getBean(EmbeddedPostgresServer.class);
            port[0] = server.port();
            assertThat(server.dataDirectory()).isEqualTo(dataDir.resolve("postgres").toAbsolutePath());
            assertThat(dataDir.resolve("postgres/PG_VERSION")).exists();
            assertThat(dataDir.resolve("postgres.log")).content().contains("database system is ready to accept connections");
            assertThat(context.getBean(DataSource.class)).isInstanceOfSatisfying(HikariDataSource.class,
                    pool -> assertThat(pool.getJdbcUrl()).isEqualTo("jdbc:postgresql://localhost:" + port[0] + "/imagingnode"));
            assertThat(Files.getPosixFilePermissions(dataDir.resolve("postgres/node-password")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), "postgres", "guess").close())
                    .as("no local account gets in without the password").isInstanceOf(SQLException.class)
                    .hasMessageContaining("password authentication failed");
            assertThat(context.getBeanFactory().getDependentBeans("embeddedPostgres"))
                    .as("the pool closes before the server stops").contains("dataSource");

            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("SHOW fsync", String.class)).isEqualTo("on");
            assertThat(jdbc.queryForObject("SHOW synchronous_commit", String.class)).isEqualTo("on");
            assertThat(jdbc.queryForObject("SHOW full_page_writes", String.class)).isEqualTo("on");
            assertThat(jdbc.queryForObject("SHOW shared_buffers", String.class)).isEqualTo("256MB");
            assertThat(jdbc.queryForList("SELECT version FROM flyway_schema_history WHERE success", String.class))
                    .as("every migration applied").contains("1")
                    .hasSize(jdbc.queryForObject("SELECT count(*) FROM flyway_schema_history", Integer.class));
            jdbc.update("INSERT INTO audit_event (actor, action, outcome) VALUES ('test', 'marker', 'success')");

            assertThatThrownBy(() -> EmbeddedPostgresServer.start(dataDir.resolve("postgres"), 0, "32MB"))
                    .isInstanceOf(IOException.class).hasMessageContaining("in use");
        });
        assertThat(output).contains("Embedded PostgreSQL 14.", "running on localhost:" + port[0],
                "data directory " + dataDir.resolve("postgres").toAbsolutePath());
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("localhost", port[0]), 1000);
            }
        }).as("the server stops with the context").isInstanceOf(ConnectException.class);

        runner.withPropertyValues("node.data-dir=" + dataDir).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(JdbcTemplate.class).queryForObject(
                    "SELECT count(*) FROM audit_event WHERE action = 'marker'", Integer.class)).isEqualTo(1);
        });
    }

    @Test
    void theEmbeddedPortCanBeFixed(@TempDir Path dataDir) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        runner.withPropertyValues("node.data-dir=" + dataDir, "node.database.embedded-port=" + port,
                "node.database.embedded-shared-buffers=64MB").run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(EmbeddedPostgresServer.class).port()).isEqualTo(port);
                    assertThat(context.getBean(JdbcTemplate.class).queryForObject("SHOW shared_buffers", String.class))
                            .isEqualTo("64MB");
                });
    }

    @Test
    void withADatabaseUrlTheNodeUsesThatDatabaseThroughAHikariPool() {
        TestPostgres external = TestPostgres.get();
        runner.withPropertyValues("spring.datasource.url=" + external.jdbcUrl(),
                "spring.datasource.username=" + external.user(), "spring.datasource.hikari.maximum-pool-size=3")
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(EmbeddedPostgresServer.class);
                    HikariDataSource pool = (HikariDataSource) context.getBean(DataSource.class);
                    assertThat(pool.getJdbcUrl()).isEqualTo(external.jdbcUrl());
                    assertThat(pool.getMaximumPoolSize()).isEqualTo(3);
                    assertThat(context.getBean(JdbcTemplate.class).queryForObject(
                            "SELECT count(*) FROM flyway_schema_history WHERE success", Integer.class)).isPositive();
                });
    }

    @Test
    void aDataDirectoryHoldingSomethingElseIsRefusedRatherThanOverwritten(@TempDir Path dataDir) throws IOException {
        Path postgresDir = Files.createDirectories(dataDir.resolve("postgres"));
        Files.writeString(postgresDir.resolve("notes.txt"), "not a database");

        assertThatThrownBy(() -> EmbeddedPostgresServer.start(postgresDir, 0, "32MB"))
                .isInstanceOf(IOException.class).hasMessageContaining("holds no PostgreSQL data");
        assertThat(postgresDir.resolve("notes.txt")).exists();
    }
}
