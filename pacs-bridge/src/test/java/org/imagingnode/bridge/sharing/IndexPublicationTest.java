package org.imagingnode.bridge.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.sharing.nodeauth.NodeSigningKey;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenIssuer;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.bridge.testing.Dcmtk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Publication of a study from a source node to a second node playing patient-space index, over real HTTP on
 * loopback, each node with its own database and blob store: the index is down at first (the publication waits in
 * the source's outbox, retried with back-off, through a restart of the source), then up (delivered); then the
 * index answers who may see what under the patient's rules, and refuses nodes that are not who they say.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IndexPublicationTest {
    static final String INS = SpaceProperties.INS_NIR;
    static Path root;
    static Path sourceKey;
    static Path indexKey;
    static Path unlocatedKey;
    static int indexPort;
    static SharingNode source;
    static SharingNode index;
    static final NationalId PATIENT = new NationalId("1" + (System.nanoTime() % 100_000_000_000_000L), INS);
    static String studyUid;
    static String manifestUid;

    @BeforeAll
    static void keys() throws Exception {
        root = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "two-nodes");
        sourceKey = root.resolve("source.jwk");
        indexKey = root.resolve("index.jwk");
        Files.writeString(root.resolve("source-public.json"), NodeSigningKey.generatedIn(sourceKey).publicKeys().toString());
        Files.writeString(root.resolve("index-public.json"), NodeSigningKey.generatedIn(indexKey).publicKeys().toString());
        unlocatedKey = root.resolve("unlocated.jwk");
        Files.writeString(root.resolve("unlocated-public.json"),
                NodeSigningKey.generatedIn(unlocatedKey).publicKeys().toString());
        indexPort = Dcmtk.freePort();
    }

    @AfterAll
    static void stop() {
        for (SharingNode n : new SharingNode[] {source, index}) {
            if (n != null) {
                n.close();
            }
        }
    }

    static SharingNode sourceNode() {
        return new SharingNode("SOURCE", root.resolve("source"), Map.of(
                "node.security.mode", "open-dev",
                "node.sharing.auth.node-id", "source-node",
                "node.sharing.auth.signing-key-file", sourceKey.toString(),
                "node.sharing.retrieve-url", "http://127.0.0.1:1/dicomweb",
                "node.sharing.index-url", "http://127.0.0.1:" + indexPort,
                "node.sharing.index-node-id", "index-node",
                "node.sharing.publication.retry-initial", "200ms",
                "node.sharing.publication.retry-max", "1s",
                "node.sharing.publication.poll-interval", "200ms"));
    }

    @Test
    @Order(1)
    void a_publication_waits_while_the_index_is_down_and_survives_a_restart_of_the_source() throws Exception {
        source = sourceNode().start();
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientId = "LOCAL-" + PATIENT.id();
        s.issuer = "SITE-A";
        s.rows = 16;
        s.columns = 16;
        s.modality = "CT";
        s.studyDate = "20240115";
        s.studyDescription = "CT THORAX";
        s.otherPatientIds.add(new String[] {PATIENT.id(), INS, null});
        studyUid = s.studyUid;
        source.store(List.of(s, s.sameSeries()));
        manifestUid = source.bean(ManifestService.class).rebuild(studyUid).orElseThrow().sopInstanceUid();

        IndexPublisher publisher = source.bean(IndexPublisher.class);
        assertThat(publisher.backlog()).isEqualTo(1);
        assertThat(List.of(1, 2, 3, 4, 30).stream().map(publisher::backOff).map(Duration::toMillis))
                .containsExactly(200L, 400L, 800L, 1000L, 1000L); // doubled after each failure, up to retry-max
        await("a few failed attempts", () -> attempts() >= 3);
        HttpResponse<String> metrics = source.send("GET", "/actuator/prometheus", Map.of(), null);
        assertThat(metrics.body()).contains("sharing_index_outbox_backlog 1.0");

        source.close();
        source = sourceNode().start(); // same database: the publication is still owed
        assertThat(source.bean(IndexPublisher.class).backlog()).isEqualTo(1);
    }

    @Test
    @Order(2)
    void once_the_index_is_up_the_entry_is_delivered_and_the_backlog_empties() throws Exception {
        index = new SharingNode("INDEX", root.resolve("index"), Map.of(
                "server.port", Integer.toString(indexPort),
                "node.security.mode", "tokens",
                "node.auth.dev-issuer.enabled", "true",
                "node.sharing.auth.node-id", "index-node",
                "node.sharing.auth.signing-key-file", indexKey.toString(),
                "node.sharing.auth.trusted-nodes.source-node.public-key-file", root.resolve("source-public.json").toString(),
                "node.sharing.auth.trusted-nodes.source-node.dicomweb-url", "http://127.0.0.1:1/dicomweb",
                // trusted, but with no DICOMweb base configured here
                "node.sharing.auth.trusted-nodes.unlocated-node.public-key-file",
                root.resolve("unlocated-public.json").toString()))
                .start();
        IndexPublisher publisher = source.bean(IndexPublisher.class);
        await("delivery", () -> publisher.backlog() == 0);

        JsonNode entries = entries(professional("810000000001"));
        assertThat(entries).hasSize(1);
        JsonNode e = entries.get(0);
        assertThat(e.get("patient").get("id").asText()).isEqualTo(PATIENT.id());
        assertThat(e.get("patient").get("issuer").asText()).isEqualTo(INS);
        assertThat(e.get("studyInstanceUid").asText()).isEqualTo(studyUid);
        assertThat(e.get("sourceNode").asText()).isEqualTo("source-node");
        assertThat(e.get("manifestSopInstanceUid").asText()).isEqualTo(manifestUid);
        assertThat(e.get("retrieveUrl").asText()).isEqualTo("http://127.0.0.1:1/dicomweb");
        assertThat(e.get("retrieveAeTitle").asText()).isEqualTo("SOURCE");
        assertThat(e.get("studyDate").asText()).isEqualTo("20240115");
        assertThat(e.get("modalities").toString()).isEqualTo("[\"CT\"]");
        assertThat(e.get("studyDescription").asText()).isEqualTo("CT THORAX");
        assertThat(e.get("numberOfInstances").asInt()).isEqualTo(2);
        assertThat(Instant.parse(e.get("updatedAt").asText())).isBefore(Instant.now());
    }

    @Test
    @Order(3)
    void the_index_applies_the_patients_rules_and_audits_every_query() throws Exception {
        String pro = professional("810000000002");
        String blocked = professional("810000000003");
        PatientSpace space = index.bean(PatientSpace.class);
        space.block(PATIENT, "810000000003");
        assertThat(entries(pro)).hasSize(1);
        assertThat(entries(blocked)).isEmpty();
        // the patient themself, and no other patient
        String patient = index.devToken(Map.of("subject", "p", "patientId", PATIENT.id(), "patientIdIssuer", INS));
        String other = index.devToken(Map.of("subject", "o", "patientId", "299999999999999", "patientIdIssuer", INS));
        assertThat(entries(patient)).hasSize(1);
        assertThat(entries(other)).isEmpty();
        // a hidden study disappears for professionals, not for the patient
        space.hide(PATIENT, studyUid);
        assertThat(entries(pro)).isEmpty();
        assertThat(entries(patient)).hasSize(1);
        space.unhide(PATIENT, studyUid);
        // a node acting for a professional forwards the professional's token with its own node token
        NodeTokenIssuer sourceTokens = source.bean(NodeTokenIssuer.class);
        HttpResponse<String> viaNode = index.send("GET", studiesPath(), Map.of("Authorization", pro,
                "X-Node-Authorization", sourceTokens.authorizationFor("index-node")), null);
        assertThat(viaNode.statusCode()).isEqualTo(200);
        assertThat(SharingNode.JSON.readTree(viaNode.body())).hasSize(1);
        HttpResponse<String> badNode = index.send("GET", studiesPath(), Map.of("Authorization", pro,
                "X-Node-Authorization", "Bearer forged"), null);
        assertThat(badNode.statusCode()).isEqualTo(401);
        assertThat(index.send("GET", studiesPath(), Map.of(), null).statusCode()).isEqualTo(401);
        assertThat(index.send("GET", "/index/v1/patients/" + INS + "/bad%5Eid/studies", Map.of("Authorization", pro),
                null).statusCode()).isEqualTo(400);

        List<Map<String, Object>> audit = new JdbcTemplate(index.bean(DataSource.class))
                .queryForList("SELECT actor, channel, outcome, detail"
                + " FROM audit_event WHERE patient_id = ? AND action = 'query' ORDER BY id", PATIENT.cx());
        assertThat(audit).extracting(r -> r.get("actor")).contains("810000000002", "810000000003");
        assertThat(audit).extracting(r -> r.get("channel")).contains("index", "remote");
        assertThat(audit).extracting(r -> String.valueOf(r.get("detail"))).anyMatch(d -> d.contains("for node source-node"));
    }

    @Test
    @Order(4)
    void only_a_trusted_node_publishes_and_only_its_own_studies() throws Exception {
        String path = "/index/v1/studies/source-node/" + studyUid;
        String entry = entry("source-node", studyUid, "http://127.0.0.1:1/dicomweb");
        Map<String, String> json = Map.of("Content-Type", "application/json");
        assertThat(index.send("PUT", path, json, entry).statusCode()).isEqualTo(401);
        // a node not trusted by the index
        Path strangerKey = root.resolve("stranger.jwk");
        NodeTokenIssuer stranger = new NodeTokenIssuer("source-node", NodeSigningKey.generatedIn(strangerKey),
                Duration.ofMinutes(1), Clock.systemUTC());
        assertThat(index.send("PUT", path, with(json, stranger.authorizationFor("index-node")), entry).statusCode())
                .isEqualTo(401);
        // the index node itself is trusted, but may not publish another node's study
        String self = index.bean(NodeTokenIssuer.class).authorizationFor("index-node");
        assertThat(index.send("PUT", path, with(json, self), entry).statusCode()).isEqualTo(403);
        assertThat(index.send("DELETE", path, Map.of("Authorization", self), null).statusCode()).isEqualTo(403);
        // the source node: an older entry never overwrites a newer one; malformed entries are refused
        String sourceToken = source.bean(NodeTokenIssuer.class).authorizationFor("index-node");
        assertThat(index.send("PUT", path, with(json, sourceToken), entry).statusCode()).isEqualTo(204);
        assertThat(entries(professional("810000000004")).get(0).get("numberOfInstances").asInt()).isEqualTo(2);
        assertThat(index.send("PUT", path, with(json, sourceToken), entry.replace("\"1.2.3\"", "\"x\"")).statusCode())
                .isEqualTo(400);
        assertThat(index.send("PUT", path, with(json, sourceToken), "{not json").statusCode()).isEqualTo(400);
        // withdrawn
        assertThat(index.send("DELETE", path, Map.of("Authorization", sourceToken), null).statusCode()).isEqualTo(204);
        assertThat(entries(professional("810000000004"))).isEmpty();
    }

    @Test
    @Order(4)
    void an_entry_dated_ahead_of_the_index_clock_does_not_lock_out_the_later_publications_of_its_source()
            throws Exception {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        String sourceToken = source.bean(NodeTokenIssuer.class).authorizationFor("index-node");
        String pro = professional("810000000007");
        String study = TestObjects.uid();
        String path = "/index/v1/studies/source-node/" + study;
        String entry = entry("source-node", study, "http://127.0.0.1:1/dicomweb");

        // a source whose clock ran far ahead once: its date is taken as at most 5 minutes ahead of the index's
        String farAhead = entry.replace("2001-01-01T00:00:00Z", "9999-12-31T00:00:00Z");
        assertThat(index.send("PUT", path, with(json, sourceToken), farAhead).statusCode()).isEqualTo(204);
        assertThat(Instant.parse(entryOf(pro, study).get("updatedAt").asText()))
                .isBefore(Instant.now().plus(Duration.ofMinutes(6)));
        // its next publication, its clock still a little ahead, is taken rather than ignored as older
        String next = entry.replace("2001-01-01T00:00:00Z", Instant.now().plus(Duration.ofMinutes(10)).toString())
                .replace("\"numberOfInstances\":9", "\"numberOfInstances\":10");
        assertThat(index.send("PUT", path, with(json, sourceToken), next).statusCode()).isEqualTo(204);
        assertThat(entryOf(pro, study).get("numberOfInstances").asInt()).isEqualTo(10);
        assertThat(index.send("DELETE", path, Map.of("Authorization", sourceToken), null).statusCode()).isEqualTo(204);
    }

    private static JsonNode entryOf(String authorization, String study) throws Exception {
        for (JsonNode e : entries(authorization)) {
            if (study.equals(e.get("studyInstanceUid").asText())) {
                return e;
            }
        }
        throw new AssertionError("no entry of study " + study);
    }

    @Test
    @Order(5)
    void the_index_refuses_an_entry_naming_another_address_than_the_dicomweb_configured_for_its_node()
            throws Exception {
        Map<String, String> json = Map.of("Content-Type", "application/json");
        String sourceToken = source.bean(NodeTokenIssuer.class).authorizationFor("index-node");
        String pro = professional("810000000006");
        String study = TestObjects.uid();
        String path = "/index/v1/studies/source-node/" + study;

        // the source node, signed with its own key, naming an address the index does not know as its own
        HttpResponse<String> foreign = index.send("PUT", path, with(json, sourceToken),
                entry("source-node", study, "https://elsewhere.test/dicomweb"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.body()).contains("https://elsewhere.test/dicomweb", "http://127.0.0.1:1/dicomweb",
                "node.sharing.auth.trusted-nodes.source-node.dicomweb-url");
        assertThat(entries(pro).toString()).doesNotContain(study);
        // same host, another port or path: refused too
        for (String near : List.of("http://127.0.0.1:2/dicomweb", "http://127.0.0.1:1/dicomweb/other")) {
            assertThat(index.send("PUT", path, with(json, sourceToken), entry("source-node", study, near))
                    .statusCode()).as(near).isEqualTo(403);
        }
        assertThat(entries(pro).toString()).doesNotContain(study);

        // a trusted node for which the index has no DICOMweb base publishes nothing (deny by default)
        String unlocated = new NodeTokenIssuer("unlocated-node", NodeSigningKey.read(unlocatedKey),
                Duration.ofMinutes(1), Clock.systemUTC()).authorizationFor("index-node");
        HttpResponse<String> unconfigured = index.send("PUT", "/index/v1/studies/unlocated-node/" + study,
                with(json, unlocated), entry("unlocated-node", study, "http://127.0.0.1:1/dicomweb"));
        assertThat(unconfigured.statusCode()).isEqualTo(403);
        assertThat(unconfigured.body()).contains("no DICOMweb base is configured for node unlocated-node",
                "node.sharing.auth.trusted-nodes.unlocated-node.dicomweb-url");
        assertThat(entries(pro).toString()).doesNotContain(study);

        // each refusal is a security alert in the index's audit, naming the node, the patient and the address
        List<Map<String, Object>> alerts = new JdbcTemplate(index.bean(DataSource.class))
                .queryForList("SELECT actor, actor_role, channel, outcome,"
                + " patient_id, detail FROM audit_event WHERE action = 'untrusted-source' AND study_uid = ? ORDER BY id",
                study);
        assertThat(alerts).hasSize(4).allSatisfy(a -> {
            assertThat(a.get("channel")).isEqualTo("index");
            assertThat(a.get("outcome")).isEqualTo("denied");
            assertThat(a.get("patient_id")).isEqualTo(PATIENT.cx());
        });
        assertThat(alerts).extracting(a -> a.get("actor")).containsExactly("source-node", "source-node", "source-node",
                "unlocated-node");
        assertThat(alerts.get(0).get("detail").toString()).contains("https://elsewhere.test/dicomweb",
                "node.sharing.auth.trusted-nodes.source-node.dicomweb-url");

        // the configured base, compared as the consumers compare it (here: a trailing slash aside), is accepted
        String same = "http://127.0.0.1:1/dicomweb/";
        assertThat(index.send("PUT", path, with(json, sourceToken), entry("source-node", study, same))
                .statusCode()).isEqualTo(204);
        assertThat(entries(pro).toString()).contains(study);
        assertThat(index.send("DELETE", path, Map.of("Authorization", sourceToken), null).statusCode()).isEqualTo(204);
    }

    @Test
    @Order(6)
    void only_a_professional_may_declare_a_report_validated() throws Exception {
        String path = "/api/sharing/studies/" + studyUid + "/report-validated";
        assertThat(index.send("POST", path, Map.of(), null).statusCode()).isEqualTo(401);
        String patient = index.devToken(Map.of("subject", "p", "patientId", PATIENT.id(), "patientIdIssuer", INS));
        assertThat(index.send("POST", path, Map.of("Authorization", patient), null).statusCode()).isEqualTo(403);
        // a professional, for a study this node does not hold: as if it did not exist
        assertThat(index.send("POST", path, Map.of("Authorization", professional("810000000005")), null).statusCode())
                .isEqualTo(404);
    }

    /** An index entry of the patient, as JSON. */
    static String entry(String node, String study, String retrieveUrl) {
        return "{\"patient\":{\"id\":\"" + PATIENT.id() + "\",\"issuer\":\"" + INS + "\"},\"studyInstanceUid\":\""
                + study + "\",\"sourceNode\":\"" + node + "\",\"manifestSopInstanceUid\":\"1.2.3\",\"retrieveUrl\":\""
                + retrieveUrl + "\",\"numberOfInstances\":9,\"updatedAt\":\"2001-01-01T00:00:00Z\"}";
    }

    static Map<String, String> with(Map<String, String> headers, String authorization) {
        Map<String, String> m = new HashMap<>(headers);
        m.put("Authorization", authorization);
        return m;
    }

    static String studiesPath() {
        return "/index/v1/patients/" + INS + "/" + PATIENT.id() + "/studies";
    }

    static String professional(String rpps) throws Exception {
        return index.devToken(Map.of("subject", "pro-" + rpps, "professionalId", rpps, "profession", "radiologist"));
    }

    static JsonNode entries(String authorization) throws Exception {
        HttpResponse<String> rs = index.send("GET", studiesPath(), Map.of("Authorization", authorization), null);
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        return SharingNode.JSON.readTree(rs.body());
    }

    static int attempts() {
        Integer n = new JdbcTemplate(source.bean(DataSource.class))
                .queryForObject("SELECT coalesce(max(attempts), 0) FROM index_outbox", Integer.class);
        return n == null ? 0 : n;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
