package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.TokensNode;
import org.imagingnode.bridge.testing.Zips;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The portal's exports under the patient space's rules ({@code node.security.mode=tokens}, real tokens): "import
 * into my PACS" sends a study by C-STORE to a real DCMTK storescp, only to an AE bound to the professional's
 * organisation (or to them), with its progress readable by them alone; downloads follow the same access rules as
 * viewing. Every request, refusal and outcome is audited.
 */
class PortalExportsTest extends TokensNode {

    @TempDir
    Path work;

    @Test
    void a_professional_imports_a_study_into_the_pacs_of_their_organisation_and_follows_its_progress()
            throws Exception {
        TestObjects.Spec first = study("LOC-" + System.nanoTime(), "SITE-A", null);
        TestObjects.Spec second = first.sameSeries();
        second.instanceNumber = 2;
        TestObjects.Spec third = first.sameStudy();
        third.seriesNumber = 2;
        store(first, second, third);
        String pro = professionalToken("10001", SITE_ORG);

        HttpResponse<String> mine = get("/viewer/imports/destinations", pro);
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(mine.body()).get("destinations").toString()).isEqualTo("[\"" + SITE_PACS + "\"]");

        Path received = Files.createDirectories(work.resolve("pacs"));
        String location;
        Process pacs = Dcmtk.start(work.resolve("storescp.log"), "storescp", "-aet", SITE_PACS, "+xa", "-od",
                received.toString(), Integer.toString(SITE_PACS_PORT));
        try {
            Dcmtk.awaitListening(SITE_PACS_PORT);
            HttpResponse<String> started = importStarted(pro, first.studyUid, SITE_PACS);
            JsonNode job = JSON.readTree(started.body());
            assertThat(job.get("total").asInt()).isEqualTo(3);
            location = started.headers().firstValue("Location").orElseThrow();
            assertThat(location).isEqualTo("/viewer/imports/" + job.get("id").asText());

            JsonNode done = awaitDone(location, pro);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
            assertThat(done.get("completed").asInt()).isEqualTo(3);
            assertThat(done.get("failed").asInt()).isZero();

            // the PACS has every instance, its data set byte for byte as stored here
            Map<String, Path> files = new HashMap<>();
            try (Stream<Path> list = Files.list(received)) {
                list.forEach(p -> files.put(p.getFileName().toString().replaceFirst("^[A-Z]{2}\\.", ""), p));
            }
            List<InstanceLocation> stored = index.locate(List.of(new Condition.SingleValue(
                    IndexAttribute.StudyInstanceUID, first.studyUid)));
            assertThat(files.keySet()).containsExactlyInAnyOrderElementsOf(
                    stored.stream().map(InstanceLocation::sopInstanceUid).toList());
            for (InstanceLocation i : stored) {
                byte[] sent;
                try (InputStream in = Files.newInputStream(files.get(i.sopInstanceUid()))) {
                    Part10.skipHeader(in);
                    sent = in.readAllBytes();
                }
                try (InputStream in = blobs.get(i.blobKey(), i.datasetOffset(), i.blobSize() - i.datasetOffset())) {
                    assertThat(sent).isEqualTo(in.readAllBytes());
                }
            }
        } finally {
            pacs.destroy();
        }

