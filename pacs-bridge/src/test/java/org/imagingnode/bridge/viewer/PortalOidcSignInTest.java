package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The portal's OpenID Connect sign-in against a real provider: panva's oidc-provider (npm), started on loopback
 * by {@code e2e/oidc-provider.mjs}, is the node's {@code node.auth.issuer} (its JWKS as {@code node.auth.jwks-uri})
 * and knows the portal as client {@code node.viewer.oidc-client-id}. In headless Chromium a professional signs in
 * on the provider's own login and consent pages, comes back to the portal signed in (authorization code + PKCE,
 * answered in the fragment), finds a patient's study and opens it in the web viewer, which draws it; the patient
 * signs in the same way on "My imaging" and finds that study among theirs.
 */
class PortalOidcSignInTest extends TokensNode {
    private static final Path FRONTEND = Path.of("..", "viewer-launcher", "src", "main", "frontend");
    private static final int PROVIDER_PORT;
    /** A node of its own (other properties than the other TokensNode tests'), so a data folder of its own. */
    private static final Path DATA_DIR;

    static {
        try {
            PROVIDER_PORT = Dcmtk.freePort();
            DATA_DIR = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "oidc-node");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void provider(DynamicPropertyRegistry registry) {
        registry.add("test.own-data-dir", DATA_DIR::toString);
        String issuer = "http://127.0.0.1:" + PROVIDER_PORT;
        registry.add("node.auth.issuer", () -> issuer);
        registry.add("node.auth.jwks-uri", () -> issuer + "/jwks");
        registry.add("node.viewer.oidc-client-id", () -> "portal");
        // "imaging": the provider's scope for the node as a resource server (its access tokens are then JWTs for it)
        registry.add("node.viewer.oidc-scope", () -> "openid profile imaging");
    }

    @TempDir
    Path work;

    @Test
    void a_professional_signs_in_at_the_provider_and_opens_a_study_in_the_web_viewer() throws Exception {
        HttpResponse<String> options = get("/viewer/login-options", null);
        assertThat(JSON.readTree(options.body()).get("oidc")).isEqualTo(JSON.readTree("{\"authority\":\"http://127.0.0.1:"
                + PROVIDER_PORT + "\",\"clientId\":\"portal\",\"scope\":\"openid profile imaging\"}"));
        NationalId person = person();
        TestObjects.Spec s = study("LOC-" + System.nanoTime(), "SITE-A", person);
        s.rows = 64;
        s.columns = 64;
        store(s);
        // the provider's accounts: what it puts in each person's access tokens is what the node reads
        Path accounts = work.resolve("accounts.json");
        Files.writeString(accounts, JSON.writeValueAsString(Map.of(
                "dr.martin", Map.of("name", "Dr Martin", "claims", Map.of("professional_id", "10031",
                        "profession", "radiologist", "organisation", SITE_ORG)),
                "jeanne", Map.of("name", "Jeanne Durand", "claims", Map.of("patient_id", person.id(),
                        "patient_id_issuer", person.issuer())))));

        Path providerLog = work.resolve("provider.log");
        Process provider = new ProcessBuilder("node", FRONTEND.resolve("e2e").resolve("oidc-provider.mjs").toString(),
                Integer.toString(PROVIDER_PORT), url(""), accounts.toString()).redirectErrorStream(true)
                .redirectOutput(providerLog.toFile()).start();
        JsonNode r;
        try {
            Dcmtk.awaitListening(PROVIDER_PORT);
            Path out = Files.createDirectories(Path.of("target", "viewer-browser-test", "oidc"));
            Path log = work.resolve("oidc-check.log");
            Process p = new ProcessBuilder("node", FRONTEND.resolve("e2e").resolve("oidc-check.mjs").toString(),
                    url(""), out.toString(), "dr.martin", s.patientId, s.studyUid, "jeanne").redirectError(log.toFile())
                    .start();
            byte[] stdout = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String text = new String(stdout, StandardCharsets.UTF_8).strip();
            assertThat(p.exitValue()).as(text + Files.readString(log)).isZero();
            r = JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
        } finally {
            provider.destroy();
            provider.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(r.get("ok").asBoolean()).as(r + "\nprovider:\n" + Files.readString(providerLog)).isTrue();

        assertThat(r.at("/loginPanel/oidc").asBoolean()).isTrue();
        // the provider's own pages, on its own origin
        String providerPages = "http://127.0.0.1:" + PROVIDER_PORT + "/interaction/";
        assertThat(r.at("/providerLogin/address").asText()).startsWith(providerPages);
        assertThat(r.at("/providerConsent/address").asText()).startsWith(providerPages);
        assertThat(r.at("/providerConsent/text").asText()).as("the node as the resource asked for").contains("urn:imaging-node");
        // back on the portal, signed in by the provider, the code gone from the address
        JsonNode portal = r.get("portal");
        assertThat(portal.get("addressOnReturn").asText()).isEqualTo(url("/viewer/portal.html"));
        assertThat(portal.get("session").asText()).isEqualTo("oidc");
        assertThat(portal.get("signedIn").asText()).contains("Dr Martin");
        assertThat(portal.get("state").asText()).isEqualTo("results");
        assertThat(portal.get("rows").toString()).contains(s.studyUid);
        JsonNode viewer = r.get("viewer");
        assertThat(viewer.get("state").asText()).isEqualTo("ready");
        assertThat(viewer.get("address").asText()).startsWith("/viewer/?study=" + s.studyUid);
        assertThat(viewer.get("canvasWidth").asInt()).isGreaterThan(300);
        // a patient signs in the same way on "My imaging" and finds their study there
        JsonNode patient = r.get("patient");
        assertThat(patient.at("/providerConsent/address").asText()).startsWith(providerPages);
        assertThat(patient.get("state").asText()).isEqualTo("ready");
        assertThat(patient.get("signedIn").asText()).contains("Jeanne Durand");
        assertThat(patient.get("rows").toString()).contains(s.studyUid);
        // the code and tokens travelled in fragments, headers and the token request's body, never in an address
        for (JsonNode u : r.get("requests")) {
            assertThat(u.asText()).doesNotContain("code=", "access_token", "eyJ");
        }
        // the node took the provider's token as that professional: the search and the launch are theirs
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE actor = '10031' AND study_uid = ?"
                + " AND outcome = 'viewer token issued'", Integer.class, s.studyUid)).isEqualTo(1);
    }
}
