package org.imagingnode.bridge.database;

import java.io.IOException;
import java.nio.file.Path;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.lang.Nullable;
import org.springframework.util.StringUtils;

/**
 * The node's {@link DataSource}: a HikariCP pool on {@code spring.datasource.url} (with
 * {@code spring.datasource.username/password}) when that is set, otherwise on an
 * {@link EmbeddedPostgresServer} started here, with its data in {@code ${node.data-dir:./data}/postgres}
 * and on a free loopback port ({@code node.database.embedded-port} to fix one). In both cases
 * {@code spring.datasource.hikari.*} tunes the pool. Spring Boot's Flyway auto-configuration then
 * applies {@code classpath:db/migration} on this DataSource.
 *
 * <p>Beans: {@code embeddedPostgres} ({@link EmbeddedPostgresServer}, only when embedded; stopped on
 * context shutdown, after the pool is closed) and {@code dataSource}.
 */
@Configuration(proxyBeanMethods = false)
public class DatabaseConfiguration {

    /** Property: a fixed port for the embedded server (default: any free port). */
    public static final String EMBEDDED_PORT = "node.database.embedded-port";
    /** Property: shared_buffers of the embedded server (default 256MB). */
    public static final String EMBEDDED_SHARED_BUFFERS = "node.database.embedded-shared-buffers";

    @Bean(destroyMethod = "close")
    @Conditional(NoDatasourceUrl.class)
    public EmbeddedPostgresServer embeddedPostgres(Environment environment) throws IOException {
        Path dataDir = Path.of(environment.getProperty("node.data-dir", "./data"));
        int port = environment.getProperty(EMBEDDED_PORT, Integer.class, 0);
        String sharedBuffers = environment.getProperty(EMBEDDED_SHARED_BUFFERS, "256MB");
        return EmbeddedPostgresServer.start(dataDir.resolve("postgres"), port, sharedBuffers);
    }

    @Bean(destroyMethod = "close")
    public HikariDataSource dataSource(Environment environment, @Nullable EmbeddedPostgresServer embeddedPostgres) {
        // a plain (nullable) parameter, not Optional: it records that the pool depends on the server,
        // so the pool is closed before the server is stopped
        HikariDataSource pool = new HikariDataSource();
        pool.setPoolName("node-db");
        if (embeddedPostgres != null) {
            pool.setJdbcUrl(embeddedPostgres.jdbcUrl());
            pool.setUsername(embeddedPostgres.user());
            pool.setPassword(embeddedPostgres.password());
        } else {
            pool.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
            pool.setUsername(environment.getProperty("spring.datasource.username"));
            pool.setPassword(environment.getProperty("spring.datasource.password"));
            String driver = environment.getProperty("spring.datasource.driver-class-name");
            if (StringUtils.hasText(driver)) {
                pool.setDriverClassName(driver);
            }
        }
        Binder.get(environment).bind("spring.datasource.hikari", Bindable.ofInstance(pool));
        return pool;
    }

    /** Matches when no external database URL is configured. */
    static final class NoDatasourceUrl implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !StringUtils.hasText(context.getEnvironment().getProperty("spring.datasource.url"));
        }
    }
}
