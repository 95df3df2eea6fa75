package org.imagingnode.bridge.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file that keeps audit events while the database is unreachable. */
class AuditSpoolTest {

    private static AuditEvent event(String actor) {
        return new AuditEvent(Instant.parse("2026-11-24T08:00:00.123456Z"), actor, "dimse-ae", "store", "DIMSE", "P1",
                "1.2.3", "failure", "C-STORE: 0 instances stored, 1 failed", "127.0.0.1");
    }

    @Test
    void eventsComeBackAsWrittenInOrderAndATornLastLineIsSkipped(@TempDir Path dir) throws Exception {
        AuditSpool spool = new AuditSpool(dir.resolve("spool").resolve("audit-spool.jsonl"));
        assertThat(spool.isEmpty()).isTrue();
        spool.append(event("CT1"));
        spool.append(new AuditEvent(Instant.parse("2026-11-24T08:00:01Z"), "CT2", null, "query", "DIMSE", null, null,
                "failure", null, null));
        // a crash in the middle of an append
        Files.writeString(spool.file(), "{\"time\":\"2026-11-24T08:0", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        List<AuditEvent> read = spool.read().stream().map(AuditSpool.Spooled::event).toList();
        assertThat(read).hasSize(2);
        assertThat(read.get(0)).isEqualTo(event("CT1"));
        assertThat(read.get(1).actor()).isEqualTo("CT2");
        assertThat(read.get(1).patientId()).isNull();
    }

    @Test
    void replaceKeepsOnlyWhatIsStillWaiting(@TempDir Path dir) throws Exception {
        AuditSpool spool = new AuditSpool(dir.resolve("audit-spool.jsonl"));
        spool.append(event("A"));
        spool.append(event("B"));
        spool.append(event("C"));
        List<AuditSpool.Spooled> waiting = spool.read();
        spool.replace(waiting.subList(2, 3));
        // what stays keeps its id: a replay that wrote it before writes it as the same event
        assertThat(spool.read()).containsExactly(waiting.get(2));
        assertThat(waiting.stream().map(AuditSpool.Spooled::id).distinct()).hasSize(3);
        spool.replace(List.of());
        assertThat(spool.isEmpty()).isTrue();
    }
}
