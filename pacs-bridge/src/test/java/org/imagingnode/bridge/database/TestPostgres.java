package org.imagingnode.bridge.database;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * One real PostgreSQL for the whole test JVM, shared by every test that needs a database: started on
 * first use in a fresh temporary directory (removed when the JVM exits), with the node's server
 * settings (fsync and synchronous_commit on, as in production), and migrated with the node's Flyway
 * migrations. Tests keep their data apart with unique identifiers instead of cleaning tables (the
 * audit table cannot be cleaned anyway).
 */
public final class TestPostgres {
    private static TestPostgres instance;

    private final EmbeddedPostgres postgres;
    private final HikariDataSource dataSource;

    private TestPostgres() throws IOException, SQLException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setLocaleConfig("lc-collate", "C");
        EmbeddedPostgresServer.serverSettings("128MB").forEach(builder::setServerConfig);
        postgres = builder.start(); // temporary data directory, deleted by zonky's close at JVM exit
        try (Connection con = postgres.getPostgresDatabase().getConnection(); Statement st = con.createStatement()) {
            st.execute("CREATE DATABASE " + EmbeddedPostgresServer.DATABASE);
        }
        dataSource = new HikariDataSource();
        dataSource.setPoolName("test-index");
        dataSource.setJdbcUrl(jdbcUrl());
        dataSource.setUsername(EmbeddedPostgresServer.USER);
        dataSource.setMaximumPoolSize(12);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    }

    /** The shared database, started and migrated on first call. */
    public static synchronized TestPostgres get() {
        if (instance == null) {
            try {
                instance = new TestPostgres();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public JdbcTemplate jdbc() {
        return new JdbcTemplate(dataSource);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + EmbeddedPostgresServer.DATABASE;
    }

    public String user() {
        return EmbeddedPostgresServer.USER;
    }
}
