package org.imagingnode.bridge.database;

import java.nio.file.Path;

/** A stand-in for a node process, run in its own JVM by {@link EmbeddedPostgresServerTest}: starts the server and waits. */
public final class EmbeddedPostgresChild {
    private EmbeddedPostgresChild() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Path.of(args[0]), 0, "32MB");
        System.out.println("READY " + server.port());
        System.out.flush();
        Thread.sleep(120_000); // killed by the test long before
        server.close();
    }
}
