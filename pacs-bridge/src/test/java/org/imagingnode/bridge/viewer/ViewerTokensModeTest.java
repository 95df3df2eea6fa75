package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.xml.parsers.DocumentBuilderFactory;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Viewer launches on a node that checks every access ({@code node.security.mode=tokens}, real signed tokens
 * from the dev issuer): only a caller the policy lets see a study gets a launch, and the viewer token it
 * carries opens that study over DICOMweb and WADO-URI, and nothing else.
 */
class ViewerTokensModeTest extends TokensNode {

    @Test
    void only_a_caller_allowed_to_see_the_study_gets_a_launch_and_its_token_opens_that_study_only() throws Exception {
        TestObjects.Spec mine = new TestObjects.Spec();
        mine.rows = 16;
        mine.columns = 16;
        TestObjects.Spec other = new TestObjects.Spec();
        other.rows = 16;
        other.columns = 16;
        store(mine, other);
        String pro = token(Map.of("subject", "pro-1", "professionalId", "10001", "profession", "radiologist",
                "organisation", SITE_ORG));
        String outsider = token(Map.of("subject", "pro-2", "professionalId", "20002", "profession", "radiologist",
                "organisation", "FINESS-990000001"));

        // nobody anonymous; a professional of another site does not even learn the study is here
        assertThat(get("/viewer/weasis/studies/" + mine.studyUid, null).statusCode()).isEqualTo(401);
        assertThat(get("/viewer/web/studies/" + mine.studyUid, null).statusCode()).isEqualTo(401);
        assertThat(get("/viewer/weasis/studies/" + mine.studyUid, outsider).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/" + mine.studyUid + "/manifest.xml", outsider).statusCode())
                .isEqualTo(404);

        HttpResponse<String> launch = get("/viewer/weasis/studies/" + mine.studyUid, pro);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        Map<String, String> cmd = Weasis.options(
                URI.create(JSON.readTree(launch.body()).get("weasisUri").asText()), "$dicom:rs");
        String viewer = cmd.get("-H").substring("Authorization: ".length());
        assertThat(viewer).isNotEqualTo(pro);

        // the viewer token opens the study it names, as Weasis reads it...
        assertThat(get("/dicomweb/studies/" + mine.studyUid + "/series", viewer).statusCode()).isEqualTo(200);
        HttpResponse<String> wado = get("/dicomweb/studies/" + mine.studyUid + "/series/" + mine.seriesUid
                + "/instances/" + mine.sopInstanceUid, viewer);
        assertThat(wado.statusCode()).isEqualTo(200);
        // ...and no other study, nor a launch of its own
        assertThat(get("/dicomweb/studies/" + other.studyUid + "/series/" + other.seriesUid + "/instances/"
                + other.sopInstanceUid, viewer).statusCode()).isIn(403, 404);
        assertThat(get("/dicomweb/studies/" + other.studyUid + "/metadata", viewer).statusCode()).isIn(403, 404);
        assertThat(get("/viewer/weasis/studies/" + other.studyUid, viewer).statusCode()).isIn(403, 404);
        assertThat(get("/viewer/weasis/studies/" + mine.studyUid, viewer).statusCode()).as("no renewal").isEqualTo(403);
        assertThat(get("/viewer/web/studies/" + mine.studyUid, viewer).statusCode()).isEqualTo(403);

        // older Weasis: the manifest URL of the launch, fetched without headers, carries the same token
        Map<String, String> legacy = Weasis.options(
                URI.create(JSON.readTree(launch.body()).get("manifestWeasisUri").asText()), "$dicom:get");
        HttpResponse<String> legacyManifest = getUrl(legacy.get("-w"), null);
        assertThat(legacyManifest.statusCode()).as(legacyManifest.body()).isEqualTo(200);
        assertThat(legacyManifest.body()).contains("value=\"" + viewer + "\"");
        String otherManifest = legacy.get("-w").replace(mine.studyUid, other.studyUid);
        assertThat(getUrl(otherManifest, null).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/" + mine.studyUid + "/manifest.xml", null).statusCode()).isEqualTo(401);

        // the manifest: its WADO-URI requests with its header get the instance; without it, nothing
        HttpResponse<String> mf = get("/viewer/weasis/studies/" + mine.studyUid + "/manifest.xml", pro);
        assertThat(mf.statusCode()).as(mf.body()).isEqualTo(200);
        Element root = DocumentBuilderFactory.newDefaultNSInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(mf.body().getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        NodeList tags = root.getElementsByTagNameNS("*", "httpTag");
        assertThat(tags.getLength()).isEqualTo(1);
        String header = ((Element) tags.item(0)).getAttribute("value");
        String wadoUri = root.getAttribute("wadoURL") + "?requestType=WADO&studyUID=" + mine.studyUid + "&seriesUID="
                + mine.seriesUid + "&objectUID=" + mine.sopInstanceUid + "&contentType=application/dicom";
        assertThat(getUrl(wadoUri, header).statusCode()).isEqualTo(200);
        assertThat(getUrl(wadoUri, null).statusCode()).isEqualTo(401);
        assertThat(mf.body()).doesNotContain(pro.substring("Bearer ".length()));

        // the web viewer link works the same way
        HttpResponse<String> web = get("/viewer/web/studies/" + mine.studyUid, pro);
        assertThat(web.statusCode()).isEqualTo(200);
        String url = JSON.readTree(web.body()).get("viewerUrl").asText();
        String webToken = "Bearer " + url.substring(url.indexOf("#token=") + 7);
        assertThat(get("/dicomweb/studies/" + mine.studyUid + "/series/" + mine.seriesUid + "/metadata", webToken)
                .statusCode()).isEqualTo(200);
        assertThat(get("/dicomweb/studies/" + other.studyUid + "/series/" + other.seriesUid + "/metadata", webToken)
                .statusCode()).isIn(403, 404);
    }

    @Test
    void a_patient_history_launch_lists_that_patients_studies_only() throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        first.rows = 16;
        first.columns = 16;
        first.studyDate = "20250110";
        TestObjects.Spec second = first.sameStudy();
        second.studyUid = TestObjects.uid();
        second.studyDate = "20260220";
        TestObjects.Spec stranger = new TestObjects.Spec();
        stranger.rows = 16;
        stranger.columns = 16;
        store(first, second, stranger);
        String pro = token(Map.of("subject", "pro-3", "professionalId", "30003", "profession", "radiologist",
                "organisation", SITE_ORG));
        String outsider = token(Map.of("subject", "pro-4", "professionalId", "40004", "profession", "radiologist",
                "organisation", "FINESS-990000002"));
        String path = "/viewer/weasis/patient?patientID=" + first.patientId + "&issuer=" + first.issuer;

        assertThat(get(path, null).statusCode()).isEqualTo(401);
        assertThat(get(path, outsider).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/patient?patientID=NOBODY-HERE", pro).statusCode()).isEqualTo(404);

        HttpResponse<String> launch = get(path, pro);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(launch.body());
        assertThat(body.get("studies").asInt()).isEqualTo(2);
        Map<String, String> cmd = Weasis.options(URI.create(body.get("weasisUri").asText()),
                "$dicom:rs");
        assertThat(cmd.get("-r")).isEqualTo("patientID=" + first.patientId + "^^^" + first.issuer);
        String viewer = cmd.get("-H").substring("Authorization: ".length());

        // Weasis's own QIDO-RS request for that -r, with the viewer token: the patient's two studies, no other
        HttpResponse<String> qido = getUrl(Weasis.firstQuery(cmd.get("--url"), cmd.get("-r")), viewer);
        assertThat(qido.statusCode()).as(qido.body()).isEqualTo(200);
        List<String> listed = new ArrayList<>();
        for (JsonNode st : JSON.readTree(qido.body())) {
            listed.add(st.get("0020000D").get("Value").get(0).asText());
        }
        assertThat(listed).containsExactlyInAnyOrder(first.studyUid, second.studyUid);
        assertThat(get("/dicomweb/studies/" + second.studyUid + "/series/" + second.seriesUid + "/instances/"
                + second.sopInstanceUid, viewer).statusCode()).isEqualTo(200);
        assertThat(get("/dicomweb/studies/" + stranger.studyUid + "/series/" + stranger.seriesUid + "/instances/"
                + stranger.sopInstanceUid, viewer).statusCode()).isIn(403, 404);
    }

    @Test
    void a_patient_hides_a_study_shares_another_and_blocks_a_professional_from_the_patient_pages() throws Exception {
        String ins = Long.toString(100_000_000_000_000L + (System.nanoTime() % 899_999_999_999_999L));
        String insIssuer = "1.2.250.1.213.1.4.8";
        TestObjects.Spec first = new TestObjects.Spec();
        first.rows = 32;
        first.columns = 32;
        first.studyDate = "20240105";
        first.studyDescription = "Scanner thorax";
        first.otherPatientIds.add(new String[] {ins, insIssuer, null});
        TestObjects.Spec second = first.sameStudy();
        second.studyUid = TestObjects.uid();
        second.studyDate = "20250607";
        second.studyDescription = "IRM cerveau";
        second.modality = "MR";
        second.sopClassUid = TestObjects.MR_IMAGE;
        second.rows = 32;
        second.columns = 32;
        second.otherPatientIds.add(new String[] {ins, insIssuer, null});
        store(first, second);
        String patient = token(Map.of("subject", "patient-" + ins, "patientId", ins, "patientIdIssuer", insIssuer));
        String blockedPro = "55555" + (System.nanoTime() % 1000);
        String pro = token(Map.of("subject", "pro-" + blockedPro, "professionalId", blockedPro,
                "profession", "radiologist", "organisation", SITE_ORG));
        assertThat(get("/viewer/weasis/studies/" + second.studyUid, pro).statusCode()).isEqualTo(200);
        assertThat(get("/me?lang=fr", null).headers().firstValue("Location")).hasValue("/viewer/me.html?lang=fr");

        Path out = Files.createDirectories(Path.of("target", "viewer-browser-test", "patient"));
        Path log = out.resolve("browser.log");
        Process p = new ProcessBuilder("node", Path.of("..", "viewer-launcher", "src", "main", "frontend", "e2e",
                "patient-check.mjs").toString(), "http://127.0.0.1:" + httpPort + "/viewer/me.html?lang=fr#token="
                + patient.substring("Bearer ".length()), out.toString(), blockedPro)
                .redirectError(log.toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(stdout, StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(text + Files.readString(log)).isEqualTo(0);
        JsonNode r = JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();

        assertThat(r.get("heading").asText()).isEqualTo("Mon imagerie");
        assertThat(r.get("before")).hasSize(2);
        List<String> listed = new ArrayList<>();
        r.get("before").forEach(row -> listed.add(row.get("study").asText()));
        assertThat(listed).containsExactlyInAnyOrder(first.studyUid, second.studyUid);
        assertThat(r.get("before").toString()).contains("Scanner thorax", "IRM cerveau", "MR");
        assertThat(r.get("thumbnails")).as("thumbnails loaded by <img> from their signed URLs").hasSize(2)
                .allSatisfy(w -> assertThat(w.asInt()).isPositive());
        // newest first: the MRI of 2025 is the first row, and the one hidden by the click
        String hiddenStudy = r.at("/before/0/study").asText();
        String sharedStudy = r.at("/before/1/study").asText();

        // what the clicks did, as the patient API and the access policy now see it
        JsonNode studies = JSON.readTree(get("/api/patient/studies", patient).body());
        for (JsonNode st : studies) {
            assertThat(st.get("hidden").asBoolean()).as(st.toString())
                    .isEqualTo(st.get("studyInstanceUID").asText().equals(hiddenStudy));
        }
        assertThat(get("/api/patient/blocked-professionals", patient).body()).contains(blockedPro);
        assertThat(get("/viewer/weasis/studies/" + sharedStudy, pro).statusCode()).as("blocked professional")
                .isEqualTo(404);

        // the share link opened in another browser, without the patient's token, shows that study
        assertThat(r.get("shareUrl").asText()).contains("study=" + sharedStudy, "#token=sl.");
        assertThat(r.at("/shared/state").asText()).isEqualTo("ready");
        assertThat(r.at("/shared/study").asText()).isEqualTo(sharedStudy);
        assertThat(r.at("/shared/count").asInt()).isEqualTo(1);
    }
}
