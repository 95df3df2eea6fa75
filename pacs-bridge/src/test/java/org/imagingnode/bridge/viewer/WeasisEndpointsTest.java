package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicomweb.DicomWebProperties;
import org.imagingnode.bridge.security.AccessDeniedException;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.DenyAllPolicy;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockHttpServletRequest;
import org.w3c.dom.Element;

/**
 * Weasis launch over the running node: a study stored with DCMTK's storescu, a launch URI and a manifest
 * asked for over HTTP, then followed the way Weasis follows them (QIDO-RS + WADO-RS for the URI, WADO-URI
 * with the manifest's headers for the manifest) until the instances come back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeasisEndpointsTest extends NodeIntegrationTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The professional's own (long-lived) credential: must never be handed on to the viewer. */
    private static final String PRO_CREDENTIAL = "Bearer professional-long-lived-access-token-42";

    @Autowired
    ViewerTokenService tokens;
    @Autowired
    AuditLog audit;
    @Autowired
    DicomWebProperties dicomWebProperties;

    @TempDir
    Path work;

    private TestObjects.Spec ct1;
    private TestObjects.Spec mr;
    private final Map<String, Path> files = new LinkedHashMap<>();

    @BeforeAll
    void storeAStudyWithTwoSeries() throws Exception {
        ct1 = new TestObjects.Spec();
        ct1.patientName = "Martin^Claire";
        ct1.rows = 64;
        ct1.columns = 64;
        List<TestObjects.Spec> specs = new ArrayList<>(List.of(ct1));
        for (int i = 2; i <= 3; i++) {
            TestObjects.Spec s = ct1.sameSeries();
            s.instanceNumber = i;
            s.seed = i;
            specs.add(s);
        }
        mr = ct1.sameStudy();
        mr.modality = "MR";
        mr.sopClassUid = TestObjects.MR_IMAGE;
        mr.seriesNumber = 2;
        mr.rows = 32;
        mr.columns = 32;
        specs.add(mr);
        Path dir = Files.createTempDirectory("weasis-study");
        for (TestObjects.Spec s : specs) {
            files.put(s.sopInstanceUid, TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".dcm")));
        }
        List<String> cmd = Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                files.values().stream().map(Path::toString).toList());
        Dcmtk.Result r = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    @Test
    void the_study_launch_uri_makes_weasis_load_the_study_from_dicomweb_with_a_short_lived_token() throws Exception {
        HttpResponse<String> rs = get("/viewer/weasis/studies/" + ct1.studyUid, PRO_CREDENTIAL, "application/json");
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        assertThat(rs.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
        assertThat(rs.body()).doesNotContain("professional-long-lived-access-token-42");
        JsonNode body = JSON.readTree(rs.body());
        Instant expiresAt = Instant.parse(body.get("expiresAt").asText());
        assertThat(expiresAt).isBetween(Instant.now().plusSeconds(29 * 60), Instant.now().plusSeconds(31 * 60));

        Map<String, String> cmd = Weasis.options(URI.create(body.get("weasisUri").asText()), "$dicom:rs");
        String dicomWeb = "http://127.0.0.1:" + httpPort + "/dicomweb";
        assertThat(cmd.get("--url")).isEqualTo(dicomWeb);
        assertThat(cmd.get("-r")).isEqualTo("studyUID=" + ct1.studyUid);
        String authorization = cmd.get("-H").substring("Authorization: ".length());
        ViewerToken token = tokens.verify(authorization);
        assertThat(token.scope()).isEqualTo(ViewerScope.study(ct1.patientId, ct1.issuer, ct1.studyUid));
        assertThat(token.expiresAt()).isEqualTo(expiresAt);

        // Weasis: QIDO-RS for the study (its own request), its series and their instances, then WADO-RS
        HttpResponse<byte[]> studyQuery = getBytes(Weasis.firstQuery(cmd.get("--url"), cmd.get("-r")),
                Map.of("Authorization", authorization));
        assertThat(studyQuery.statusCode()).isEqualTo(200);
        JsonNode studies = JSON.readTree(studyQuery.body());
        assertThat(studies).hasSize(1);
        assertThat(studies.get(0).get("0020000D").get("Value").get(0).asText()).isEqualTo(ct1.studyUid);
        assertThat(studies.get(0).get("00100020").get("Value").get(0).asText()).isEqualTo(ct1.patientId);
        JsonNode series = JSON.readTree(get("/dicomweb/studies/" + ct1.studyUid + "/series", authorization,
                "application/dicom+json").body());
        assertThat(series).hasSize(2);
        int retrieved = 0;
        for (JsonNode se : series) {
            String seriesUid = se.get("0020000E").get("Value").get(0).asText();
            JsonNode instances = JSON.readTree(get("/dicomweb/studies/" + ct1.studyUid + "/series/" + seriesUid
                    + "/instances", authorization, "application/dicom+json").body());
            for (JsonNode in : instances) {
                String sop = in.get("00080018").get("Value").get(0).asText();
                HttpResponse<byte[]> wado = getBytes(dicomWeb + "/studies/" + ct1.studyUid + "/series/" + seriesUid
                        + "/instances/" + sop, Map.of("Authorization", authorization,
                        "Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"));
                assertThat(wado.statusCode()).isEqualTo(200);
                assertThat(new String(wado.body(), StandardCharsets.ISO_8859_1)).contains(sop);
                retrieved++;
            }
        }
        assertThat(retrieved).isEqualTo(files.size());

        // older Weasis: $dicom:get -w on the manifest URL, fetched without headers, carrying the same token
        Map<String, String> legacy = Weasis.options(URI.create(body.get("manifestWeasisUri").asText()), "$dicom:get");
        HttpResponse<byte[]> manifest = getBytes(legacy.get("-w"), Map.of());
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(new String(manifest.body(), StandardCharsets.UTF_8)).contains("value=\"" + authorization + "\"");

        List<AuditEvent> events = audit.forStudy(ct1.studyUid, 200);
        assertThat(events).anyMatch(e -> "viewer".equals(e.channel()) && "viewer token issued".equals(e.outcome())
                && e.detail().contains(token.id()));
        assertThat(events).noneMatch(e -> String.valueOf(e.detail()).contains(token.value()));
    }

    @Test
    void the_series_launch_names_only_that_series() throws Exception {
        HttpResponse<String> rs = get("/viewer/weasis/studies/" + mr.studyUid + "/series/" + mr.seriesUid,
                PRO_CREDENTIAL, "application/json");
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        Map<String, String> cmd = Weasis.options(URI.create(JSON.readTree(rs.body()).get("weasisUri").asText()),
                "$dicom:rs");
        assertThat(cmd.get("-r")).isEqualTo("seriesUID=" + mr.seriesUid);
        HttpResponse<byte[]> seriesQuery = getBytes(Weasis.firstQuery(cmd.get("--url"), cmd.get("-r")),
                Map.of("Authorization", cmd.get("-H").substring("Authorization: ".length())));
        assertThat(seriesQuery.statusCode()).isEqualTo(200);
        JsonNode found = JSON.readTree(seriesQuery.body());
        assertThat(found).hasSize(1);
        assertThat(found.get(0).get("0020000E").get("Value").get(0).asText()).isEqualTo(mr.seriesUid);
        assertThat(found.get(0).get("00080060").get("Value").get(0).asText()).isEqualTo("MR");
        ViewerToken token = tokens.verify(cmd.get("-H").substring("Authorization: ".length()));
        assertThat(token.scope().level()).isEqualTo(ViewerScope.Level.SERIES);
        assertThat(token.scope().covers(mr.patientId, mr.issuer, mr.studyUid, mr.seriesUid)).isTrue();
        assertThat(token.scope().covers(ct1.patientId, ct1.issuer, ct1.studyUid, ct1.seriesUid)).isFalse();

        // older Weasis: the launch's manifest is the series' own, which its series-scoped token opens
        Map<String, String> legacy = Weasis.options(URI.create(JSON.readTree(rs.body()).get("manifestWeasisUri")
                .asText()), "$dicom:get");
        assertThat(legacy.get("-w")).contains("/studies/" + mr.studyUid + "/series/" + mr.seriesUid + "/manifest.xml");
        HttpResponse<byte[]> xml = getBytes(legacy.get("-w"), Map.of());
        assertThat(xml.statusCode()).isEqualTo(200);
        Weasis.Manifest manifest = Weasis.manifest(new String(xml.body(), StandardCharsets.UTF_8));
        assertThat(manifest.objects()).extracting(Weasis.ManifestObject::sopInstanceUid)
                .containsExactly(mr.sopInstanceUid);
        HttpResponse<byte[]> got = getBytes(manifest.objects().get(0).url(), manifest.headers());
        assertThat(got.statusCode()).isEqualTo(200);
        Path copy = work.resolve("series-manifest.dcm");
        Files.write(copy, got.body());
        assertThat(TestObjects.pixelData(copy)).isEqualTo(TestObjects.pixelData(files.get(mr.sopInstanceUid)));
        // the series token still opens neither the study's manifest nor another series' one
        String withToken = "?token=" + manifest.headers().get("Authorization").substring("Bearer ".length());
        String weasis = "http://127.0.0.1:" + httpPort + "/viewer/weasis/studies/";
        assertThat(getBytes(weasis + mr.studyUid + "/manifest.xml" + withToken, Map.of()).statusCode()).isEqualTo(404);
        assertThat(getBytes(weasis + ct1.studyUid + "/series/" + ct1.seriesUid + "/manifest.xml" + withToken, Map.of())
                .statusCode()).isEqualTo(404);
    }

    @Test
    void the_manifest_lists_every_instance_and_its_wado_urls_return_them() throws Exception {
        HttpResponse<String> rs = get("/viewer/weasis/studies/" + ct1.studyUid + "/manifest.xml", PRO_CREDENTIAL,
                null);
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        assertThat(rs.headers().firstValue("Content-Type").orElse("")).startsWith("application/xml");
        assertThat(rs.body()).doesNotContain("professional-long-lived-access-token-42");
        Weasis.Manifest manifest = Weasis.manifest(rs.body());
        Element root = manifest.root();
        assertThat(manifest.wadoUrl()).isEqualTo("http://127.0.0.1:" + httpPort + "/wado");
        ViewerToken token = tokens.verify(manifest.headers().get("Authorization"));
        assertThat(token.scope().studyInstanceUid()).isEqualTo(ct1.studyUid);

        Element patient = Weasis.elements(root, "Patient").get(0);
        assertThat(patient.getAttribute("PatientID")).isEqualTo(ct1.patientId);
        assertThat(patient.getAttribute("PatientName")).isEqualTo("Martin^Claire");
        assertThat(Weasis.elements(patient, "Study").get(0).getAttribute("StudyInstanceUID")).isEqualTo(ct1.studyUid);
        List<String> seen = new ArrayList<>();
        for (Weasis.ManifestObject o : manifest.objects()) {
            HttpResponse<byte[]> got = getBytes(o.url(), manifest.headers());
            assertThat(got.statusCode()).as(o.url()).isEqualTo(200);
            Path copy = work.resolve(o.sopInstanceUid() + ".dcm");
            Files.write(copy, got.body());
            assertThat(TestObjects.pixelData(copy)).isEqualTo(TestObjects.pixelData(files.get(o.sopInstanceUid())));
            seen.add(o.sopInstanceUid());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(files.keySet());
        // instances in InstanceNumber order within their series
        assertThat(seen.subList(0, 3)).containsExactly(files.keySet().stream().limit(3).toArray(String[]::new));
    }

    @Test
    void the_connector_query_form_launches_by_study_series_accession_number_or_patient() throws Exception {
        Map<String, String> byStudy = launched("/viewer/weasis?studyUID=" + ct1.studyUid);
        assertThat(byStudy.get("-r")).isEqualTo("studyUID=" + ct1.studyUid);
        Map<String, String> bySeries = launched("/viewer/weasis?studyUID=" + mr.studyUid + "&seriesUID=" + mr.seriesUid);
        assertThat(bySeries.get("-r")).contains("seriesUID=" + mr.seriesUid);
        Map<String, String> byAccession = launched("/viewer/weasis?accessionNumber=" + ct1.accession);
        assertThat(byAccession.get("-r")).isEqualTo("studyUID=" + ct1.studyUid);
        Map<String, String> byPatient = launched("/viewer/weasis?patientID=" + ct1.patientId + "&issuer="
                + ct1.issuer);
        assertThat(byPatient.get("-r")).startsWith("patientID=" + ct1.patientId);

        assertThat(get("/viewer/weasis?accessionNumber=NOSUCH", PRO_CREDENTIAL, null).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis?accessionNumber=A*", PRO_CREDENTIAL, null).statusCode()).isEqualTo(400);
        assertThat(get("/viewer/weasis?seriesUID=" + mr.seriesUid, PRO_CREDENTIAL, null).statusCode()).isEqualTo(400);
        assertThat(get("/viewer/weasis", PRO_CREDENTIAL, null).statusCode()).isEqualTo(400);
    }

    private Map<String, String> launched(String path) throws Exception {
        HttpResponse<String> rs = get(path, PRO_CREDENTIAL, "application/json");
        assertThat(rs.statusCode()).as(path + ": " + rs.body()).isEqualTo(200);
        return Weasis.options(URI.create(JSON.readTree(rs.body()).get("weasisUri").asText()), "$dicom:rs");
    }

    @Test
    void unknown_studies_are_404_and_malformed_uids_400() throws Exception {
        assertThat(get("/viewer/weasis/studies/" + TestObjects.uid(), PRO_CREDENTIAL, null).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/" + TestObjects.uid() + "/manifest.xml", PRO_CREDENTIAL, null)
                .statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/1.2.abc", PRO_CREDENTIAL, null).statusCode()).isEqualTo(400);
    }

    @Test
    void when_the_access_policy_denies_no_token_is_issued_and_the_refusal_is_audited() {
        WeasisController denying = new WeasisController(
                new ViewerAccess(new AccessGuard(new DenyAllPolicy(), audit), index, tokens, Optional.empty()), tokens,
                dicomWebProperties);
        MockHttpServletRequest rq = new MockHttpServletRequest("GET", "/viewer/weasis/studies/" + ct1.studyUid);
        rq.setRemoteAddr("127.0.0.9");
        assertThatThrownBy(() -> denying.study(ct1.studyUid, rq)).isInstanceOf(AccessDeniedException.class)
                .matches(e -> !((AccessDeniedException) e).authenticated());
        MockHttpServletRequest manifest = new MockHttpServletRequest("GET", "/viewer/weasis/studies/" + ct1.studyUid
                + "/manifest.xml");
        manifest.setRemoteAddr("127.0.0.9");
        assertThatThrownBy(() -> denying.manifest(ct1.studyUid, null, manifest)).isInstanceOf(AccessDeniedException.class);
    }

    // ------------------------------------------------------------------ helpers

    private HttpResponse<String> get(String path, String authorization, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> getBytes(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
