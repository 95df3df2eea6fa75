package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The patient space end to end, over real HTTP against the running node in {@code node.security.mode=tokens},
 * with real signed tokens: studies stored by DCMTK from two sites for Jane (linked by her INS), one for John,
 * one linked to nobody; then what each caller can see through QIDO-RS, WADO-RS, WADO-URI, the Weasis launch
 * and the patient API, and what the audit trail says about it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PatientSpaceEndToEndTest extends TokensNode {
    @Autowired
    AuditLog audit;

    final NationalId jane = person();
    final NationalId john = person();
    TestObjects.Spec janeA;
    TestObjects.Spec janeB;
    TestObjects.Spec johnA;
    TestObjects.Spec unlinked;
    String janeToken;
    String johnToken;
    String drHouse;
    final String houseRpps = "81" + System.nanoTime() % 1_000_000_000L;

    @BeforeAll
    void storeStudiesFromTwoSites() throws Exception {
        janeA = study("A-" + jane.id(), "SITE-A", jane);
        janeA.patientName = "Martin^Jane";
        TestObjects.Spec janeA2 = janeA.sameSeries();
        janeB = study("B-77", "SITE-B-" + jane.id(), jane);
        janeB.modality = "MR";
        johnA = study("A-" + john.id(), "SITE-A", john);
        johnA.patientName = "Durand^John";
        unlinked = study("U-" + System.nanoTime(), "SITE-A", null);
        store(janeA, janeA2, janeB, johnA, unlinked);
        janeToken = patientToken(jane);
        johnToken = patientToken(john);
        drHouse = professionalToken(houseRpps, "FINESS-OTHER");
    }

    private String wado(TestObjects.Spec s) {
        return "/dicomweb/studies/" + s.studyUid + "/series/" + s.seriesUid + "/instances/" + s.sopInstanceUid;
    }

    private String wadoUri(TestObjects.Spec s) {
        return "/wado?requestType=WADO&studyUID=" + s.studyUid + "&seriesUID=" + s.seriesUid + "&objectUID="
                + s.sopInstanceUid + "&contentType=application/dicom";
    }

    @Test
    void a_patient_sees_exactly_their_studies_from_every_site() throws Exception {
        HttpResponse<String> list = get("/api/patient/studies", janeToken);
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        JsonNode studies = JSON.readTree(list.body());
        List<String> uids = new ArrayList<>();
        studies.forEach(n -> uids.add(n.get("studyInstanceUID").asText()));
        assertThat(uids).containsExactlyInAnyOrder(janeA.studyUid, janeB.studyUid);
        for (JsonNode n : studies) {
            assertThat(n.get("thumbnailUrl").asText()).startsWith("/dicomweb/studies/"
                    + n.get("studyInstanceUID").asText() + "/thumbnail?token=" + ThumbnailLinks.PREFIX);
            assertThat(n.get("reportStatus").asText()).isEqualTo("none");
            assertThat(n.get("studyDate").asText()).isEqualTo("2026-01-15");
        }
        JsonNode b = studies.get(uids.indexOf(janeB.studyUid));
        assertThat(b.get("modalities").get(0).asText()).isEqualTo("MR");
        assertThat(b.get("site").asText()).isEqualTo("SITE-B-" + jane.id());

        assertThat(studyUids(get("/dicomweb/studies", janeToken))).containsExactlyInAnyOrder(janeA.studyUid, janeB.studyUid);
        assertThat(get(wado(janeA), janeToken).statusCode()).isEqualTo(200);
        assertThat(get(wado(janeB), janeToken).statusCode()).isEqualTo(200);
        assertThat(get(wadoUri(janeA), janeToken).statusCode()).isEqualTo(200);
        assertThat(studyUids(get("/dicomweb/studies", johnToken))).containsExactly(johnA.studyUid);

        // audited: the retrievals by study, the API list and the queries by the patient's own identity
        assertThat(audit.forStudy(janeB.studyUid, 500)).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(jane.cx());
            assertThat(e.actorRole()).isEqualTo("patient");
            assertThat(e.action()).isEqualTo("retrieve");
            assertThat(e.channel()).isEqualTo("DICOMweb");
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.sourceAddress()).isEqualTo("127.0.0.1");
        });
        assertThat(audit.forPatient(jane.cx(), 500)).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(jane.cx());
            assertThat(e.channel()).isEqualTo("API");
            assertThat(e.action()).isEqualTo("query");
            assertThat(e.detail()).contains("list of studies, 2");
        });
    }

    @Test
    void a_thumbnail_url_of_the_patients_list_loads_without_a_header_and_opens_that_thumbnail_only() throws Exception {
        String url = null;
        for (JsonNode n : JSON.readTree(get("/api/patient/studies", janeToken).body())) {
            if (n.get("studyInstanceUID").asText().equals(janeA.studyUid)) {
                url = n.get("thumbnailUrl").asText();
            }
        }
        assertThat(url).isNotNull();
        String token = url.substring(url.indexOf("?token=") + 7);
        assertThat(janeToken).doesNotContain(token);
        HttpResponse<String> img = get(url, null);
        assertThat(img.statusCode()).isEqualTo(200);
        assertThat(img.headers().firstValue("Content-Type")).hasValue("image/jpeg");

        // not another study, not the study's images or metadata, not as a bearer token, not tampered with
        for (String other : List.of("/dicomweb/studies/" + janeB.studyUid + "/thumbnail?token=" + token,
                "/dicomweb/studies/" + janeA.studyUid + "?token=" + token,
                "/dicomweb/studies/" + janeA.studyUid + "/metadata?token=" + token,
                "/dicomweb/studies/" + janeA.studyUid + "/series/" + janeA.seriesUid + "/thumbnail?token=" + token,
                "/dicomweb/studies?token=" + token,
                url.substring(0, url.length() - 2) + (url.endsWith("AA") ? "BB" : "AA"))) {
            HttpResponse<String> rs = get(other, null);
            assertThat(rs.statusCode()).as(other).isEqualTo(401);
        }
        assertThat(get(url.substring(0, url.indexOf('?')), "Bearer " + token).statusCode()).isEqualTo(401);

        assertThat(audit.forStudy(janeA.studyUid, 500)).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(jane.cx());
            assertThat(e.actorRole()).isEqualTo("thumbnail-link");
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).contains("thumbnail");
        });
    }

    @Test
    void a_token_for_another_patient_leaks_nothing() throws Exception {
        for (String path : List.of(wado(janeA), "/dicomweb/studies/" + janeA.studyUid + "/metadata", wadoUri(janeA),
                "/dicomweb/studies/" + janeA.studyUid + "/thumbnail", "/viewer/weasis/studies/" + janeA.studyUid)) {
            HttpResponse<String> rs = get(path, johnToken);
            assertThat(rs.statusCode()).as(path).isEqualTo(404);
            assertThat(rs.body()).doesNotContain("Martin").doesNotContain(jane.id()).doesNotContain("denied");
        }
        // the same answer as for a study that does not exist
        assertThat(get("/dicomweb/studies/" + TestObjects.uid() + "/metadata", johnToken).statusCode()).isEqualTo(404);
        assertThat(studyUids(get("/dicomweb/studies?StudyInstanceUID=" + janeA.studyUid, johnToken))).isEmpty();
        assertThat(studyUids(get("/dicomweb/studies?PatientID=" + janeA.patientId, johnToken))).isEmpty();
        assertThat(get("/dicomweb/studies/" + janeA.studyUid + "/series", johnToken).body()).isEqualTo("[]");
        assertThat(send("PUT", "/api/patient/studies/" + janeA.studyUid + "/hidden", johnToken, null).statusCode())
                .isEqualTo(404);
        assertThat(send("POST", "/api/patient/studies/" + janeA.studyUid + "/share-links", johnToken, map())
                .statusCode()).isEqualTo(404);
        assertThat(get("/api/patient/studies?for=" + enc(jane.cx()), johnToken).statusCode()).isEqualTo(403);

        List<AuditEvent> events = audit.forStudy(janeA.studyUid, 500);
        assertThat(events).anyMatch(e -> e.actor().equals(john.cx()) && e.actorRole().equals("patient")
                && e.outcome().equals("denied") && "DICOMweb".equals(e.channel()) && "127.0.0.1".equals(e.sourceAddress()));
        assertThat(events).anyMatch(e -> e.actor().equals(john.cx()) && e.outcome().equals("denied")
                && "WADO-URI".equals(e.channel()));
        assertThat(events).anyMatch(e -> e.actor().equals(john.cx()) && e.outcome().equals("denied")
                && "viewer".equals(e.channel()));
    }

    @Test
    void a_blocked_professional_is_refused_on_qido_wado_and_the_viewer_until_unblocked() throws Exception {
        String rpps = "82" + System.nanoTime() % 1_000_000_000L;
        String drBlocked = professionalToken(rpps, "FINESS-OTHER");
        assertThat(get(wado(janeA), drBlocked).statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/api/patient/blocked-professionals/" + rpps, janeToken, null).statusCode()).isEqualTo(204);
        assertThat(JSON.readTree(get("/api/patient/blocked-professionals", janeToken).body()).toString()).contains(rpps);

        assertThat(studyUids(get("/dicomweb/studies?StudyInstanceUID=" + janeA.studyUid, drBlocked))).isEmpty();
        assertThat(get(wado(janeA), drBlocked).statusCode()).isEqualTo(404);
        assertThat(get(wadoUri(janeA), drBlocked).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/" + janeA.studyUid, drBlocked).statusCode()).isEqualTo(404);
        assertThat(get("/viewer/weasis/studies/" + janeA.studyUid + "/manifest.xml", drBlocked).statusCode()).isEqualTo(404);
        // another professional is not affected, John's studies are not affected
        assertThat(studyUids(get("/dicomweb/studies?StudyInstanceUID=" + janeA.studyUid, drHouse)))
                .containsExactly(janeA.studyUid);
        assertThat(get("/viewer/weasis/studies/" + janeA.studyUid, drHouse).statusCode()).isEqualTo(200);
        assertThat(get(wado(johnA), drBlocked).statusCode()).isEqualTo(200);

        List<AuditEvent> denied = audit.forStudy(janeA.studyUid, 500).stream()
                .filter(e -> e.actor().equals(rpps) && e.outcome().equals("denied")).toList();
        assertThat(denied).extracting(AuditEvent::channel).contains("DICOMweb", "WADO-URI", "viewer");
        assertThat(denied).allSatisfy(e -> {
            assertThat(e.actorRole()).isEqualTo("professional");
            assertThat(e.detail()).contains("blocked");
        });

        assertThat(send("DELETE", "/api/patient/blocked-professionals/" + rpps, janeToken, null).statusCode())
                .isEqualTo(204);
        assertThat(get(wado(janeA), drBlocked).statusCode()).isEqualTo(200);
    }

    @Test
    void a_weasis_launch_token_opens_only_its_study_and_dies_with_the_professionals_right() throws Exception {
        NationalId eve = person();
        TestObjects.Spec s1 = study("W-" + eve.id(), "SITE-A", eve);
        TestObjects.Spec s2 = study("W-" + eve.id(), "SITE-A", eve);
        store(s1, s2);
        String rpps = "87" + System.nanoTime() % 1_000_000_000L;
        String dr = professionalToken(rpps, "FINESS-OTHER");
        HttpResponse<String> launch = get("/viewer/weasis/studies/" + s1.studyUid, dr);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        String uri = URLDecoder.decode(JSON.readTree(launch.body()).get("weasisUri").asText(),
                StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("Authorization: (Bearer [A-Za-z0-9_.-]+)").matcher(uri);
        assertThat(m.find()).as(uri).isTrue();
        String viewerToken = m.group(1);
        assertThat(studyUids(get("/dicomweb/studies?StudyInstanceUID=" + s1.studyUid, viewerToken)))
                .containsExactly(s1.studyUid);
        assertThat(get(wado(s1), viewerToken).statusCode()).isEqualTo(200);
        assertThat(get(wado(s2), viewerToken).statusCode()).isEqualTo(404);
        assertThat(send("POST", "/dicomweb/studies", viewerToken, null).statusCode()).isEqualTo(403);

        send("PUT", "/api/patient/blocked-professionals/" + rpps, patientToken(eve), null);
        assertThat(get(wado(s1), viewerToken).statusCode()).isEqualTo(404);
    }

    @Test
    void a_hidden_study_is_withheld_from_professionals_but_not_from_the_patient() throws Exception {
        // a patient of this test alone, so that the other tests' view of Jane's studies does not change
        NationalId ann = person();
        String annToken = patientToken(ann);
        TestObjects.Spec shown = study("A-" + ann.id(), "SITE-A", ann);
        TestObjects.Spec hidden = study("A-" + ann.id(), "SITE-A", ann);
        store(shown, hidden);
        assertThat(send("PUT", "/api/patient/studies/" + hidden.studyUid + "/hidden", annToken, null).statusCode())
                .isEqualTo(204);
        assertThat(get(wado(hidden), drHouse).statusCode()).isEqualTo(404);
        assertThat(studyUids(get("/dicomweb/studies?PatientID=" + hidden.patientId, drHouse)))
                .containsExactly(shown.studyUid);
        assertThat(get(wado(hidden), annToken).statusCode()).isEqualTo(200);
        JsonNode mine = JSON.readTree(get("/api/patient/studies", annToken).body());
        assertThat(mine.findParents("studyInstanceUID")).anySatisfy(n -> {
            assertThat(n.get("studyInstanceUID").asText()).isEqualTo(hidden.studyUid);
            assertThat(n.get("hidden").asBoolean()).isTrue();
        });
        assertThat(send("DELETE", "/api/patient/studies/" + hidden.studyUid + "/hidden", annToken, null).statusCode())
                .isEqualTo(204);
        assertThat(get(wado(hidden), drHouse).statusCode()).isEqualTo(200);
    }

    @Test
    void break_the_glass_needs_a_reason_opens_everything_for_a_while_and_shows_in_the_patients_history()
            throws Exception {
        NationalId ana = person();
        TestObjects.Spec s1 = study("E-" + ana.id(), "SITE-A", ana);
        TestObjects.Spec s2 = study("E-" + ana.id(), "SITE-A", ana);
        store(s1, s2);
        String anaToken = patientToken(ana);
        String rpps = "83" + System.nanoTime() % 1_000_000_000L;
        String drEr = professionalToken(rpps, "FINESS-OTHER");
        send("PUT", "/api/patient/blocked-professionals/" + rpps, anaToken, null);
        send("PUT", "/api/patient/studies/" + s2.studyUid + "/hidden", anaToken, null);
        assertThat(get(wado(s1), drEr).statusCode()).isEqualTo(404);

        assertThat(send("POST", "/api/break-glass", drEr, map("nationalId", ana.id(), "issuer", INS)).statusCode())
                .isEqualTo(400);
        assertThat(send("POST", "/api/break-glass", drEr, map("nationalId", ana.id(), "reason", "  ")).statusCode())
                .isEqualTo(400);
        assertThat(send("POST", "/api/break-glass", anaToken, map("nationalId", ana.id(), "reason", "x")).statusCode())
                .isEqualTo(403);
        HttpResponse<String> grant = send("POST", "/api/break-glass", drEr,
                map("nationalId", ana.id(), "issuer", INS, "reason", "unconscious patient, emergency department"));
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(201);
        assertThat(JSON.readTree(grant.body()).get("expiresAt").asText()).isNotBlank();

        assertThat(get(wado(s1), drEr).statusCode()).isEqualTo(200);
        assertThat(get(wado(s2), drEr).statusCode()).isEqualTo(200);
        assertThat(get(wado(s1), drHouse).statusCode()).isEqualTo(200); // another professional: ordinary rules
        assertThat(get(wado(s2), drHouse).statusCode()).isEqualTo(404);

        JsonNode history = JSON.readTree(get("/api/patient/history", anaToken).body());
        assertThat(history.findParents("action")).anySatisfy(e -> {
            assertThat(e.get("action").asText()).isEqualTo("break-glass");
            assertThat(e.get("actor").asText()).isEqualTo(rpps);
            assertThat(e.get("emergency").asBoolean()).isTrue();
            assertThat(e.get("detail").asText()).contains("unconscious patient");
        });
        assertThat(history.findParents("action")).anySatisfy(e -> {
            assertThat(e.get("action").asText()).isEqualTo("retrieve");
            assertThat(e.get("actor").asText()).isEqualTo(rpps);
            assertThat(e.get("outcome").asText()).isEqualTo("success");
            assertThat(e.get("emergency").asBoolean()).isTrue();
            assertThat(e.get("sourceAddress").asText()).isEqualTo("127.0.0.1");
        });
        assertThat(history.findParents("action")).anySatisfy(e -> {
            assertThat(e.get("actor").asText()).isEqualTo(houseRpps);
            assertThat(e.get("emergency").asBoolean()).isFalse();
        });
    }

    @Test
    void a_share_link_opens_one_study_until_revoked_or_expired() throws Exception {
        HttpResponse<String> created = send("POST", "/api/patient/studies/" + janeA.studyUid + "/share-links", janeToken,
                map("lifetimeSeconds", 600));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode link = JSON.readTree(created.body());
        String bearer = "Bearer " + link.get("token").asText();
        assertThat(get(wado(janeA), bearer).statusCode()).isEqualTo(200);
        assertThat(get(wadoUri(janeA), bearer).statusCode()).isEqualTo(200);
        assertThat(studyUids(get("/dicomweb/studies", bearer))).containsExactly(janeA.studyUid);
        assertThat(get(wado(janeB), bearer).statusCode()).isEqualTo(404);
        assertThat(get("/api/patient/studies", bearer).statusCode()).isEqualTo(403);
        assertThat(get("/api/patient/share-links", janeToken).body()).contains(link.get("id").asText());

        assertThat(send("DELETE", "/api/patient/share-links/" + link.get("id").asText(), johnToken, null).statusCode())
                .isEqualTo(404);
        assertThat(send("DELETE", "/api/patient/share-links/" + link.get("id").asText(), janeToken, null).statusCode())
                .isEqualTo(204);
        assertThat(get(wado(janeA), bearer).statusCode()).isEqualTo(401);

        JsonNode shortLived = JSON.readTree(send("POST", "/api/patient/studies/" + janeA.studyUid + "/share-links",
                janeToken, map("lifetimeSeconds", 1)).body());
        String shortBearer = "Bearer " + shortLived.get("token").asText();
        assertThat(get(wado(janeA), shortBearer).statusCode()).isEqualTo(200);
        Thread.sleep(1500);
        assertThat(get(wado(janeA), shortBearer).statusCode()).isEqualTo(401);

        // audited: created and revoked by Jane, used under the link's own name, refused once revoked
        String id = link.get("id").asText();
        List<AuditEvent> events = audit.forStudy(janeA.studyUid, 1000);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.action()).isEqualTo("share-link-create");
            assertThat(e.actor()).isEqualTo(jane.cx());
            assertThat(e.detail()).contains(id);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo("share-link:" + id);
            assertThat(e.actorRole()).isEqualTo("share-link");
            assertThat(e.action()).isEqualTo("retrieve");
            assertThat(e.outcome()).isEqualTo("success");
        });
        assertThat(audit.forPatient(jane.cx(), 1000)).anySatisfy(e -> {
            assertThat(e.action()).isEqualTo("share-link-revoke");
            assertThat(e.detail()).contains(id);
        });
        assertThat(send("POST", "/api/patient/studies/" + janeA.studyUid + "/share-links", janeToken,
                map("lifetimeSeconds", 0)).statusCode()).isEqualTo(400);
    }

    @Test
    void wrong_expired_forged_or_missing_tokens_are_401_and_a_right_identity_without_the_right_is_403()
            throws Exception {
        String expired = token(map("subject", "p", "patientId", jane.id(), "lifetimeSeconds", -120));
        String[] parts = janeToken.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();
        for (String bad : new String[] {null, "Bearer", "Bearer x.y.z", "Basic dXNlcjpwYXNz", expired, forged,
                "Bearer sl.nope.nope"}) {
            for (String path : List.of("/dicomweb/studies", wado(janeA), wadoUri(janeA), "/api/patient/studies",
                    "/viewer/weasis/studies/" + janeA.studyUid)) {
                HttpResponse<String> rs = get(path, bad);
                assertThat(rs.statusCode()).as(path + " with " + bad).isEqualTo(401);
                assertThat(rs.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
                assertThat(rs.body()).doesNotContain("Martin");
            }
        }
        String nobody = token(map("subject", "just-a-login"));
        assertThat(get("/dicomweb/studies", nobody).statusCode()).isEqualTo(403);
        assertThat(get("/api/patient/studies", drHouse).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/dicomweb/studies", janeToken, null).statusCode()).isEqualTo(403);
        assertThat(audit.forPatient(null, 1)).isEmpty();
        assertThat(audit.forStudy(janeA.studyUid, 1000)).noneMatch(e -> String.valueOf(e.detail()).contains(parts[2]));
    }

    @Test
    void a_study_linked_to_nobody_is_seen_by_the_source_site_only_until_reconciled() throws Exception {
        String staff = professionalToken("84" + System.nanoTime() % 1_000_000_000L, SITE_ORG);
        assertThat(get(wado(unlinked), drHouse).statusCode()).isEqualTo(404);
        assertThat(get(wado(unlinked), staff).statusCode()).isEqualTo(200);
        assertThat(get("/api/site/reconciliation", drHouse).statusCode()).isEqualTo(403);
        HttpResponse<String> rec = get("/api/site/reconciliation", staff);
        assertThat(rec.statusCode()).isEqualTo(200);
        assertThat(rec.body()).contains(unlinked.studyUid).doesNotContain(janeA.studyUid);

        NationalId ines = person();
        HttpResponse<String> linked = send("PUT", "/api/site/links", staff, map("localPatientId", unlinked.patientId,
                "localIssuer", "SITE-A", "nationalId", ines.id(), "issuer", INS));
        assertThat(linked.statusCode()).as(linked.body()).isEqualTo(201);
        assertThat(send("PUT", "/api/site/links", staff, map("localPatientId", unlinked.patientId,
                "localIssuer", "SITE-A", "nationalId", person().id())).statusCode()).isEqualTo(409);
        assertThat(get(wado(unlinked), drHouse).statusCode()).isEqualTo(200);
        assertThat(studyUids(get("/dicomweb/studies", patientToken(ines)))).containsExactly(unlinked.studyUid);
        assertThat(get("/api/site/reconciliation", staff).body()).doesNotContain(unlinked.studyUid);
    }

    @Test
    void a_guardian_acts_for_an_attached_minor_once_the_site_confirmed_and_a_trusted_person_only_reads()
            throws Exception {
        NationalId child = person();
        NationalId parent = person();
        NationalId friend = person();
        TestObjects.Spec childStudy = study("C-" + child.id(), "SITE-A", child);
        store(childStudy);
        String parentToken = patientToken(parent);
        assertThat(send("POST", "/api/patient/minors", parentToken, map("nationalId", child.id())).statusCode())
                .isEqualTo(202);
        assertThat(get("/api/patient/studies?for=" + enc(child.cx()), parentToken).statusCode()).isEqualTo(403);
        assertThat(get(wado(childStudy), parentToken).statusCode()).isEqualTo(404);

        String staff = professionalToken("85" + System.nanoTime() % 1_000_000_000L, SITE_ORG);
        assertThat(send("POST", "/api/site/guardianships", drHouse, map("minor", map("nationalId", child.id()),
                "guardian", map("nationalId", parent.id()))).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/api/site/guardianships", staff, map("minor", map("nationalId", child.id()),
                "guardian", map("nationalId", parent.id()))).statusCode()).isEqualTo(204);

        HttpResponse<String> forChild = get("/api/patient/studies?for=" + enc(child.cx()), parentToken);
        assertThat(forChild.statusCode()).isEqualTo(200);
        assertThat(forChild.body()).contains(childStudy.studyUid);
        assertThat(get(wado(childStudy), parentToken).statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/api/patient/studies/" + childStudy.studyUid + "/hidden?for=" + enc(child.cx()), parentToken,
                null).statusCode()).isEqualTo(204);

        assertThat(send("POST", "/api/patient/trusted-persons", janeToken, map("nationalId", friend.id())).statusCode())
                .isEqualTo(201);
        String friendToken = patientToken(friend);
        assertThat(get("/api/patient/studies?for=" + enc(jane.cx()), friendToken).statusCode()).isEqualTo(200);
        assertThat(get(wado(janeA), friendToken).statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/api/patient/studies/" + janeA.studyUid + "/hidden?for=" + enc(jane.cx()), friendToken, null)
                .statusCode()).isEqualTo(403);
        assertThat(send("DELETE", "/api/patient/trusted-persons?nationalId=" + friend.id(), janeToken, null)
                .statusCode()).isEqualTo(204);
        assertThat(get(wado(janeA), friendToken).statusCode()).isEqualTo(404);
    }

    @Test
    void the_access_history_says_who_did_what_from_where_and_the_api_cannot_alter_it() throws Exception {
        get(wado(janeA), drHouse);
        JsonNode history = JSON.readTree(get("/api/patient/history", janeToken).body());
        assertThat(history.findParents("action")).anySatisfy(e -> {
            assertThat(e.get("actor").asText()).isEqualTo(houseRpps);
            assertThat(e.get("role").asText()).isEqualTo("professional");
            assertThat(e.get("action").asText()).isEqualTo("retrieve");
            assertThat(e.get("channel").asText()).isEqualTo("DICOMweb");
            assertThat(e.get("studyInstanceUID").asText()).isEqualTo(janeA.studyUid);
            assertThat(e.get("sourceAddress").asText()).isEqualTo("127.0.0.1");
            assertThat(e.get("time").asText()).isNotBlank();
        });
        int before = history.size();
        for (String method : List.of("DELETE", "PUT", "POST", "PATCH")) {
            assertThat(send(method, "/api/patient/history", janeToken, null).statusCode()).isIn(404, 405);
        }
        assertThat(JSON.readTree(get("/api/patient/history", janeToken).body()).size()).isGreaterThanOrEqualTo(before);
        assertThat(get("/api/patient/history", johnToken).body()).doesNotContain(janeA.studyUid);
    }
}
