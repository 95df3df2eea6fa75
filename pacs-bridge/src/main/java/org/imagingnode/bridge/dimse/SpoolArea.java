package org.imagingnode.bridge.dimse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local folder where received objects land before ingest. It sits in the data folder, so the
 * filesystem blob store can take a spooled file over with a rename instead of a copy.
 */
public final class SpoolArea {
    private static final Logger log = LoggerFactory.getLogger(SpoolArea.class);

    private final Path dir;

    public SpoolArea(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try (Stream<Path> leftovers = Files.list(dir)) {
            long n = leftovers.filter(p -> p.getFileName().toString().endsWith(".spool")).map(p -> {
                try {
                    return Files.deleteIfExists(p);
                } catch (IOException e) {
                    return false;
                }
            }).filter(Boolean::booleanValue).count();
            if (n > 0) {
                // objects never acknowledged to their sender: they will be re-sent
                log.info("removed {} unacknowledged spool files left by a previous run", n);
            }
        }
    }

    public Path newFile() {
        return dir.resolve(UUID.randomUUID() + ".spool");
    }
}
