package org.imagingnode.bridge.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicomweb.Multipart;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.sharing.ManifestService;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.storage.BlobNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * IHE IOCM: a Key Object Selection "rejection note" (113001 Rejected for Quality Reasons, 113037, 113038, 113039),
 * sent by DCMTK's storescu or by STOW-RS, hides the instances it references from every way out of the node
 * (QIDO-RS, WADO-RS, metadata, WADO-URI, C-FIND and its counts, C-GET, C-MOVE, the viewer, the patient's list) while
 * their bytes are kept; the rejection is recorded and audited, a rejected instance sent again is refused, the note
 * itself is an instance like any other, and the study's manifest and index entry follow.
 */
class InstanceRejectionTest extends NodeIntegrationTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;
    @Autowired
    ManifestService manifests;
    @Autowired
    PatientSpace space;
    @Autowired
    OrphanBlobReconciler reconciler;
    @Autowired
    DataSource dataSource;

    private JdbcTemplate jdbc() {
        return new JdbcTemplate(dataSource);
    }

    /** A study of a patient linked to a national identity (so its manifest is published): series A (3), B (1). */
    private List<TestObjects.Spec> study(String nationalId) {
        TestObjects.Spec a1 = new TestObjects.Spec();
        a1.rows = 32;
        a1.columns = 32;
        a1.issuer = "SITE-R";
        a1.otherPatientIds.add(new String[] {nationalId, SpaceProperties.INS_NIR, null});
        TestObjects.Spec a2 = a1.sameSeries();
        TestObjects.Spec a3 = a2.sameSeries();
        TestObjects.Spec b1 = a1.sameStudy();
        b1.rows = 32;
        b1.columns = 32;
        b1.modality = "MR";
        b1.sopClassUid = TestObjects.MR_IMAGE;
        b1.seriesNumber = 2;
        return List.of(a1, a2, a3, b1);
    }

    private static String nationalId() {
        return "2" + (System.nanoTime() % 100_000_000_000_000L);
    }

    private Path file(TestObjects.Spec s) throws Exception {
        Path f = work.resolve(s.sopInstanceUid + ".dcm");
        return Files.exists(f) ? f : TestObjects.write(s, f);
    }

    /** storescu, debug output (so that the response's status and ErrorComment are printed). */
    private Dcmtk.Result storescu(List<Path> files) throws Exception {
        return Dcmtk.run(60, Dcmtk.args("storescu", "-d", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                files.stream().map(Path::toString).toList()).toArray(String[]::new));
    }

    private void store(List<TestObjects.Spec> specs) throws Exception {
        List<Path> files = new ArrayList<>();
        for (TestObjects.Spec s : specs) {
            files.add(file(s));
        }
        Dcmtk.Result r = storescu(files);
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    private Path note(TestObjects.Spec study, String code, String meaning, List<TestObjects.Spec> rejected,
            String[] uid) throws Exception {
        Path f = work.resolve("note-" + System.nanoTime() + ".dcm");
        uid[0] = TestObjects.writeKeyObjectSelection(f, study, code, meaning, rejected);
        return f;
    }

    private HttpResponse<byte[]> get(String path, String accept) throws Exception {
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path));
        if (accept != null) {
            rq.header("Accept", accept);
        }
        return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode qido(String path) throws Exception {
        HttpResponse<byte[]> rs = get("/dicomweb" + path, "application/dicom+json");
        assertThat(rs.statusCode()).as(path).isEqualTo(200);
        return JSON.readTree(rs.body());
    }

    private static List<String> values(JsonNode rows, int tag) {
        List<String> out = new ArrayList<>();
        String key = String.format("%08X", tag);
        rows.forEach(r -> r.path(key).path("Value").forEach(v -> out.add(v.asText())));
        return out;
    }

    private HttpResponse<String> stow(List<Path> files) throws Exception {
        Object[] body = Multipart.dicomBody(files);
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/dicomweb/studies"))
                .header("Content-Type", (String) body[0]).header("Accept", "application/dicom+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray((byte[]) body[1])).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(until);
            Thread.sleep(100);
        }
    }

    private Integer indexedInstances(String studyUid) {
        List<Integer> n = jdbc().queryForList("SELECT number_of_instances FROM index_entry WHERE study_instance_uid = ?",
                Integer.class, studyUid);
        return n.isEmpty() ? null : n.get(0);
    }

    /** The SOP Instance UIDs the study's stored manifest references (evidence), or null when there is none. */
    private List<String> manifestReferences(String studyUid) throws Exception {
        String manifestUid = jdbc().queryForList("SELECT manifest_sop_instance_uid FROM index_entry"
                + " WHERE study_instance_uid = ?", String.class, studyUid).stream().findFirst().orElse(null);
        var stored = manifestUid == null ? null : index.findInstance(manifestUid).orElse(null);
        if (stored == null) {
            return null;
        }
        Path copy = work.resolve("manifest-" + System.nanoTime() + ".dcm");
        try (InputStream in = blobs.get(stored.blobKey())) {
            Files.copy(in, copy);
        } catch (BlobNotFoundException e) {
            return null; // the index still names the previous manifest, just removed by the rebuild that replaced it
        }
        List<String> refs = new ArrayList<>();
        for (DicomDataset evidence : TestObjects.read(copy).items(Tag.CurrentRequestedProcedureEvidenceSequence)) {
            for (DicomDataset series : evidence.items(Tag.ReferencedSeriesSequence)) {
                series.items(Tag.ReferencedSOPSequence).forEach(s -> refs.add(s.getString(Tag.ReferencedSOPInstanceUID)));
            }
        }
        return refs;
    }

    private List<String> received(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> uids = new ArrayList<>();
            for (Path p : files.toList()) {
                uids.add(TestObjects.read(p).getString(Tag.SOPInstanceUID));
            }
            return uids;
        }
    }

    /** The series of the study's rejection note (the one series left). */
    private String noteSeries(String studyUid) throws Exception {
        return values(qido("/studies/" + studyUid + "/series"), Tag.SeriesInstanceUID).get(0);
    }

    private List<DicomDataset> cfind(Map<Integer, String> keys) throws Exception {
        return Dcmtk.find(work, "-S", "FINDSCU", NODE_AE, dimsePort(), keys);
    }

    @Test
    void aRejectionNoteSentByStorescuHidesItsInstancesEverywhereKeepsTheirBytesAndRebuildsTheManifest()
            throws Exception {
        String nationalId = nationalId();
        List<TestObjects.Spec> specs = study(nationalId);
        TestObjects.Spec a1 = specs.get(0);
        TestObjects.Spec a2 = specs.get(1);
        TestObjects.Spec a3 = specs.get(2);
        TestObjects.Spec b1 = specs.get(3);
        String study = a1.studyUid;
        store(specs);
        String manifestUid = manifests.rebuild(study).orElseThrow().sopInstanceUid();
        eventually("the study is published with its 4 instances", () -> Integer.valueOf(4).equals(indexedInstances(study)));

        String[] noteUid = new String[1];
        Path noteFile = note(a1, "113001", "Rejected for Quality Reasons", List.of(a2, a3, b1), noteUid);
        Dcmtk.Result sent = storescu(List.of(noteFile));
        assertThat(sent.ok()).as(sent.output()).isTrue();
        List<String> rejected = List.of(a2.sopInstanceUid, a3.sopInstanceUid, b1.sopInstanceUid);
        // the manifest is rebuilt at once without them, and re-published: it says something else, so it is a new
        // object (a new SOP Instance UID) and the previous one is gone
        eventually("the manifest references the one instance left", () -> {
            try {
                return List.of(a1.sopInstanceUid).equals(manifestReferences(study));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String rebuiltUid = jdbc().queryForObject("SELECT manifest_sop_instance_uid FROM index_entry"
                + " WHERE study_instance_uid = ?", String.class, study);
        assertThat(rebuiltUid).isNotEqualTo(manifestUid);
        assertThat(index.findInstance(manifestUid)).isEmpty();
        // left: a1, the note and the study's manifest (an instance too)
        List<String> visible = List.of(a1.sopInstanceUid, noteUid[0], rebuiltUid);

        // QIDO-RS: counts and modalities computed without them, series B gone, the note there like any instance
        JsonNode studyRow = qido("/studies?StudyInstanceUID=" + study
                + "&includefield=NumberOfStudyRelatedInstances,NumberOfStudyRelatedSeries,ModalitiesInStudy");
        assertThat(values(studyRow, 0x00201208)).containsExactly("3");
        assertThat(values(studyRow, 0x00201206)).containsExactly("3");
        assertThat(values(studyRow, Tag.ModalitiesInStudy)).containsExactly("CT", "KO");
        assertThat(values(qido("/studies/" + study + "/series"), Tag.SeriesInstanceUID)).doesNotContain(b1.seriesUid)
                .contains(a1.seriesUid).hasSize(3);
        assertThat(values(qido("/studies/" + study + "/instances"), Tag.SOPInstanceUID))
                .containsExactlyInAnyOrderElementsOf(visible);
        assertThat(values(qido("/instances?SOPInstanceUID=" + a2.sopInstanceUid), Tag.SOPInstanceUID)).isEmpty();

        // WADO-RS, metadata, WADO-URI
        HttpResponse<byte[]> all = get("/dicomweb/studies/" + study, "multipart/related; type=\"application/dicom\"");
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(Multipart.parse(all.body(), all.headers().firstValue("Content-Type").orElseThrow())).hasSize(3);
        assertThat(values(JSON.readTree(get("/dicomweb/studies/" + study + "/metadata", "application/dicom+json")
                .body()), Tag.SOPInstanceUID)).containsExactlyInAnyOrderElementsOf(visible);
        for (TestObjects.Spec r : List.of(a2, b1)) {
            String instance = "/dicomweb/studies/" + study + "/series/" + r.seriesUid + "/instances/" + r.sopInstanceUid;
            assertThat(get(instance, "multipart/related; type=\"application/dicom\"").statusCode()).isEqualTo(404);
            assertThat(get(instance + "/metadata", "application/dicom+json").statusCode()).isEqualTo(404);
            assertThat(get(instance + "/rendered", "image/jpeg").statusCode()).isEqualTo(404);
            assertThat(get("/wado?requestType=WADO&studyUID=" + study + "&seriesUID=" + r.seriesUid + "&objectUID="
                    + r.sopInstanceUid + "&contentType=application/dicom", null).statusCode()).isEqualTo(404);
        }
        assertThat(get("/dicomweb/studies/" + study + "/series/" + b1.seriesUid, "multipart/related; type=\"application/dicom\"")
                .statusCode()).isEqualTo(404);

        // C-FIND (instances and computed counts), C-GET, C-MOVE
        assertThat(cfind(Map.of(Tag.QueryRetrieveLevel, "IMAGE", Tag.StudyInstanceUID, study, Tag.SOPInstanceUID, ""))
                .stream().map(d -> d.getString(Tag.SOPInstanceUID)).toList()).containsExactlyInAnyOrderElementsOf(visible);
        assertThat(cfind(Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.StudyInstanceUID, study,
                0x00201208, "", Tag.ModalitiesInStudy, ""))).singleElement().satisfies(d -> {
                    assertThat(d.getString(0x00201208)).isEqualTo("3");
                    assertThat(d.getStrings(Tag.ModalitiesInStudy)).containsExactly("CT", "KO");
                });
        Path got = Files.createDirectories(work.resolve("get"));
        Dcmtk.Result get = Dcmtk.run(60, "getscu", "-S", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + study, "-k",
                "SeriesInstanceUID=" + a1.seriesUid, "-od", got.toString());
        assertThat(get.ok()).as(get.output()).isTrue();
        assertThat(received(got)).containsExactly(a1.sopInstanceUid);
        Path moved = Files.createDirectories(work.resolve("move"));
        Process storescp = Dcmtk.start(work.resolve("storescp.log"), "storescp", "-aet", "STORESCP", "-od",
                moved.toString(), Integer.toString(STORESCP_PORT));
        try {
            Dcmtk.awaitListening(STORESCP_PORT);
            Dcmtk.Result move = Dcmtk.run(60, "movescu", "-S", "-aet", "MOVESCU", "-aec", NODE_AE, "-aem", "STORESCP",
                    "127.0.0.1", dimsePort(), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study);
            assertThat(move.ok()).as(move.output()).isTrue();
        } finally {
            storescp.destroy();
            storescp.waitFor();
        }
        assertThat(received(moved)).containsExactlyInAnyOrderElementsOf(visible);

        // the viewer (Weasis manifest) and the patient's own list
        HttpResponse<byte[]> weasis = get("/viewer/weasis/studies/" + study + "/manifest.xml", null);
        assertThat(weasis.statusCode()).isEqualTo(200);
        String xml = new String(weasis.body(), StandardCharsets.UTF_8);
        assertThat(xml).contains(a1.sopInstanceUid);
        rejected.forEach(uid -> assertThat(xml).doesNotContain(uid));
        assertThat(space.studies(new NationalId(nationalId, SpaceProperties.INS_NIR))).singleElement().satisfies(s -> {
            assertThat(s.instances()).isEqualTo(3);
            assertThat(s.modalities()).containsExactly("CT", "KO");
        });

        // recorded (which note, which code, who, when) and audited; the bytes kept, also by reconciliation
        assertThat(jdbc().queryForList("SELECT r.sop_instance_uid || ' ' || n.sop_instance_uid || ' ' || n.code_value"
                + " || ' ' || n.actor || ' ' || n.channel FROM rejected_instance r JOIN rejection_note n ON n.pk = r.note_fk"
                + " WHERE r.study_instance_uid = ? AND r.rejected_at IS NOT NULL", String.class, study))
                .containsExactlyInAnyOrderElementsOf(rejected.stream()
                        .map(uid -> uid + " " + noteUid[0] + " 113001 STORESCU DIMSE").toList());
        assertThat(jdbc().queryForList("SELECT detail FROM audit_event WHERE action = 'reject' AND study_uid = ?"
                + " AND actor = 'STORESCU'", String.class, study)).singleElement().asString()
                .contains(noteUid[0], "113001", "3 rejected");
        Map<String, String> kept = index.rejectedBlobKeys(rejected);
        assertThat(kept).hasSize(3);
        reconciler.reconcile(Instant.now().plusSeconds(3600));
        for (String key : kept.values()) {
            assertThat(blobs.stat(key).isPresent()).as(key).isTrue();
        }

        eventually("the index entry counts one instance", () -> Integer.valueOf(1).equals(indexedInstances(study)));

        // a rejected instance sent again stays rejected: refused with A771 and a reason, still hidden; the note sent
        // again changes nothing
        Dcmtk.Result again = storescu(List.of(file(a2)));
        assertThat(again.output()).contains("0xa771: Refused", "previously rejected, not stored (113001");
        assertThat(index.findInstance(a2.sopInstanceUid)).isEmpty();
        assertThat(jdbc().queryForList("SELECT detail FROM audit_event WHERE action = 'store-refused' AND study_uid = ?",
                String.class, study)).singleElement().asString().contains(a2.sopInstanceUid, noteUid[0]);
        assertThat(index.rejectedBlobKeys(List.of(a2.sopInstanceUid))).isEqualTo(Map.of(a2.sopInstanceUid,
                kept.get(a2.sopInstanceUid)));
        assertThat(blobs.stat(kept.get(a2.sopInstanceUid)).isPresent()).isTrue();
        assertThat(storescu(List.of(noteFile)).ok()).isTrue();
        assertThat(values(qido("/studies/" + study + "/instances"), Tag.SOPInstanceUID))
                .containsExactlyInAnyOrderElementsOf(visible);
    }

    @Test
    void aStudyWhoseInstancesAreAllRejectedByStowIsWithdrawnFromTheIndexAndARejectedInstanceStowedAgainIsRefused()
            throws Exception {
        String nationalId = nationalId();
        List<TestObjects.Spec> specs = study(nationalId).subList(0, 2);
        String study = specs.get(0).studyUid;
        // another study of the same patient, untouched
        TestObjects.Spec kept = specs.get(0).sameStudy();
        kept.studyUid = TestObjects.uid();
        kept.rows = 16;
        kept.columns = 16;
        store(specs);
        store(List.of(kept));
        manifests.rebuild(study);
        NationalId patient = new NationalId(nationalId, SpaceProperties.INS_NIR);
        assertThat(space.studies(patient)).extracting(PatientSpace.StudySummary::studyInstanceUid).contains(study);
        eventually("the study is published", () -> Integer.valueOf(2).equals(indexedInstances(study)));

        String[] noteUid = new String[1];
        HttpResponse<String> rs = stow(List.of(note(specs.get(0), "113038", "Incorrect Modality Worklist Entry",
                specs, noteUid)));
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);

        eventually("the study is withdrawn from the index", () -> indexedInstances(study) == null
                && jdbc().queryForObject("SELECT count(*) FROM index_outbox WHERE study_instance_uid = ?", Integer.class,
                        study) == 0);
        assertThat(values(qido("/studies/" + study + "/instances"), Tag.SOPInstanceUID))
                .as("the manifest is removed, the note stays").containsExactly(noteUid[0]);
        assertThat(get("/dicomweb/studies/" + study + "/series/" + noteSeries(study) + "/instances/" + noteUid[0],
                "application/dicom").statusCode()).as("the note is still retrieved by its UIDs").isEqualTo(200);
        assertThat(space.studies(patient)).as("nothing of it left for the patient's list")
                .extracting(PatientSpace.StudySummary::studyInstanceUid).containsExactly(kept.studyUid);
        // no longer a study of the patient's: neither listed nor counted, by QIDO-RS or C-FIND
        String pid = specs.get(0).patientId;
        assertThat(values(qido("/studies?StudyInstanceUID=" + study), Tag.StudyInstanceUID)).isEmpty();
        JsonNode listed = qido("/studies?PatientID=" + pid + "&includefield=NumberOfPatientRelatedStudies"
                + "&includefield=NumberOfPatientRelatedInstances");
        assertThat(values(listed, Tag.StudyInstanceUID)).containsExactly(kept.studyUid);
        assertThat(values(listed, Tag.NumberOfPatientRelatedStudies)).containsExactly("1");
        assertThat(values(listed, Tag.NumberOfPatientRelatedInstances)).containsExactly("1");
        assertThat(cfind(Map.of(Tag.QueryRetrieveLevel, "STUDY", Tag.StudyInstanceUID, study))).isEmpty();
        assertThat(Dcmtk.find(work, "-P", "FINDSCU", NODE_AE, dimsePort(), Map.of(Tag.QueryRetrieveLevel, "PATIENT",
                Tag.PatientID, pid, Tag.NumberOfPatientRelatedStudies, ""))).singleElement()
                .satisfies(p -> assertThat(p.getInt(Tag.NumberOfPatientRelatedStudies)).isEqualTo(1));
        assertThat(manifests.rebuild(study)).as("nothing left to share").isEmpty();
        assertThat(index.studiesChangedSinceDerived(InstanceIndex.OWN_SOURCE_PREFIX + "manifest", Instant.now().plusSeconds(3600), 100_000))
                .as("not rebuilt over and over").doesNotContain(study);
        assertThat(jdbc().queryForList("SELECT channel FROM rejection_note WHERE sop_instance_uid = ?", String.class,
                noteUid[0])).containsExactly("STOW-RS");

        HttpResponse<String> again = stow(List.of(file(specs.get(1))));
        assertThat(again.statusCode()).isEqualTo(409);
        JsonNode failed = JSON.readTree(again.body()).path("00081198").path("Value").get(0);
        assertThat(failed.path("00081197").path("Value").get(0).asInt()).isEqualTo(0xA771);
        assertThat(index.findInstance(specs.get(1).sopInstanceUid)).isEmpty();
    }

    @Test
    void aNoteBeyondItsOwnStudyIsRefusedAnInstanceRejectedBeforeItArrivesIsRefusedAndOtherKeyObjectsRejectNothing()
            throws Exception {
        List<TestObjects.Spec> specs = study(nationalId());
        store(specs.subList(0, 2));
        TestObjects.Spec elsewhere = new TestObjects.Spec();
        store(List.of(elsewhere));
        String[] uid = new String[1];

        Dcmtk.Result beyond = storescu(List.of(note(specs.get(0), "113037", "Rejected for Patient Safety Reasons",
                List.of(specs.get(1), elsewhere), uid)));
        assertThat(beyond.output()).contains("0xa900: Error", "a rejection note rejects only instances of its own");
        assertThat(index.findInstance(uid[0])).as("the note is not stored").isEmpty();
        assertThat(index.findInstance(elsewhere.sopInstanceUid)).isPresent();
        assertThat(index.findInstance(specs.get(1).sopInstanceUid)).isPresent();

        Dcmtk.Result ofInterest = storescu(List.of(note(specs.get(0), "113000", "Of Interest", List.of(specs.get(1)),
                uid)));
        assertThat(ofInterest.ok()).as(ofInterest.output()).isTrue();
        assertThat(index.findInstance(uid[0])).isPresent();
        assertThat(index.findInstance(specs.get(1).sopInstanceUid)).isPresent();

        TestObjects.Spec notYetHere = specs.get(2);
        Dcmtk.Result early = storescu(List.of(note(specs.get(0), "113039", "Data Retention Policy Expired",
                List.of(notYetHere), uid)));
        assertThat(early.ok()).as(early.output()).isTrue();
        assertThat(jdbc().queryForList("SELECT detail FROM audit_event WHERE action = 'reject' AND detail LIKE ?",
                String.class, "%" + uid[0] + "%")).singleElement().asString().contains("1 not received");
        Dcmtk.Result late = storescu(List.of(file(notYetHere)));
        assertThat(late.output()).contains("0xa771", "previously rejected, not stored (113039");
        assertThat(index.findInstance(notYetHere.sopInstanceUid)).isEmpty();
        assertThat(index.rejectedBlobKeys(List.of(notYetHere.sopInstanceUid))).as("nothing of it was kept").isEmpty();
        assertThat(values(qido("/studies/" + notYetHere.studyUid + "/instances?SOPInstanceUID="
                + URLEncoder.encode(notYetHere.sopInstanceUid, StandardCharsets.UTF_8)), Tag.SOPInstanceUID)).isEmpty();
    }
}
