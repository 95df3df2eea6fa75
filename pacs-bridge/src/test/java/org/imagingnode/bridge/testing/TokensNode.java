package org.imagingnode.bridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.SpaceProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that run the whole node in {@code node.security.mode=tokens} (patient space, viewers), with
 * the dev token issuer on (tokens are real RS256 JWTs asked from {@code POST /dev/tokens} over HTTP) and this
 * site's organisation {@value #SITE_ORG}. Its own database and data folder; every subclass shares this one node.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class TokensNode extends RunningNode {
    protected static final String NODE_AE = "SPACENODE";
    protected static final String SITE_ORG = "FINESS-750000001";
    protected static final String INS = SpaceProperties.INS_NIR;
    protected static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DATA_DIR;
    /** Port of the storescp that import tests run as the site's PACS, AE {@value #SITE_PACS}. */
    protected static final int SITE_PACS_PORT;
    protected static final String SITE_PACS = "SITEPACS";

    static {
        try {
            DATA_DIR = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "tokens-node");
            SITE_PACS_PORT = Dcmtk.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void tokensNode(DynamicPropertyRegistry registry) {
        // a subclass with other properties gets a node of its own, which needs its own folder: test.own-data-dir
        registry.add("node.data-dir", () -> "${test.own-data-dir:" + DATA_DIR + "}");
        registry.add("node.ae-title", () -> NODE_AE);
        registry.add("node.dimse.port", () -> "0");
        registry.add("node.dimse.bind-address", () -> "127.0.0.1");
        registry.add("node.dimse.calling-aes", () -> "STORESCU=store");
        registry.add("node.security.mode", () -> "tokens");
        registry.add("node.auth.dev-issuer.enabled", () -> "true");
        registry.add("node.space.organisation", () -> SITE_ORG);
        // import into a PACS: the site's PACS for its professionals, another AE for one named professional only
        registry.add("node.dimse.move-destinations", () -> SITE_PACS + "=127.0.0.1:" + SITE_PACS_PORT
                + ", ELSEWHERE=127.0.0.1:1");
        registry.add("node.pacs-import.destinations", () -> SITE_PACS + "=organisation:" + SITE_ORG
                + ", ELSEWHERE=professional:30003");
    }

    protected String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    /** Sends the objects to the node with DCMTK's storescu. */
    protected void store(TestObjects.Spec... specs) throws Exception {
        Path dir = Files.createTempDirectory("space-objects");
        List<String> cmd = new ArrayList<>(Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort()));
        for (TestObjects.Spec s : specs) {
            cmd.add(TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".dcm")).toString());
        }
        Dcmtk.Result r = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    /** A study of one instance of a local patient whose data set names the national identity (or none). */
    protected static TestObjects.Spec study(String localId, String site, NationalId ins) {
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientId = localId;
        s.issuer = site;
        s.rows = 16;
        s.columns = 16;
        if (ins != null) {
            s.otherPatientIds.add(new String[] {ins.id(), ins.issuer(), null});
        }
        return s;
    }

    protected static NationalId person() {
        return new NationalId(Long.toString(100_000_000_000_000L + (System.nanoTime() % 899_999_999_999_999L)), INS);
    }

    /** A real signed token from the node's dev issuer, as "Bearer ...". */
    protected String token(Map<String, Object> request) throws Exception {
        HttpResponse<String> rs = HTTP.send(HttpRequest.newBuilder(URI.create(url("/dev/tokens")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        return "Bearer " + JSON.readTree(rs.body()).get("token").asText();
    }

    protected String patientToken(NationalId who) throws Exception {
        return token(Map.of("subject", "patient-" + who.id(), "patientId", who.id(), "patientIdIssuer", who.issuer()));
    }

    protected String professionalToken(String rpps, String organisation) throws Exception {
        return token(Map.of("subject", "pro-" + rpps, "professionalId", rpps, "profession", "radiologist",
                "organisation", organisation));
    }

    protected HttpResponse<String> get(String path, String authorization) throws Exception {
        return send("GET", path, authorization, null);
    }

    /** A GET of an absolute URL (as a viewer follows the URLs the node gave it). */
    protected static HttpResponse<String> getUrl(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> send(String method, String path, String authorization, Object jsonBody) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (jsonBody != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(jsonBody)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The StudyInstanceUIDs of a QIDO-RS answer. */
    protected static List<String> studyUids(HttpResponse<String> qido) throws Exception {
        assertThat(qido.statusCode()).as(qido.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode n : JSON.readTree(qido.body())) {
            out.add(n.get("0020000D").get("Value").get(0).asText());
        }
        return out;
    }

    protected static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    protected static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
