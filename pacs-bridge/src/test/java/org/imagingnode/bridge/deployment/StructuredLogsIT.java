package org.imagingnode.bridge.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged node with JSON logs (one property, {@code logging.structured.format.console=ecs}):
 * every line is a JSON object; lines logged while an HTTP request is handled carry its request id
 * (the client's valid X-Request-Id, or one the node made), also on the ingest pipeline's threads,
 * lines of a DIMSE association its association id; and after a study with a known patient name went through C-STORE, C-FIND, STOW-RS
 * and QIDO-RS, no log line holds that name or the object's pixel data.
 */
class StructuredLogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void jsonLinesCarryRequestAndAssociationIdsAndNoPatientNameOrPixels() throws Exception {
        int dimsePort = Dcmtk.freePort();
        int httpPort = Dcmtk.freePort();
        Path log = work.resolve("node.log");
        Process node = PackagedNodeIT.start(work, "LOGGED", dimsePort, httpPort, Map.of("NODE_DIMSE_CALLING_AES",
                "LOGS=store|query", "NODE_SECURITY_MODE", "open-dev", "LOGGING_STRUCTURED_FORMAT_CONSOLE", "ecs"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientName = "Zyxwquorth^Brunhildegard";
        Path file = TestObjects.write(s, work.resolve("named.dcm"));
        TestObjects.Spec viaStow = s.sameSeries();
        Path stowFile = TestObjects.write(viaStow, work.resolve("named-stow.dcm"));
        String refusedId;
        try {
            PackagedNodeIT.awaitHealthy(node, http, httpPort, log);
            String port = Integer.toString(dimsePort);
            assertThat(Dcmtk.run(30, "storescu", "-aet", "LOGS", "-aec", "LOGGED", "127.0.0.1", port, file.toString())
                    .ok()).isTrue();
            assertThat(Dcmtk.run(30, "findscu", "-S", "-aet", "LOGS", "-aec", "LOGGED", "127.0.0.1", port, "-k",
                    "QueryRetrieveLevel=STUDY", "-k", "PatientName=Zyxwquorth*", "-k", "StudyInstanceUID").output())
                    .contains(s.studyUid);
            // unknown AE: the refusal is logged on the association's thread
            assertThat(Dcmtk.run(30, "echoscu", "-aet", "NOBODY", "-aec", "LOGGED", "127.0.0.1", port).ok()).isFalse();

            String boundary = "logs-boundary";
            byte[] whole = Files.readAllBytes(stowFile);
            byte[] part = ("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] stow = concat(part, whole, "\r\n".getBytes(StandardCharsets.US_ASCII),
                    part, "not DICOM\r\n".getBytes(StandardCharsets.US_ASCII),
                    // cut in its pixel data: refused by the ingest pipeline, on one of its worker threads
                    part, Arrays.copyOf(whole, whole.length - 50),
                    ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            HttpResponse<String> stored = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/dicomweb/studies")).header("X-Request-Id", "it-stow-42")
                    .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(stow)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(202); // one stored, two failures: logged
            assertThat(stored.headers().firstValue("X-Request-Id")).contains("it-stow-42");
            HttpResponse<String> query = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/dicomweb/studies?PatientName=Zyxwquorth*&includefield=all")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(query.body()).contains("Brunhildegard");
            String generated = query.headers().firstValue("X-Request-Id").orElseThrow();
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/dicomweb/studies?PatientID=%07")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(400);
            refusedId = refused.headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(generated).matches("r-[0-9a-f]{16}");
        } finally {
            node.destroy();
            node.waitFor();
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                assertThat(line).as("every log line is a JSON object").startsWith("{");
                lines.add(JSON.readTree(line));
            }
        }
        String all = Files.readString(log, StandardCharsets.UTF_8);

        // HTTP: the failed STOW-RS part and the refused query are logged with their request ids
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("request").asText()).isEqualTo("it-stow-42");
            assertThat(l.path("message").asText()).contains("STOW-RS");
        });
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.path("request").asText()).isEqualTo(refusedId);
            assertThat(l.path("message").asText()).contains("refused GET request");
        });
        List<JsonNode> workers = lines.stream().filter(l -> l.path("process").path("thread").path("name").asText()
                .equals("ingest-worker")).toList();
        assertThat(workers).as("ingest pipeline lines").isNotEmpty()
                .allSatisfy(l -> assertThat(l.path("request").asText() + l.path("association").asText())
                        .as(l.toString()).isNotEmpty());
        assertThat(workers).anySatisfy(l -> assertThat(l.path("request").asText()).isEqualTo("it-stow-42"));
        // DIMSE: every line of the association threads carries an association id
        List<JsonNode> dimse = lines.stream().filter(l -> l.path("process").path("thread").path("name").asText()
                .equals("dimse-association")).toList();
        assertThat(dimse).as("association lines").hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l.path("association").asText()).as(l.toString()).matches("A[0-9]+"));
        assertThat(dimse).anySatisfy(l -> assertThat(l.path("message").asText()).contains("rejected"));

        // no patient name, no pixel data, at any level
        assertThat(all).doesNotContain("Zyxwquorth").doesNotContain("Brunhildegard");
        byte[] pixels = TestObjects.pixelData(file);
        byte[] sample = Arrays.copyOfRange(pixels, 0, 24);
        assertThat(all).doesNotContain(HexFormat.of().formatHex(sample)).doesNotContain(Base64.getEncoder().encodeToString(sample));
        assertThat(lines).allSatisfy(l -> assertThat(l.path("message").asText().length()).as(l.toString()).isLessThan(2000));
    }

    private static byte[] concat(byte[]... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        return out.toByteArray();
    }
}
