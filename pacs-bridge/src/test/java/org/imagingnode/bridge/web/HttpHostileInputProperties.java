package org.imagingnode.bridge.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.imagingnode.bridge.NodeApplication;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.space.SpaceProperties;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Fuzzing of what the node parses from HTTP, against a running node (tokens mode, real signed
 * tokens): STOW-RS multipart bodies (boundaries, missing and huge headers, truncated and nested
 * parts, wrong content types), QIDO-RS query strings, and the JSON bodies of the patient and
 * professional APIs. Every answer comes within a bounded time, is never a 5xx, never carries a stack
 * trace, and a refusal is a 4xx with a short readable message. (The node accepts no DICOM JSON
 * input: STOW-RS takes application/dicom parts only, and DICOM JSON metadata is refused with 415.)
 */
class HttpHostileInputProperties {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORG = "FINESS-FUZZ";
    private static final String NATIONAL_ID = "285017512345678";

    private static ConfigurableApplicationContext node;
    private static int port;
    private static String professional;
    private static String patient;
    private static byte[] dicom;
    private static TestObjects.Spec stored;

    @BeforeContainer
    static void startNode() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "fuzz-node");
        node = new SpringApplicationBuilder(NodeApplication.class).run(
                "--node.data-dir=" + data, "--server.port=0", "--server.address=127.0.0.1", "--node.dimse.port=0",
                "--node.dimse.bind-address=127.0.0.1", "--node.security.mode=tokens",
                "--node.auth.dev-issuer.enabled=true", "--node.space.organisation=" + ORG,
                "--node.sharing.manifest.enabled=false", "--spring.main.banner-mode=off");
        port = ((WebServerApplicationContext) node).getWebServer().getPort();
        professional = token(Map.of("subject", "dr-fuzz", "professionalId", "10000000001", "profession", "10",
                "organisation", ORG));
        patient = token(Map.of("subject", "jane", "patientId", NATIONAL_ID));
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 8;
        s.columns = 8;
        s.otherPatientIds.add(new String[] {NATIONAL_ID, SpaceProperties.INS_NIR, null});
        dicom = Files.readAllBytes(TestObjects.write(s, data.resolve("seed.dcm")));
        stored = s;
        HttpResponse<String> seed = send(HttpRequest.newBuilder(uri("/dicomweb/studies"))
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=seed")
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart("seed", List.of(dicom)))), professional);
        assertThat(seed.statusCode()).as(seed.body()).isEqualTo(200);
    }

    @AfterContainer
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static String token(Map<String, String> claims) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/dev/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(claims))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("token").asText();
    }

    private static URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    private static HttpResponse<String> send(HttpRequest.Builder rq, String bearer) throws Exception {
        return HTTP.send(rq.timeout(LIMIT).header("Authorization", "Bearer " + bearer).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The property every hostile request must keep. */
    private static void answeredCleanly(HttpResponse<String> r, String what) {
        Statistics.collect(r.statusCode()); // the report shows which answers the generated requests got
        assertThat(r.statusCode()).as(what + " -> " + r.statusCode() + " " + r.body()).isLessThan(500);
        assertThat(r.body()).as(what).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("<html");
        if (r.statusCode() >= 400) {
            assertThat(r.body().strip()).as(what + ": a readable message").isNotEmpty().hasSizeLessThan(4000);
        }
    }

    // ---------------------------------------------------------------- STOW-RS multipart

    private static byte[] multipart(String boundary, List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(p);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /** A part: headers (well-formed, missing, huge, binary) and a body (DICOM, garbage, nested multipart). */
    @Provide
    Arbitrary<List<byte[]>> parts() {
        Arbitrary<String> headerBlock = Arbitraries.oneOf(
                Arbitraries.just("Content-Type: application/dicom\r\n"),
                Arbitraries.just(""),
                Arbitraries.of("application/dicom+json", "application/json", "multipart/related; boundary=inner",
                        "text/plain", "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50", "application/dicom+xml",
                        "APPLICATION/DICOM", "application/octet-stream").map(t -> "Content-Type: " + t + "\r\n"),
                Arbitraries.integers().between(1, 40_000).map(n -> "X-Huge: " + "h".repeat(n) + "\r\n"),
                Arbitraries.strings().ofMaxLength(200).map(s -> s + "\r\n"),
                Arbitraries.integers().between(1, 300).map(n -> "Content-Type: application/dicom\r\n".repeat(n)));
        Arbitrary<byte[]> body = Arbitraries.oneOf(
                Arbitraries.just(dicom),
                Arbitraries.integers().between(0, dicom.length).map(n -> Arrays.copyOf(dicom, n)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(3000),
                Arbitraries.just(multipart("inner", List.of(dicom))),
                Arbitraries.just("{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"X\"}]}}".getBytes(StandardCharsets.UTF_8)));
        return Combinators.combine(headerBlock, body).as((h, b) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(h.getBytes(StandardCharsets.UTF_8));
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(b);
            return out.toByteArray();
        }).list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.oneOf(
                Arbitraries.just("multipart/related; type=\"application/dicom\"; boundary=fuzz-b"),
                Arbitraries.just("multipart/related; boundary=fuzz-b"),
                Arbitraries.just("multipart/related; type=\"application/dicom\""),
                Arbitraries.just("multipart/related; type=\"application/dicom+json\"; boundary=fuzz-b"),
                Arbitraries.just("multipart/mixed; boundary=fuzz-b"),
                Arbitraries.just("application/dicom"),
                Arbitraries.just("multipart/related; type=\"application/dicom\"; boundary=\"\""),
                Arbitraries.just("multipart/related; type=\"application/dicom\"; boundary=" + "b".repeat(300)),
                Arbitraries.just("multipart/related; type=\"application/dicom; boundary=fuzz-b"),
                Arbitraries.strings().ascii().ofMaxLength(120).map(s -> "multipart/related; " + s));
    }

    @Property(tries = 120)
    void stowBodiesAreStoredOrRefusedCleanly(@ForAll("contentTypes") String contentType,
            @ForAll("parts") List<byte[]> parts, @ForAll boolean terminated, @ForAll int cut) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes("--fuzz-b\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(p);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        if (terminated) {
            out.writeBytes("--fuzz-b--\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        byte[] body = out.toByteArray();
        if (!terminated && body.length > 0) { // truncated somewhere
            body = Arrays.copyOf(body, Math.floorMod(cut, body.length));
        }
        String printable = contentType.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? contentType : "application/x";
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/dicomweb/studies")).header("Content-Type", printable)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), professional);
        answeredCleanly(r, "STOW " + printable + " with " + parts.size() + " part(s), " + body.length + " bytes");
    }

    @Example
    void dicomJsonMetadataIsNotAcceptedByStow() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/dicomweb/studies"))
                .header("Content-Type", "multipart/related; type=\"application/dicom+json\"; boundary=j")
                .POST(HttpRequest.BodyPublishers.ofString("--j\r\nContent-Type: application/dicom+json\r\n\r\n[{}]\r\n--j--\r\n")),
                professional);
        assertThat(r.statusCode()).isEqualTo(415);
        answeredCleanly(r, "DICOM JSON STOW");
    }

    // ---------------------------------------------------------------- QIDO-RS query strings

    @Provide
    Arbitrary<String> queryStrings() {
        Arbitrary<String> keys = Arbitraries.oneOf(
                Arbitraries.of("PatientID", "PatientName", "StudyDate", "StudyTime", "ModalitiesInStudy",
                        "StudyInstanceUID", "00100010", "0020000D", "AccessionNumber", "includefield", "limit", "offset",
                        "fuzzymatching", "SeriesInstanceUID", "00080020", "7FE00010", "ReferringPhysicianName", "accept"),
                Arbitraries.strings().ofMaxLength(20));
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.of("*", "?", "**??**", "20240101-", "-20240101", "20240101-20230101", "2024", "abc-def",
                        "1.2.3\\4.5", "-1", "99999999999999999999", "0", "all", "true", "Doe^*", "=^^^", "\\\\\\",
                        "1.2.840.10008.1.2.1,1.2.3", "", "%", "%%", "%zz", "a,b,,c", stored.studyUid),
                Arbitraries.strings().ofMaxLength(80),
                Arbitraries.integers().between(1, 20_000).map(n -> "x".repeat(n)),
                Arbitraries.integers().between(1, 3000).map(n -> "1.2.3,".repeat(n)));
        return Combinators.combine(keys, values).as((k, v) -> URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)).list().ofMaxSize(6).map(l -> String.join("&", l));
    }

    @Property(tries = 200)
    void qidoQueriesAnswerOrRefuseCleanly(@ForAll("queryStrings") String query,
            @ForAll("qidoPaths") String path) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path + "?" + query)).GET(), professional);
        answeredCleanly(r, "QIDO " + path + "?" + query);
    }

    @Provide
    Arbitrary<String> qidoPaths() {
        return Arbitraries.of("/dicomweb/studies", "/dicomweb/series", "/dicomweb/instances",
                "/dicomweb/studies/" + stored.studyUid + "/series", "/dicomweb/studies/" + stored.studyUid + "/instances",
                "/api/patient/studies", "/api/patient/history", "/api/site/reconciliation");
    }

    // ---------------------------------------------------------------- JSON bodies of the APIs

    @Provide
    Arbitrary<String> jsonBodies() {
        Arbitrary<String> strings = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(60),
                Arbitraries.of("", "\u0000", "a\u0000b", "\uD800", "285017512345678", "1.2.250.1.213.1.4.8",
                        "x".repeat(5000), "'; DROP TABLE audit_event; --", "<script>", "\r\nX: y"));
        Arbitrary<String> scalars = Arbitraries.oneOf(
                strings.map(s -> {
                    try {
                        return JSON.writeValueAsString(s);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }),
                Arbitraries.of("null", "true", "0", "-1", "1e309", "9223372036854775808", "-9223372036854775809",
                        "[]", "{}", "[1,2,3]", "NaN", "\"\\ud800\""));
        Arbitrary<String> fields = Arbitraries.of("nationalId", "issuer", "reason", "lifetimeSeconds", "localPatientId",
                "localIssuer", "minor", "guardian", "subject", "patientId", "x", "");
        Arbitrary<String> objects = Combinators.combine(fields, scalars).as((f, v) -> "\"" + f + "\":" + v)
                .list().ofMaxSize(6).map(l -> "{" + String.join(",", l) + "}");
        return Arbitraries.oneOf(objects,
                objects.map(o -> o.substring(0, o.length() / 2)), // truncated
                Arbitraries.integers().between(1, 3000).map(n -> "[".repeat(n) + "]".repeat(n)), // deep nesting
                Arbitraries.integers().between(1, 3000).map(n -> "{\"a\":".repeat(n) + "1" + "}".repeat(n)),
                Arbitraries.strings().ofMaxLength(200),
                Arbitraries.just("{\"reason\":\"" + "r".repeat(2_000_000) + "\"}")); // 2 MB string
    }

    @Provide
    Arbitrary<String[]> apiCalls() {
        String s = "/api/patient/studies/" + stored.studyUid;
        return Arbitraries.of(
                new String[] {"POST", s + "/share-links", "patient"},
                new String[] {"POST", "/api/patient/minors", "patient"},
                new String[] {"POST", "/api/patient/trusted-persons", "patient"},
                new String[] {"DELETE", "/api/patient/trusted-persons", "patient"},
                new String[] {"PUT", s + "/hidden", "patient"},
                new String[] {"POST", "/api/break-glass", "professional"},
                new String[] {"PUT", "/api/site/links", "professional"},
                new String[] {"DELETE", "/api/site/links", "professional"},
                new String[] {"POST", "/api/site/guardianships", "professional"},
                new String[] {"POST", "/dev/tokens", "professional"});
    }

    @Property(tries = 200)
    void apiJsonBodiesAreAcceptedOrRefusedCleanly(@ForAll("apiCalls") String[] call, @ForAll("jsonBodies") String body,
            @ForAll boolean declaredJson) throws Exception {
        HttpRequest.Builder rq = HttpRequest.newBuilder(uri(call[1]))
                .header("Content-Type", declaredJson ? "application/json" : "text/plain")
                .method(call[0], HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = send(rq, call[2].equals("patient") ? patient : professional);
        answeredCleanly(r, call[0] + " " + call[1] + " " + (body.length() > 200 ? body.substring(0, 200) + "..." : body));
    }

    @Example
    void aJsonBodyOverTheLimitIsRefusedBeforeItIsBufferedWhetherItsLengthIsDeclaredOrNot() throws Exception {
        byte[] big = ("{\"nationalId\":\"" + NATIONAL_ID + "\",\"reason\":\"" + "r".repeat(1_000_000) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> declared = send(HttpRequest.newBuilder(uri("/api/break-glass"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(big)), professional);
        assertThat(declared.statusCode()).as(declared.body()).isEqualTo(413);
        HttpResponse<String> chunked = send(HttpRequest.newBuilder(uri("/api/break-glass"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))), professional);
        assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(400);
        answeredCleanly(chunked, "a 1 MB JSON body without Content-Length");
    }

    @Example
    void aDataSetValueThePostgresIndexCannotHoldIsRefusedAsInvalidNotAsUnavailable() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 8;
        s.columns = 8;
        s.patientId = "NUL\u0000INSIDE";
        Path file = TestObjects.write(s, Files.createTempDirectory(Path.of("target"), "nul").resolve("nul.dcm"));
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/dicomweb/studies"))
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=nul")
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart("nul", List.of(Files.readAllBytes(file))))),
                professional);
        assertThat(r.statusCode()).as("a permanent refusal, not 503 + Retry-After: " + r.body()).isEqualTo(409);
        assertThat(r.body()).contains("cannot be indexed");
        answeredCleanly(r, "STOW of a PatientID with a NUL character");
    }

    @Example
    void aJsonBodyNamingAFieldTwiceIsRefused() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/patient/minors"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"nationalId\":\"1\",\"issuer\":\"\",\"nationalId\":\"2\"}")),
                patient);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400); // was a 500 (Jackson could not bind the record)
        answeredCleanly(r, "duplicate JSON field");
    }
}
