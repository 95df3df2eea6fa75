package org.imagingnode.bridge.database;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.imagingnode.bridge.testing.Dcmtk;

/**
 * A real PostgreSQL server outside the node, as an external database is in production, that a test
 * can crash (SIGKILL to the postmaster and every backend, as the OOM killer or a power cut would)
 * and start again on the same data directory and port. The server itself is the node's
 * {@link EmbeddedPostgresServer} (production durability settings, password authentication), started
 * in the test's own directory.
 */
public final class KillablePostgres implements Closeable {
    private static final String SHARED_BUFFERS = "64MB";

    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgresServer server;

    private KillablePostgres(Path dataDirectory, int port) throws IOException {
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.server = EmbeddedPostgresServer.start(dataDirectory, port, SHARED_BUFFERS);
    }

    /** Starts a server in {@code dataDirectory} on a free loopback port it keeps across restarts. */
    public static KillablePostgres start(Path dataDirectory) throws IOException {
        return new KillablePostgres(dataDirectory, Dcmtk.freePort());
    }

    public String jdbcUrl() {
        return server.jdbcUrl();
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    /** kill -9 of the whole server; returns once every one of its processes is gone. */
    public void kill() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new IOException("no postmaster " + pid));
        // frozen first, so that it forks no backend between the listing of its children and the kill
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).inheritIO().start().waitFor();
        // backends first: they would notice their postmaster's death and exit cleanly before a later SIGKILL
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(postmaster);
        all.forEach(ProcessHandle::destroyForcibly); // SIGKILL
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("PostgreSQL process " + p.pid() + " survived SIGKILL", e);
            }
        }
        server.close(); // releases the data directory's lock (pg_ctl stop finds nothing to stop)
    }

    /** Starts the server again after {@link #kill()}: crash recovery, same port, same password. */
    public void restart() throws IOException {
        server = EmbeddedPostgresServer.start(dataDirectory, port, SHARED_BUFFERS);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
