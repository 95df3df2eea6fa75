package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Ingest links the local patient of each stored object to the national identity its data set names
 * (OtherPatientIDsSequence), so that studies from several sites land in one patient space. Objects are
 * sent by DCMTK's storescu to the running node.
 */
class IdentityLinkingIngestTest extends NodeIntegrationTest {
    static final String INS = SpaceProperties.INS_NIR;

    @Autowired
    PatientSpace space;

    private void store(TestObjects.Spec... specs) throws Exception {
        Path dir = Files.createTempDirectory("linking");
        List<String> cmd = new ArrayList<>(Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort()));
        for (TestObjects.Spec s : specs) {
            cmd.add(TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".dcm")).toString());
        }
        Dcmtk.Result r = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    @Test
    void studies_of_two_sites_naming_the_same_ins_end_up_in_one_space() throws Exception {
        NationalId ins = new NationalId("2" + System.nanoTime(), INS);
        TestObjects.Spec siteA = new TestObjects.Spec();
        siteA.issuer = "SITE-A";
        siteA.otherPatientIds.add(new String[] {ins.id(), INS, null});
        TestObjects.Spec siteB = new TestObjects.Spec();
        siteB.issuer = "SITE-B";
        siteB.otherPatientIds.add(new String[] {ins.id(), "INS-NIR", INS});
        TestObjects.Spec unrelated = new TestObjects.Spec();
        store(siteA, siteA.sameSeries(), siteB, unrelated);

        assertThat(space.identityOf(siteA.patientId, "SITE-A")).contains(ins);
        assertThat(space.identityOf(siteB.patientId, "SITE-B")).contains(ins);
        assertThat(space.identityOf(unrelated.patientId, unrelated.issuer)).isEmpty();
        assertThat(space.studies(ins)).extracting(PatientSpace.StudySummary::studyInstanceUid)
                .containsExactlyInAnyOrder(siteA.studyUid, siteB.studyUid);
        assertThat(space.studies(ins)).filteredOn(s -> s.studyInstanceUid().equals(siteA.studyUid)).singleElement()
                .satisfies(s -> assertThat(s.instances()).isEqualTo(2));
    }

    @Test
    void without_tokens_mode_there_is_no_dev_token_issuer_and_no_patient_api() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String[] call : new String[][] {{"POST", "/dev/tokens"}, {"GET", "/api/patient/studies"},
                {"POST", "/api/break-glass"}}) {
            HttpResponse<String> rs = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + call[1])).header("Content-Type", "application/json")
                    .method(call[0], HttpRequest.BodyPublishers.ofString("{\"subject\":\"x\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(rs.statusCode()).as(call[1]).isEqualTo(404);
            assertThat(rs.body()).doesNotContain("eyJ"); // no JWT handed out
        }
    }

    @Test
    void a_study_without_issuer_of_patient_id_is_stored_but_left_for_reconciliation() throws Exception {
        NationalId ins = new NationalId("1" + System.nanoTime(), INS);
        TestObjects.Spec bare = new TestObjects.Spec();
        bare.issuer = null;
        bare.otherPatientIds.add(new String[] {ins.id(), INS, null});
        store(bare);
        assertThat(space.identityOf(bare.patientId, "")).isEmpty();
        assertThat(space.unlinkedStudies(1000)).filteredOn(u -> u.studyInstanceUid().equals(bare.studyUid))
                .singleElement().satisfies(u -> assertThat(u.claimedIdentities()).containsExactly(ins.cx()));
    }
}
