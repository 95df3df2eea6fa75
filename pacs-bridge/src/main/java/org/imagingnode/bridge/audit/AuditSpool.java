package org.imagingnode.bridge.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Audit events waiting for the database, in a local file of JSON lines: each append is forced to
 * disk before it returns, so an event accepted here survives a crash of the node too. Not
 * thread-safe: its one user serialises the calls.
 */
final class AuditSpool {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An event as it waits, with the id that makes its replay idempotent. */
    record Spooled(UUID id, AuditEvent event) {
    }

    private final Path file;

    AuditSpool(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    boolean isEmpty() {
        try {
            return !Files.exists(file) || Files.size(file) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    void append(AuditEvent event) throws IOException {
        Files.createDirectories(file.getParent());
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            out.write(ByteBuffer.wrap((line(new Spooled(UUID.randomUUID(), event)) + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        }
    }

    /** The waiting events, oldest first; a line cut by a crash in the middle of an append is skipped. */
    List<Spooled> read() throws IOException {
        List<Spooled> events = new ArrayList<>();
        if (!Files.exists(file)) {
            return events;
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    events.add(spooled(JSON.readTree(line)));
                } catch (IOException | RuntimeException torn) {
                    // the last line of a crashed append: it was never acknowledged to anyone
                }
            }
        }
        return events;
    }

    /** Keeps only {@code remaining} (atomically: a crash leaves the old or the new list). */
    void replace(List<Spooled> remaining) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (Spooled e : remaining) {
                out.write(ByteBuffer.wrap((line(e) + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String line(Spooled spooled) {
        AuditEvent e = spooled.event();
        ObjectNode o = JSON.createObjectNode();
        o.put("id", spooled.id().toString());
        o.put("time", e.time().toString());
        o.put("actor", e.actor());
        o.put("actorRole", e.actorRole());
        o.put("action", e.action());
        o.put("channel", e.channel());
        o.put("patientId", e.patientId());
        o.put("studyUid", e.studyUid());
        o.put("outcome", e.outcome());
        o.put("detail", e.detail());
        o.put("sourceAddress", e.sourceAddress());
        return o.toString();
    }

    private static Spooled spooled(JsonNode o) {
        return new Spooled(UUID.fromString(o.get("id").asText()), new AuditEvent(Instant.parse(o.get("time").asText()), text(o, "actor"), text(o, "actorRole"),
                text(o, "action"), text(o, "channel"), text(o, "patientId"), text(o, "studyUid"), text(o, "outcome"),
                text(o, "detail"), text(o, "sourceAddress")));
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