        // the job is the requester's business only
        String colleague = professionalToken("10002", SITE_ORG);
        assertThat(get(location, colleague).statusCode()).isEqualTo(404);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND actor = '10001'"
                + " AND detail LIKE 'import into a PACS requested: 3 instances to " + SITE_PACS + "%'", Integer.class,
                first.studyUid)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'success'"
                + " AND detail LIKE 'import to " + SITE_PACS + " %: 3 sent, 0 with warnings, 0 failed'", Integer.class,
                first.studyUid)).isEqualTo(1);
    }

    @Test
    void a_professional_cancels_an_import_the_node_stops_after_the_instance_in_flight_and_releases_the_association()
            throws Exception {
        TestObjects.Spec first = study("LOC-" + System.nanoTime(), "SITE-A", null);
        List<TestObjects.Spec> specs = new ArrayList<>(List.of(first));
        for (int i = 2; i <= 8; i++) {
            TestObjects.Spec s = first.sameSeries();
            s.instanceNumber = i;
            specs.add(s);
        }
        store(specs.toArray(TestObjects.Spec[]::new));
        String pro = professionalToken("10011", SITE_ORG);

        Path received = Files.createDirectories(work.resolve("slow-pacs"));
        Path pacsLog = work.resolve("slow-storescp.log");
        // a PACS that takes a second over each instance, so that the import is still under way when cancelled
        Process pacs = Dcmtk.start(pacsLog, "storescp", "-v", "--sleep-during", "1", "-aet", SITE_PACS, "+xa", "-od",
                received.toString(), Integer.toString(SITE_PACS_PORT));
        try {
            Dcmtk.awaitListening(SITE_PACS_PORT);
            HttpResponse<String> started = importStarted(pro, first.studyUid, SITE_PACS);
            String location = started.headers().firstValue("Location").orElseThrow();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (JSON.readTree(get(location, pro).body()).get("completed").asInt() == 0) {
                assertThat(System.nanoTime()).as("first instance sent").isLessThan(deadline);
                Thread.sleep(50);
            }

            // only the requester may cancel it
            assertThat(send("POST", location + "/cancel", professionalToken("10002", SITE_ORG), null).statusCode())
                    .isEqualTo(404);
            HttpResponse<String> cancelling = send("POST", location + "/cancel", pro, null);
            assertThat(cancelling.statusCode()).as(cancelling.body()).isEqualTo(202);
            assertThat(JSON.readTree(cancelling.body()).get("state").asText()).isEqualTo("cancelling");

            JsonNode cancelled = awaitDone(location, pro);
            assertThat(cancelled.get("state").asText()).as(cancelled.toString()).isEqualTo("cancelled");
            int sent = cancelled.get("completed").asInt();
            assertThat(sent).isBetween(1, 7);
            assertThat(cancelled.get("failed").asInt()).isZero();
            assertThat(cancelled.get("error").asText()).isEqualTo("cancelled after " + sent + " of 8 instances");
            // the PACS got those, then an orderly release: no instance after the cancel, no aborted association
            long deadlineRelease = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!Files.readString(pacsLog).contains("Association Release")) {
                assertThat(System.nanoTime()).as(Files.readString(pacsLog)).isLessThan(deadlineRelease);
                Thread.sleep(50);
            }
            assertThat(Files.readString(pacsLog)).doesNotContain("Association Aborted");
            try (Stream<Path> files = Files.list(received)) {
                assertThat(files.count()).isEqualTo(sent);
            }
            // cancelling it again changes nothing; a job already over cannot be cancelled
            assertThat(send("POST", location + "/cancel", pro, null).statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(get(location, pro).body()).get("completed").asInt()).isEqualTo(sent);
        } finally {
            pacs.destroy();
        }
        UUID over = UUID.randomUUID();
        jdbc.update("INSERT INTO pacs_import (id, requested_by, requested_role, study_uid, destination_ae, state,"
                + " total, completed) VALUES (?, '10011', 'professional', ?, ?, 'completed', 8, 8)", over,
                first.studyUid, SITE_PACS);
        HttpResponse<String> tooLate = send("POST", "/viewer/imports/" + over + "/cancel", pro, null);
        assertThat(tooLate.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(tooLate.body()).get("state").asText()).isEqualTo("completed");

        // the request and the outcome are in the audit trail
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND actor = '10011'"
                + " AND patient_id = ? AND detail LIKE 'import into a PACS: cancel requested (job %, cancelling)'",
                Integer.class, first.studyUid, first.patientId)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'cancelled'"
                + " AND patient_id = ? AND detail LIKE 'import to " + SITE_PACS + " %cancelled: % sent, 0 with warnings,"
                + " 0 failed, % not sent'", Integer.class, first.studyUid, first.patientId)).isEqualTo(1);
    }

    @Test
    void imports_are_refused_by_default_hidden_studies_stay_hidden_and_an_unreachable_pacs_fails_the_job()
            throws Exception {
        NationalId person = person();
        TestObjects.Spec linked = study("LOC-" + System.nanoTime(), "SITE-A", person);
        store(linked);
        String sitePro = professionalToken("10003", SITE_ORG);
        String elsewherePro = professionalToken("30003", "FINESS-990000003");
        String otherPro = professionalToken("40004", "FINESS-990000004");
        Map<String, Object> toSitePacs = map("studyInstanceUID", linked.studyUid, "destination", SITE_PACS);

        // nobody anonymous, no patient, no viewer token; a professional only to the AEs bound to them
        assertThat(send("POST", "/viewer/imports", null, toSitePacs).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/viewer/imports", patientToken(person), toSitePacs).statusCode()).isEqualTo(403);
        HttpResponse<String> launch = get("/viewer/web/studies/" + linked.studyUid, sitePro);
        String viewerUrl = JSON.readTree(launch.body()).get("viewerUrl").asText();
        String viewerToken = "Bearer " + viewerUrl.substring(viewerUrl.indexOf("#token=") + 7);
        assertThat(send("POST", "/viewer/imports", viewerToken, toSitePacs).statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(get("/viewer/imports/destinations", otherPro).body()).get("destinations")).isEmpty();
        assertThat(send("POST", "/viewer/imports", otherPro, toSitePacs).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/viewer/imports", sitePro, map("studyInstanceUID", linked.studyUid,
                "destination", "ELSEWHERE")).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/viewer/imports", sitePro, map("studyInstanceUID", linked.studyUid,
                "destination", "NOSUCHAE")).statusCode()).isEqualTo(403);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'denied'"
                + " AND detail LIKE 'import into a PACS: destination %'", Integer.class, linked.studyUid))
                .isEqualTo(3);

        // a study the patient hid is not found, exactly like one that does not exist
        assertThat(send("PUT", "/api/patient/studies/" + linked.studyUid + "/hidden", patientToken(person), null)
                .statusCode()).isIn(200, 204);
        assertThat(send("POST", "/viewer/imports", sitePro, toSitePacs).statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/api/patient/studies/" + linked.studyUid + "/hidden", patientToken(person), null)
                .statusCode()).isIn(200, 204);

        // a job whose node stopped while sending it is reported failed once it has made no progress for 10 min
        UUID lost = UUID.randomUUID();
        jdbc.update("INSERT INTO pacs_import (id, requested_by, requested_role, study_uid, destination_ae, state,"
                + " total, completed, updated_at) VALUES (?, '30003', 'professional', ?, 'ELSEWHERE', 'sending', 5, 2,"
                + " clock_timestamp() - interval '11 minutes')", lost, linked.studyUid);
        JsonNode interrupted = JSON.readTree(get("/viewer/imports/" + lost, elsewherePro).body());
        assertThat(interrupted.get("state").asText()).isEqualTo("failed");
        assertThat(interrupted.get("error").asText()).startsWith("interrupted");
        assertThat(interrupted.get("completed").asInt()).isEqualTo(2);
        assertThat(send("POST", "/viewer/imports/" + lost + "/cancel", elsewherePro, null).statusCode())
                .as("no node is sending it any more").isEqualTo(409);
        assertThat(JSON.readTree(get("/viewer/imports/" + lost, elsewherePro).body()).get("state").asText())
                .isEqualTo("failed");

        // a destination that does not answer: the job fails and says why
        HttpResponse<String> started = importStarted(elsewherePro, linked.studyUid, "ELSEWHERE");
        JsonNode failed = awaitDone(started.headers().firstValue("Location").orElseThrow(), elsewherePro);
        assertThat(failed.get("state").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).startsWith("could not send to ELSEWHERE");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'failure'"
                + " AND detail LIKE 'import to ELSEWHERE %failed%'", Integer.class, linked.studyUid)).isEqualTo(1);
    }

    @Test
    void downloads_follow_the_viewing_rules_patient_yes_outsider_not_found_anonymous_unauthenticated()
            throws Exception {
        NationalId person = person();
        TestObjects.Spec linked = study("LOC-" + System.nanoTime(), "SITE-A", person);
        TestObjects.Spec unlinked = study("LOC-" + System.nanoTime(), "SITE-B", null);
        store(linked, unlinked);
        String patient = patientToken(person);
        String outsider = professionalToken("50005", "FINESS-990000005");
        for (String format : List.of("dicom", "jpeg")) {
            String path = "/viewer/downloads/studies/" + linked.studyUid + "/" + format + ".zip";
            assertThat(get(path, patient).statusCode()).as(format).isEqualTo(200);
            assertThat(get(path, null).statusCode()).isEqualTo(401);
            assertThat(get("/viewer/downloads/studies/" + unlinked.studyUid + "/" + format + ".zip", patient)
                    .statusCode()).as("not the patient's study").isEqualTo(404);
            assertThat(get("/viewer/downloads/studies/" + unlinked.studyUid + "/" + format + ".zip", outsider)
                    .statusCode()).isEqualTo(404);
        }
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'denied'",
                Integer.class, unlinked.studyUid)).isGreaterThanOrEqualTo(4);
    }

    @Test
    void in_chromium_people_sign_in_with_the_dev_form_download_import_switch_language_and_log_out()
            throws Exception {
        HttpResponse<String> options = get("/viewer/login-options", null);
        assertThat(JSON.readTree(options.body())).isEqualTo(JSON.readTree("{\"mode\":\"tokens\",\"devLogin\":true}"));
        NationalId person = person();
        TestObjects.Spec linked = study("LOC-" + System.nanoTime(), "SITE-A", person);
        TestObjects.Spec second = linked.sameSeries();
        second.instanceNumber = 2;
        store(linked, second);
        Path out = Files.createDirectories(Path.of("target", "viewer-browser-test", "login"));
        Path received = Files.createDirectories(work.resolve("pacs"));
        // a second per instance: the second import is still under way when the page cancels it
        Process pacs = Dcmtk.start(work.resolve("storescp.log"), "storescp", "--sleep-during", "1", "-aet", SITE_PACS,
                "+xa", "-od", received.toString(), Integer.toString(SITE_PACS_PORT));
        JsonNode r;
        try {
            Dcmtk.awaitListening(SITE_PACS_PORT);
            Process p = new ProcessBuilder("node", Path.of("..", "viewer-launcher", "src", "main", "frontend", "e2e",
                    "login-check.mjs").toString(), url(""), out.toString(), person.id(), linked.patientId,
                    linked.studyUid, "10009", SITE_ORG).redirectError(work.resolve("login.log").toFile()).start();
            byte[] stdout = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
            String text = new String(stdout, StandardCharsets.UTF_8).strip();
            assertThat(p.exitValue()).as(text + Files.readString(work.resolve("login.log"))).isZero();
            r = JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
        } finally {
            pacs.destroy();
        }
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();

        // nothing shown before signing in; the dev form, said to be for development, since dev tokens are on
        assertThat(r.get("contentHiddenBeforeLogin").asBoolean()).isTrue();
        assertThat(r.at("/loginPanel/devForm").asBoolean()).isTrue();
        assertThat(r.at("/loginPanel/oidc").asBoolean()).as("no OpenID Connect provider configured").isFalse();
        assertThat(r.at("/loginPanel/text").asText()).contains("Development sign-in");

        JsonNode patient = r.get("patient");
        assertThat(patient.get("state").asText()).isEqualTo("ready");
        assertThat(patient.get("signedIn").asText()).contains(person.id());
        assertThat(patient.get("rows").toString()).contains(linked.studyUid);
        assertThat(patient.at("/dicom/suggested").asText()).isEqualTo("study-20260115-dicom.zip");
        assertThat(patient.at("/jpeg/suggested").asText()).isEqualTo("study-20260115-jpeg.zip");
        List<String> media = Zips.unzip(
                Files.newInputStream(Path.of(patient.at("/dicom/path").asText())), work.resolve("patient-dicom"));
        assertThat(media).contains("DICOMDIR").filteredOn(e -> e.startsWith("DICOM/")).hasSize(2);
        List<String> jpegs = Zips.unzip(
                Files.newInputStream(Path.of(patient.at("/jpeg/path").asText())), work.resolve("patient-jpeg"));
        assertThat(jpegs).containsExactly("S001_CT/IMG0001.jpg", "S001_CT/IMG0002.jpg");
        assertThat(patient.at("/french/heading").asText()).isEqualTo("Mon imagerie");
        assertThat(patient.at("/french/logout").asText()).isEqualTo("Se déconnecter");
        assertThat(patient.at("/french/download").asText()).isEqualTo("Télécharger (DICOM)");
        assertThat(patient.at("/afterLogout/stored").asInt()).as("the token is gone").isZero();
        assertThat(patient.at("/afterLogout/heading").asText()).isEqualTo("Connexion");

        JsonNode pro = r.get("professional");
        assertThat(pro.get("state").asText()).isEqualTo("results");
        assertThat(pro.get("destinations").toString()).isEqualTo("[\"" + SITE_PACS + "\"]");
        assertThat(pro.get("buttons").toString()).contains("open-weasis", "open-web", "download-dicom",
                "download-jpeg", "import-study");
        assertThat(pro.at("/dicom/size").asLong()).isGreaterThan(1000);
        assertThat(pro.at("/import/state").asText()).as(pro.toString()).isEqualTo("completed");
        assertThat(pro.at("/import/text").asText()).contains("2/2");
        assertThat(pro.get("cancelHiddenWhenIdle").asBoolean()).isTrue();
        assertThat(pro.at("/cancel/state").asText()).as(pro.toString()).isEqualTo("cancelled");
        assertThat(pro.at("/cancel/text").asText()).matches("Import cancelled [01]/2");
        assertThat(pro.at("/cancel/buttonHidden").asBoolean()).isTrue();
        try (Stream<Path> files = Files.list(received)) {
            assertThat(files.count()).as("the cancelled import's instances overwrote the first's").isEqualTo(2);
        }
        assertThat(jdbc.queryForObject("SELECT count(*) FROM pacs_import WHERE study_uid = ? AND state = 'cancelled'",
                Integer.class, linked.studyUid)).isEqualTo(1);
        // access tokens travel in headers and form bodies only, never in an address (the only credentials in
        // one are the patient API's thumbnail links, each bound to its one thumbnail)
        for (JsonNode u : r.get("requests")) {
            assertThat(u.asText()).doesNotContain("access_token", "eyJ");
            if (u.asText().contains("token=")) {
                assertThat(u.asText()).matches(".*/dicomweb/studies/[0-9.]+/thumbnail\\?token=th\\.[^&]*");
            }
        }
    }

    /** Asks for an import of a study into a destination: accepted (202), with the job's location. */
    private HttpResponse<String> importStarted(String token, String studyUid, String destination) throws Exception {
        HttpResponse<String> started = send("POST", "/viewer/imports", token,
                map("studyInstanceUID", studyUid, "destination", destination));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return started;
    }

    private JsonNode awaitDone(String location, String authorization) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> rs = get(location, authorization);
            assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
            JsonNode j = JSON.readTree(rs.body());
            String state = j.get("state").asText();
            if (!List.of("queued", "sending", "cancelling").contains(state)) {
                return j;
            }
            assertThat(System.nanoTime()).as("import still " + state).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
