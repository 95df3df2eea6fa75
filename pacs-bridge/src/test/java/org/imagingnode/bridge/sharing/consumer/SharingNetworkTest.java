package org.imagingnode.bridge.sharing.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;

import org.imagingnode.bridge.NodeApplication;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dimse.DimseServer;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.index.PatientIndex;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenIssuer;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.Zips;
import org.imagingnode.bridge.viewer.Weasis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Two nodes on loopback, each with its own embedded PostgreSQL, blob store, DIMSE and HTTP ports, node signing
 * key, trusting the same professional token issuer (as every DRIM-M node trusts the national identity provider):
 * node A receives a study from a modality (DCMTK storescu) and publishes it to the patient-space index, which node
 * B plays. A professional at B's site, with a real signed token, finds the study by querying B, views it in full
 * through B, has it moved by movescu into a storescp playing B's PACS (filed there under B's own patient of that
 * person: import reconciliation), imported there from the portal, downloaded (DICOM media, JPEG) and fetched by
 * getscu. The patient hides the
 * study on A: it disappears from B. A stops: B says so clearly. A third node C, started for one test, uses B's index
 * and moves A's studies into its PACS as A holds them (identity reconciliation off).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the last test stops node A
class SharingNetworkTest {
    private static final String INS = SpaceProperties.INS_NIR;
    private static final String ISSUER = "https://idp.test";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path work;
    private static RSAKey idp;
    private static Node a;
    private static Node b;
    private static int pacsPort;
    /** Every node of the network by id, with its HTTP port (node C starts only in the test that needs it). */
    private static final Map<String, Integer> HTTP_PORTS = new LinkedHashMap<>();
    private static List<String> common;

    /** One running node. */
    record Node(String id, int httpPort, ConfigurableApplicationContext context) {
        String url(String path) {
            return "http://127.0.0.1:" + httpPort + path;
        }

        int dimsePort() {
            return context.getBean(DimseServer.class).port();
        }

        JdbcTemplate jdbc() {
            return new JdbcTemplate(context.getBean(DataSource.class));
        }

        String aeTitle() {
            return context.getEnvironment().getProperty("node.ae-title");
        }
    }

    @BeforeAll
    static void startNetwork() throws Exception {
        work = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "sharing-network");
        idp = new RSAKeyGenerator(2048).keyID("idp-1").generate();
        Path idpKeys = Files.writeString(work.resolve("idp.jwks"), new JWKSet(idp.toPublicJWK()).toString());
        for (String id : List.of("NODE-A", "NODE-B", "NODE-C")) {
            nodeKey(id);
            HTTP_PORTS.put(id, Dcmtk.freePort());
        }
        int httpA = HTTP_PORTS.get("NODE-A");
        int httpB = HTTP_PORTS.get("NODE-B");
        pacsPort = Dcmtk.freePort();
        common = List.of("--node.security.mode=tokens", "--node.auth.issuer=" + ISSUER,
                "--node.auth.public-key-file=" + idpKeys, "--server.address=127.0.0.1", "--node.dimse.port=0",
                "--node.dimse.bind-address=127.0.0.1", "--node.sharing.consumer.retries=1",
                "--node.sharing.consumer.retry-delay=50ms", "--node.sharing.consumer.failures-to-open=2",
                "--node.sharing.consumer.authorization-memory=0s");
        a = start("NODE-A", List.of("--node.ae-title=NODEA",
                "--node.dimse.calling-aes=STORESCU=store", "--node.space.organisation=FINESS-A",
                "--node.sharing.retrieve-url=http://127.0.0.1:" + httpA + "/dicomweb",
                "--node.sharing.index-url=http://127.0.0.1:" + httpB, "--node.sharing.index-node-id=NODE-B",
                "--node.sharing.manifest.quiet-period=1s", "--node.sharing.manifest.poll-interval=500ms",
                "--node.sharing.publication.poll-interval=500ms", "--node.sharing.publication.retry-initial=500ms"));
        b = start("NODE-B", List.of("--node.ae-title=NODEB",
                "--node.dimse.calling-aes=MOVESCU=retrieve|query, GETSCU=retrieve, STORESCU=store",
                "--node.dimse.move-destinations=PACS=127.0.0.1:" + pacsPort, "--node.space.organisation=FINESS-B",
                "--node.pacs-import.destinations=PACS=organisation:FINESS-B",
                "--node.sharing.retrieve-url=http://127.0.0.1:" + httpB + "/dicomweb",
                "--node.sharing.manifest.enabled=false"));
    }

    private static void nodeKey(String id) throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.ES256).generate();
        Files.writeString(work.resolve(id + ".jwk"), key.toJSONString());
        Files.writeString(work.resolve(id + ".public.jwks"), new JWKSet(key.toPublicJWK()).toString());
    }

    /**
     * A node trusting the others: their node tokens, and their DICOMweb as the only address of their studies.
     */
    private static Node start(String id, List<String> specific) throws IOException {
        List<String> args = new ArrayList<>(common);
        args.addAll(specific);
        args.add("--server.port=" + HTTP_PORTS.get(id));
        args.add("--node.data-dir=" + Files.createDirectories(work.resolve(id)));
        args.add("--node.sharing.auth.node-id=" + id);
        args.add("--node.sharing.auth.signing-key-file=" + work.resolve(id + ".jwk"));
        HTTP_PORTS.forEach((other, port) -> {
            if (!other.equals(id)) {
                args.add("--node.sharing.auth.trusted-nodes." + other + ".public-key-file="
                        + work.resolve(other + ".public.jwks"));
                args.add("--node.sharing.auth.trusted-nodes." + other + ".dicomweb-url=http://127.0.0.1:" + port
                        + "/dicomweb");
            }
        });
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(NodeApplication.class)
                .run(args.toArray(String[]::new));
        return new Node(id, HTTP_PORTS.get(id), ctx);
    }

    @AfterAll
    static void stopNetwork() {
        for (Node n : new Node[] {a, b}) {
            if (n != null && n.context().isActive()) {
                n.context().close();
            }
        }
    }

    /** A token of the identity provider both nodes trust, signed with its key. */
    private static String token(Map<String, Object> claims) throws Exception {
        JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(ISSUER).audience("imaging-node")
                .subject("user-" + UUID.randomUUID()).jwtID(UUID.randomUUID().toString())
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1))));
        claims.forEach(c::claim);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .keyID(idp.getKeyID()).build(), c.build());
        jwt.sign(new RSASSASigner(idp));
        return "Bearer " + jwt.serialize();
    }

    private static HttpResponse<byte[]> get(Node n, String path, String authorization, String accept)
            throws Exception {
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(n.url(path))).timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            rq.header("Authorization", authorization);
        }
        if (accept != null) {
            rq.header("Accept", accept);
        }
        return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> getUrl(String url, String authorization) throws Exception {
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            rq.header("Authorization", authorization);
        }
        return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> rs) {
        return new String(rs.body(), StandardCharsets.UTF_8);
    }

    private static List<String> studyUids(HttpResponse<byte[]> qido) throws IOException {
        assertThat(qido.statusCode()).as(text(qido)).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode n : JSON.readTree(qido.body())) {
            out.add(n.path("0020000D").path("Value").path(0).asText());
        }
        return out;
    }

    /** The pixel data of a Part 10 object (little endian), by its SHA-256, or null when it has none. */
    private static String pixelData(byte[] part10) throws Exception {
        AttributeList list = new AttributeList();
        try (var in = new DicomInputStream(new ByteArrayInputStream(part10))) {
            list.read(in);
        }
        return list.get(TagFromName.PixelData) == null ? null : sha(list.get(TagFromName.PixelData).getByteValues(false));
    }

    private static String pixelData(Path file) throws Exception {
        return pixelData(Files.readAllBytes(file));
    }

    private static String sha(byte[] b) {
        return HexFormat.of().formatHex(Checksums.sha256().digest(b));
    }

    /** The parts of a multipart/related answer. */
    private static List<byte[]> parts(HttpResponse<byte[]> rs) {
        String type = rs.headers().firstValue("Content-Type").orElseThrow();
        String boundary = type.replaceAll(".*boundary=\"?([^\";]+)\"?.*", "$1");
        byte[] body = rs.body();
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<byte[]> out = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
            int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1), headersEnd);
            if (headersEnd < 0 || next < 0) {
                break;
            }
            out.add(Arrays.copyOfRange(body, headersEnd + 4, next));
            at = next + 2;
            if (body.length > at + delimiter.length + 1 && body[at + delimiter.length] == '-') {
                break;
            }
        }
        return out;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(from, 0); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void waitUntil(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    /** A national identifier no other test uses. */
    private static String newIns() {
        return Long.toString(100_000_000_000_000L + (System.nanoTime() % 899_999_999_999_999L));
    }

    /** A two-image study of a new patient (known by a national identity) sent by a modality to node A. */
    private static TestObjects.Spec[] storeAtA(String name) throws Exception {
        return storeAtA(name, newIns());
    }

    /** A two-image study of that patient (known by a national identity) sent by a modality to node A. */
    private static TestObjects.Spec[] storeAtA(String name, String ins) throws Exception {
        return storeAtA(name, ins, false);
    }

    /** The same, its two images in one series or in two (a CT one and an MR one). */
    private static TestObjects.Spec[] storeAtA(String name, String ins, boolean twoSeries) throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        first.patientId = "A-" + ins.substring(ins.length() - 9); // the leading digits of two new ids are alike
        first.issuer = "SITE-A";
        first.rows = 64;
        first.columns = 64;
        first.otherPatientIds.add(new String[] {ins, INS, null});
        TestObjects.Spec second = twoSeries ? first.sameStudy() : first.sameSeries();
        if (twoSeries) {
            second.rows = 32;
            second.columns = 32;
            second.modality = "MR";
            second.sopClassUid = TestObjects.MR_IMAGE;
        }
        Path sent = Files.createDirectories(work.resolve(name));
        Dcmtk.Result stored = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", "NODEA", "127.0.0.1",
                Integer.toString(a.dimsePort()), TestObjects.write(first, sent.resolve("1.dcm")).toString(),
                TestObjects.write(second, sent.resolve("2.dcm")).toString());
        assertThat(stored.ok()).as(stored.output()).isTrue();
        return new TestObjects.Spec[] {first, second};
    }

    /** A rejection note (113001, by storescu) sent to node A, rejecting one image of the study stored under {@code name}. */
    private static void rejectAtA(String name, TestObjects.Spec image) throws Exception {
        Path note = work.resolve(name + "/note-" + System.nanoTime() + ".dcm");
        TestObjects.writeKeyObjectSelection(note, image, "113001", "Rejected for Quality Reasons", List.of(image));
        Dcmtk.Result rejected = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", "NODEA", "127.0.0.1",
                Integer.toString(a.dimsePort()), note.toString());
        assertThat(rejected.ok()).as(rejected.output()).isTrue();
    }

    private static String insOf(TestObjects.Spec s) {
        return s.otherPatientIds.get(0)[0];
    }

    /** The pixel data of the images among these Part 10 objects (A's manifest, once built, has none). */
    private static List<String> images(List<byte[]> objects) throws Exception {
        List<String> pixels = new ArrayList<>();
        for (byte[] o : objects) {
            String p = pixelData(o);
            if (p != null) {
                pixels.add(p);
            }
        }
        return pixels;
    }

    @Test
    @Order(1)
    void aProfessionalAtNodeBOpensAStudyHeldByNodeAInWeasisAndTheWebViewerThroughB() throws Exception {
        TestObjects.Spec[] study = storeAtA("viewed");
        String uid = study[0].studyUid;
        String ins = insOf(study[0]);
        String pro = token(Map.of("professional_id", "RPPS-30003", "profession", "cardiologist",
                "organisation", "FINESS-B"));
        String blocked = token(Map.of("professional_id", "RPPS-40004", "profession", "cardiologist",
                "organisation", "FINESS-B"));
        String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
        String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null)).contains(uid));
        List<String> images = List.of(pixelData(work.resolve("viewed/1.dcm")), pixelData(work.resolve("viewed/2.dcm")));

        // the Weasis launch from B points at B's DICOMweb, with a viewer token of B's that A never sees
        HttpResponse<byte[]> launched = get(b, "/viewer/weasis/studies/" + uid, pro, null);
        assertThat(launched.statusCode()).as(text(launched)).isEqualTo(200);
        JsonNode launch = JSON.readTree(launched.body());
        Map<String, String> cmd = Weasis.options(URI.create(launch.get("weasisUri").asText()), "$dicom:rs");
        assertThat(cmd.get("--url")).isEqualTo(b.url("/dicomweb"));
        String viewer = cmd.get("-H").substring("Authorization: ".length());
        // followed as Weasis does: the study, its series, the instances, all through B
        HttpResponse<byte[]> found = getUrl(Weasis.firstQuery(cmd.get("--url"), cmd.get("-r")), viewer);
        assertThat(studyUids(found)).containsExactly(uid);
        HttpResponse<byte[]> series = get(b, "/dicomweb/studies/" + uid + "/series", viewer, null);
        assertThat(series.statusCode()).as(text(series)).isEqualTo(200);
        assertThat(text(series)).contains(study[0].seriesUid).doesNotContain("127.0.0.1:" + a.httpPort());
        HttpResponse<byte[]> wado = get(b, "/dicomweb/studies/" + uid, viewer,
                "multipart/related; type=\"application/dicom\"");
        assertThat(wado.statusCode()).as(text(wado)).isEqualTo(200);
        assertThat(images(parts(wado))).containsExactlyInAnyOrderElementsOf(images);
        // the token opens that study only: nothing else of the patient is listed with it
        assertThat(studyUids(get(b, byIns + "&StudyInstanceUID=" + study[0].seriesUid, viewer, null))).isEmpty();

        // the XML manifest of the launch (older Weasis): fetched without headers, its WADO-URI objects through B
        HttpResponse<byte[]> xml = getUrl(Weasis.options(URI.create(launch.get("manifestWeasisUri").asText()),
                "$dicom:get").get("-w"), null);
        assertThat(xml.statusCode()).as(text(xml)).isEqualTo(200);
        Weasis.Manifest manifest = Weasis.manifest(text(xml));
        assertThat(manifest.wadoUrl()).isEqualTo(b.url("/wado"));
        assertThat(manifest.objects()).extracting(Weasis.ManifestObject::sopInstanceUid)
                .contains(study[0].sopInstanceUid, study[1].sopInstanceUid);
        List<byte[]> objects = new ArrayList<>();
        for (Weasis.ManifestObject o : manifest.objects()) {
            HttpResponse<byte[]> object = getUrl(o.url(), manifest.headers().get("Authorization"));
            assertThat(object.statusCode()).as(o.url()).isEqualTo(200);
            objects.add(object.body());
        }
        assertThat(images(objects)).containsExactlyInAnyOrderElementsOf(images);

        // the web viewer's launch: its token (in the URL fragment) loads the study and its frames through B
        HttpResponse<byte[]> web = get(b, "/viewer/web/studies/" + uid, pro, null);
        assertThat(web.statusCode()).as(text(web)).isEqualTo(200);
        String webToken = "Bearer " + JSON.readTree(web.body()).get("viewerUrl").asText().replaceAll(".*#token=", "");
        assertThat(studyUids(get(b, "/dicomweb/studies?StudyInstanceUID=" + uid, webToken, null))).containsExactly(uid);
        HttpResponse<byte[]> frame = get(b, "/dicomweb/studies/" + uid + "/series/" + study[1].seriesUid
                + "/instances/" + study[1].sopInstanceUid + "/frames/1", webToken, null);
        assertThat(frame.statusCode()).as(text(frame)).isEqualTo(200);
        assertThat(sha(parts(frame).get(0))).isEqualTo(images.get(1));

        // A decided each of those requests as the professional, not as a token of B's
        assertThat(a.jdbc().queryForObject("SELECT count(*) FROM audit_event WHERE channel = 'remote'"
                + " AND actor = 'RPPS-30003' AND study_uid = ? AND outcome = 'success'", Integer.class, uid))
                .isGreaterThan(3);

        // a professional the patient blocked on A gets no launch from B, and a launch of before stops working
        HttpResponse<byte[]> before = get(b, "/viewer/weasis/studies/" + uid, blocked, null);
        assertThat(before.statusCode()).as(text(before)).isEqualTo(200);
        String blockedViewer = Weasis.options(URI.create(JSON.readTree(before.body()).get("weasisUri").asText()),
                "$dicom:rs").get("-H").substring("Authorization: ".length());
        HttpRequest block = HttpRequest.newBuilder(URI.create(a.url("/api/patient/blocked-professionals/RPPS-40004")))
                .header("Authorization", patient).PUT(HttpRequest.BodyPublishers.noBody()).build();
        assertThat(HTTP.send(block, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
        assertThat(get(b, "/viewer/weasis/studies/" + uid, blocked, null).statusCode()).isEqualTo(404);
        assertThat(get(b, "/viewer/weasis/studies/" + uid + "/manifest.xml", blocked, null).statusCode())
                .isEqualTo(404);
        assertThat(get(b, "/viewer/web/studies/" + uid, blocked, null).statusCode()).isEqualTo(404);
        assertThat(get(b, "/dicomweb/studies/" + uid + "/series/" + study[1].seriesUid + "/instances/"
                + study[1].sopInstanceUid + "/frames/1", blockedViewer, null).statusCode()).isEqualTo(404);
        assertThat(studyUids(getUrl(Weasis.firstQuery(b.url("/dicomweb"), "studyUID=" + uid), blockedViewer)))
                .isEmpty();
        // the other professional's launch still works
        assertThat(get(b, "/dicomweb/studies/" + uid + "/series/" + study[1].seriesUid + "/instances/"
                + study[1].sopInstanceUid + "/frames/1", viewer, null).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void limitAndOffsetPageOverTheLocalAndTheRemoteStudiesAlike() throws Exception {
        String ins = newIns();
        List<String> remote = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            remote.add(storeAtA("paged-" + i, ins)[0].studyUid);
        }
        // two studies B holds itself, of the patient known there by the national identity
        List<String> local = new ArrayList<>();
        Path dir = Files.createDirectories(work.resolve("paged-local"));
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            TestObjects.Spec s = new TestObjects.Spec();
            s.patientId = ins;
            s.issuer = INS;
            local.add(s.studyUid);
            files.add(TestObjects.write(s, dir.resolve(i + ".dcm")).toString());
        }
        List<String> storescu = new ArrayList<>(List.of("storescu", "-aet", "STORESCU", "-aec", "NODEB", "127.0.0.1",
                Integer.toString(b.dimsePort())));
        storescu.addAll(files);
        Dcmtk.Result stored = Dcmtk.run(60, storescu.toArray(String[]::new));
        assertThat(stored.ok()).as(stored.output()).isTrue();
        String pro = token(Map.of("professional_id", "RPPS-50005", "profession", "radiologist",
                "organisation", "FINESS-B"));
        String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;
        waitUntil("the three studies of A to be listed at node B",
                () -> studyUids(get(b, byIns, pro, null)).containsAll(remote));
        assertThat(studyUids(get(b, byIns, pro, null))).containsExactlyInAnyOrderElementsOf(
                Stream.concat(local.stream(), remote.stream()).toList());

        // pages of two: the local studies first, then the remote ones, each once, and "more" until the last page
        List<String> paged = new ArrayList<>();
        for (int offset = 0; offset < 6; offset += 2) {
            HttpResponse<byte[]> page = get(b, byIns + "&limit=2&offset=" + offset, pro, null);
            List<String> uids = studyUids(page);
            assertThat(uids).as("offset " + offset).hasSize(offset < 4 ? 2 : 1);
            assertThat(page.headers().allValues("Warning")).as("offset " + offset)
                    .filteredOn(w -> w.contains("more matches")).hasSize(offset < 4 ? 1 : 0);
            paged.addAll(uids);
        }
        assertThat(paged.subList(0, 2)).containsExactlyInAnyOrderElementsOf(local);
        assertThat(paged.subList(2, 5)).containsExactlyElementsOf(remote.stream().sorted().toList());
        // past the local studies, with a page that starts among the remote ones
        assertThat(studyUids(get(b, byIns + "&limit=10&offset=3", pro, null)))
                .containsExactlyElementsOf(remote.stream().sorted().toList().subList(1, 3));
    }

    @Test
    @Order(3)
    void instancesRejectedAtNodeAAreNoLongerServedNorKeptByNodeBAndAStudyWithNothingLeftIsNoLongerListed()
            throws Exception {
        TestObjects.Spec[] study = storeAtA("rejected");
        String uid = study[0].studyUid;
        String ins = insOf(study[0]);
        String pro = token(Map.of("professional_id", "RPPS-60006", "profession", "radiologist",
                "organisation", "FINESS-B"));
        String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
        String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;
        String all = "multipart/related; type=\"application/dicom\"";
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null)).contains(uid));
        List<String> images = List.of(pixelData(work.resolve("rejected/1.dcm")), pixelData(work.resolve("rejected/2.dcm")));
        assertThat(images(parts(get(b, "/dicomweb/studies/" + uid, pro, all)))).containsExactlyInAnyOrderElementsOf(images);
        InstanceCache cache = b.context().getBean(InstanceCache.class);
        assertThat(cache.get(cachedFromA(study[1]))).isPresent();

        // the second image is rejected at A (IOCM note by storescu): B neither serves it nor keeps it
        rejectAtA("rejected", study[1]);
        assertThat(images(parts(get(b, "/dicomweb/studies/" + uid, pro, all)))).containsExactly(images.get(0));
        assertThat(cache.get(cachedFromA(study[1]))).isEmpty();
        assertThat(cache.get(cachedFromA(study[0]))).isPresent();
        assertThat(get(b, "/dicomweb/studies/" + uid + "/series/" + study[1].seriesUid + "/instances/"
                + study[1].sopInstanceUid, pro, all).statusCode()).isEqualTo(404);

        // the first one too: nothing but rejection notes is left, A withdraws the study; no one lists it any more
        rejectAtA("rejected", study[0]);
        waitUntil("the study to leave node B's list", () -> !studyUids(get(b, byIns, pro, null)).contains(uid));
        for (Node n : new Node[] {a, b}) {
            HttpResponse<byte[]> mine = get(n, "/api/patient/studies", patient, null);
            assertThat(mine.statusCode()).as(text(mine)).isEqualTo(200);
            assertThat(JSON.readTree(mine.body())).as("the patient's list at " + n.id())
                    .noneSatisfy(m -> assertThat(m.path("studyInstanceUID").asText()).isEqualTo(uid));
            // nor by QIDO-RS, the patient's own or a professional's, at A (which keeps the rejection notes) or B
            assertThat(studyUids(get(n, "/dicomweb/studies", patient, null))).as("the patient's QIDO at " + n.id())
                    .doesNotContain(uid);
            assertThat(studyUids(get(n, byIns, patient, null))).as("the patient's QIDO at " + n.id())
                    .doesNotContain(uid);
            assertThat(studyUids(get(n, byIns, pro, null))).as("a professional's QIDO at " + n.id())
                    .doesNotContain(uid);
        }
        assertThat(get(b, "/dicomweb/studies/" + uid + "/series/" + study[0].seriesUid + "/instances/"
                + study[0].sopInstanceUid, pro, all).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void instancesRejectedAtNodeALeaveNodeBsCacheOnceTheIndexSaysSoWithoutTheStudyBeingOpenedAgain() throws Exception {
        TestObjects.Spec[] study = storeAtA("relearnt");
        String uid = study[0].studyUid;
        String pro = token(Map.of("professional_id", "RPPS-90009", "profession", "radiologist",
                "organisation", "FINESS-B"));
        String byIns = "/dicomweb/studies?PatientID=" + insOf(study[0]) + "&IssuerOfPatientID=" + INS;
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null)).contains(uid));
        HttpResponse<byte[]> viewed = get(b, "/dicomweb/studies/" + uid, pro, "multipart/related; type=\"application/dicom\"");
        assertThat(viewed.statusCode()).as(text(viewed)).isEqualTo(200);
        InstanceCache cache = b.context().getBean(InstanceCache.class);
        assertThat(cache.get(cachedFromA(study[0]))).isPresent();
        assertThat(cache.get(cachedFromA(study[1]))).isPresent();

        // the second image is rejected at A, which republishes the study's index entry: the next search of the
        // patient's studies at B (the study itself not opened) drops it from B's cache
        rejectAtA("relearnt", study[1]);
        waitUntil("B to drop the rejected instance from its cache after a search", () -> {
            assertThat(studyUids(get(b, byIns, pro, null))).contains(uid);
            return cache.get(cachedFromA(study[1])).isEmpty();
        });
        assertThat(cache.get(cachedFromA(study[0]))).as("the image still shared").isPresent();

        // the first one too: A withdraws the study, and B's next search drops the rest
        rejectAtA("relearnt", study[0]);
        waitUntil("B to empty its cache of the withdrawn study after a search", () -> {
            assertThat(studyUids(get(b, byIns, pro, null))).doesNotContain(uid);
            return cache.get(cachedFromA(study[0])).isEmpty();
        });
        assertThat(cache.holdsStudy(uid)).isFalse();
    }

    @Test
    @Order(5)
    void anIndexEntryNamingAnotherAddressThanTheSourceNodesDicomWebIsRefusedByTheIndexAndNotFollowedByAConsumer() throws Exception {
        try (ForeignServer elsewhere = new ForeignServer()) {
            TestObjects.Spec[] held = storeAtA("trusted");
            String ins = insOf(held[0]);
            String pro = token(Map.of("professional_id", "RPPS-70007", "profession", "radiologist",
                    "organisation", "FINESS-B"));
            String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
            String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;
            waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null))
                    .contains(held[0].studyUid));

            // an entry of node A (signed with A's node token, as a wrong or hostile publication would be) naming an
            // address that is not A's DICOMweb: B, as index, refuses it and names A's configured base
            String foreign = elsewhere.dicomWebUrl();
            String elsewhereStudy = TestObjects.uid();
            IndexEntry entry = new IndexEntry(new IndexEntry.Patient(ins, INS), elsewhereStudy, "NODE-A",
                    TestObjects.uid(), foreign, "NODEA", "20240301", List.of("CT"), "CT", 1, Instant.now());
            HttpRequest publish = HttpRequest.newBuilder(URI.create(b.url("/index/v1/studies/NODE-A/" + elsewhereStudy)))
                    .header("Authorization", a.context().getBean(NodeTokenIssuer.class).authorizationFor("NODE-B"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(JSON.copy().findAndRegisterModules()
                            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                            .writeValueAsString(entry))).build();
            HttpResponse<String> refused = HTTP.send(publish, HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains(foreign, a.url("/dicomweb"));
            String indexPath = "/index/v1/patients/" + INS + "/" + ins + "/studies";
            assertThat(text(get(b, indexPath, pro, null))).contains(held[0].studyUid).doesNotContain(elsewhereStudy);

            // an index that does not check (another implementation) would hold it: B, as consumer, still refuses it
            b.context().getBean(PatientIndex.class).publish(entry, "NODE-A", null);
            assertThat(text(get(b, indexPath, pro, null))).contains(elsewhereStudy, foreign);

            // B lists, and opens, the study at A's own address only
            assertThat(studyUids(get(b, byIns, pro, null))).contains(held[0].studyUid).doesNotContain(elsewhereStudy);
            HttpResponse<byte[]> mine = get(b, "/api/patient/studies", patient, null);
            assertThat(mine.statusCode()).as(text(mine)).isEqualTo(200);
            assertThat(text(mine)).contains(held[0].studyUid).doesNotContain(elsewhereStudy);
            assertThat(get(b, "/dicomweb/studies/" + held[0].studyUid + "/series", pro, null).statusCode())
                    .isEqualTo(200);
            // nor is it followed when B remembered it before (the setting added or changed since)
            b.context().getBean(RemoteStudyRegistry.class).remember(entry);
            assertThat(get(b, "/dicomweb/studies/" + elsewhereStudy + "/metadata", pro, null).statusCode())
                    .isEqualTo(404);
            assertThat(get(b, "/viewer/weasis/studies/" + elsewhereStudy, pro, null).statusCode()).isEqualTo(404);
            assertThat(elsewhere.received()).as("requests received by the other address").isEmpty();

            // refused each time, audited at B as a security alert naming the address and the setting
            assertThat(b.jdbc().queryForList("SELECT actor || ' ' || outcome || ' ' || detail FROM audit_event"
                    + " WHERE action = 'untrusted-source' AND study_uid = ?", String.class, elsewhereStudy))
                    .hasSizeGreaterThanOrEqualTo(5)
                    .allSatisfy(d -> assertThat(d).contains(foreign, "denied",
                            "node.sharing.auth.trusted-nodes.NODE-A.dicomweb-url"))
                    .anySatisfy(d -> assertThat(d).startsWith("NODE-A denied index entry refused"))
                    .anySatisfy(d -> assertThat(d).startsWith("RPPS-70007 "))
                    .anySatisfy(d -> assertThat(d).startsWith(ins + "^^^&" + INS + "&ISO "));
        }
    }

    @Test
    @Order(6)
    void aProfessionalAtNodeBOpensOneSeriesOfAStudyHeldByNodeAAndItsTokenReachesThatSeriesOnly() throws Exception {
        TestObjects.Spec[] study = storeAtA("series-launch", newIns(), true);
        TestObjects.Spec shown = study[0];
        TestObjects.Spec other = study[1];
        String uid = shown.studyUid;
        String pro = token(Map.of("professional_id", "RPPS-80008", "profession", "radiologist",
                "organisation", "FINESS-B"));
        String byIns = "/dicomweb/studies?PatientID=" + insOf(shown) + "&IssuerOfPatientID=" + INS;
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null)).contains(uid));
        String image = pixelData(work.resolve("series-launch/1.dcm"));
        String otherImage = pixelData(work.resolve("series-launch/2.dcm"));
        String all = "multipart/related; type=\"application/dicom\"";

        // Weasis, as it follows a series launch from B: the series (by /series), its instances, all through B
        HttpResponse<byte[]> launched = get(b, "/viewer/weasis/studies/" + uid + "/series/" + shown.seriesUid, pro, null);
        assertThat(launched.statusCode()).as(text(launched)).isEqualTo(200);
        JsonNode launch = JSON.readTree(launched.body());
        Map<String, String> cmd = Weasis.options(URI.create(launch.get("weasisUri").asText()), "$dicom:rs");
        assertThat(cmd.get("--url")).isEqualTo(b.url("/dicomweb"));
        assertThat(cmd.get("-r")).isEqualTo("seriesUID=" + shown.seriesUid);
        String viewer = cmd.get("-H").substring("Authorization: ".length());
        HttpResponse<byte[]> found = getUrl(Weasis.firstQuery(cmd.get("--url"), cmd.get("-r")), viewer);
        assertThat(found.statusCode()).as(text(found)).isEqualTo(200);
        JsonNode seriesRows = JSON.readTree(found.body());
        assertThat(seriesRows).hasSize(1);
        assertThat(seriesRows.get(0).path("0020000E").path("Value").path(0).asText()).isEqualTo(shown.seriesUid);
        assertThat(seriesRows.get(0).path("0020000D").path("Value").path(0).asText()).isEqualTo(uid);
        assertThat(text(found)).doesNotContain("127.0.0.1:" + a.httpPort());
        HttpResponse<byte[]> instances = get(b, "/dicomweb/studies/" + uid + "/series/" + shown.seriesUid
                + "/instances", viewer, null);
        assertThat(instances.statusCode()).as(text(instances)).isEqualTo(200);
        assertThat(text(instances)).contains(shown.sopInstanceUid).doesNotContain(other.sopInstanceUid);
        HttpResponse<byte[]> wado = get(b, "/dicomweb/studies/" + uid + "/series/" + shown.seriesUid, viewer, all);
        assertThat(wado.statusCode()).as(text(wado)).isEqualTo(200);
        assertThat(images(parts(wado))).containsExactly(image);
        // the study's series and instances queries show that series only
        assertThat(text(get(b, "/dicomweb/studies/" + uid + "/series", viewer, null))).contains(shown.seriesUid)
                .doesNotContain(other.seriesUid);
        assertThat(text(get(b, "/dicomweb/studies/" + uid + "/instances", viewer, null))).contains(shown.sopInstanceUid)
                .doesNotContain(other.sopInstanceUid).doesNotContain(other.seriesUid);
        assertThat(text(getUrl(Weasis.firstQuery(b.url("/dicomweb"), "seriesUID=" + other.seriesUid), viewer)))
                .doesNotContain(other.seriesUid);
        // the other series, and the study as a whole, are out of its reach on every route
        String otherSeries = "/dicomweb/studies/" + uid + "/series/" + other.seriesUid;
        String otherInstance = otherSeries + "/instances/" + other.sopInstanceUid;
        for (String path : List.of(otherSeries, otherSeries + "/metadata", otherSeries + "/instances",
                otherSeries + "/thumbnail", otherInstance, otherInstance + "/metadata", otherInstance + "/frames/1",
                otherInstance + "/rendered", "/dicomweb/studies/" + uid, "/dicomweb/studies/" + uid + "/metadata",
                "/dicomweb/studies/" + uid + "/thumbnail", "/wado?requestType=WADO&contentType=application/dicom&studyUID=" + uid + "&objectUID="
                        + other.sopInstanceUid)) {
            HttpResponse<byte[]> refused = get(b, path, viewer, path.endsWith(uid) ? all : null);
            assertThat(refused.statusCode()).as(path).isEqualTo(404);
            assertThat(text(refused)).as(path).doesNotContain("\"Value\"").doesNotContain("DICM");
        }
        assertThat(get(b, "/dicomweb/studies/" + uid + "/series/" + shown.seriesUid + "/../" + other.seriesUid
                + "/metadata", viewer, null).statusCode()).as("refused at the edge").isEqualTo(400);
        // nor can it be traded for a launch of the study or of the other series
        assertThat(get(b, "/viewer/weasis/studies/" + uid + "/manifest.xml?token=" + viewer.substring(7), null, null)
                .statusCode()).isEqualTo(404);
        assertThat(get(b, "/viewer/weasis/studies/" + uid + "/series/" + other.seriesUid + "/manifest.xml?token="
                + viewer.substring(7), null, null).statusCode()).isEqualTo(404);

        // the XML manifest of the launch (older Weasis): that series' objects, fetched by WADO-URI through B
        HttpResponse<byte[]> xml = getUrl(Weasis.options(URI.create(launch.get("manifestWeasisUri").asText()),
                "$dicom:get").get("-w"), null);
        assertThat(xml.statusCode()).as(text(xml)).isEqualTo(200);
        Weasis.Manifest manifest = Weasis.manifest(text(xml));
        assertThat(manifest.objects()).extracting(Weasis.ManifestObject::sopInstanceUid)
                .containsExactly(shown.sopInstanceUid);
        HttpResponse<byte[]> object = getUrl(manifest.objects().get(0).url(), manifest.headers().get("Authorization"));
        assertThat(object.statusCode()).isEqualTo(200);
        assertThat(pixelData(object.body())).isEqualTo(image);

        // the web viewer's series launch: what its page asks with the token, through B
        HttpResponse<byte[]> web = get(b, "/viewer/web/studies/" + uid + "/series/" + shown.seriesUid, pro, null);
        assertThat(web.statusCode()).as(text(web)).isEqualTo(200);
        String viewerUrl = JSON.readTree(web.body()).get("viewerUrl").asText();
        assertThat(viewerUrl).startsWith(b.url("/viewer/?study=" + uid + "&series=" + shown.seriesUid + "#token="));
        String webToken = "Bearer " + viewerUrl.replaceAll(".*#token=", "");
        assertThat(studyUids(get(b, "/dicomweb/studies?StudyInstanceUID=" + uid
                + "&includefield=00081030&includefield=00080061&includefield=00201208", webToken, null)))
                .containsExactly(uid);
        // its study row describes what it reaches, that series only, as A answers for a series token of its own
        String counted = "&includefield=00080061&includefield=00080062&includefield=00201206&includefield=00201208"
                + "&includefield=00201200&includefield=00201202&includefield=00201204";
        String studyRow = "/dicomweb/studies?StudyInstanceUID=" + uid + counted;
        JsonNode remoteRow = JSON.readTree(get(b, studyRow, webToken, null).body()).get(0);
        assertThat(remoteRow.path("00201206").path("Value").toString()).isEqualTo("[1]");
        assertThat(remoteRow.path("00201208").path("Value").toString()).isEqualTo("[1]");
        assertThat(remoteRow.path("00080061").path("Value").toString()).isEqualTo("[\"CT\"]");
        assertThat(remoteRow.path("00080062").path("Value").toString()).isEqualTo("[\"" + TestObjects.CT_IMAGE + "\"]");
        HttpResponse<byte[]> localLaunch = get(a, "/viewer/web/studies/" + uid + "/series/" + shown.seriesUid, pro, null);
        assertThat(localLaunch.statusCode()).as(text(localLaunch)).isEqualTo(200);
        String localToken = "Bearer " + JSON.readTree(localLaunch.body()).get("viewerUrl").asText()
                .replaceAll(".*#token=", "");
        JsonNode localRow = JSON.readTree(get(a, studyRow, localToken, null).body()).get(0);
        for (String tag : List.of("00201206", "00201208", "00080061", "00080062", "00201200", "00201202", "00201204")) {
            assertThat(remoteRow.get(tag)).as(tag).isEqualTo(localRow.get(tag));
        }
        // so does its series row as Weasis asks for it: not the study's counts, nor the patient's record at A
        String seriesRow = "/dicomweb/series?StudyInstanceUID=" + uid + "&includefield=00201209" + counted;
        JsonNode remoteSeries = JSON.readTree(get(b, seriesRow, webToken, null).body()).get(0);
        JsonNode localSeries = JSON.readTree(get(a, seriesRow, localToken, null).body()).get(0);
        assertThat(List.of(localSeries.path("00201206"), localSeries.path("00201200"), localSeries.path("00201202")))
                .extracting(n -> n.path("Value").toString()).containsOnly("[1]");
        for (String tag : List.of("00201209", "00201206", "00201208", "00201200", "00201202", "00201204")) {
            assertThat(remoteSeries.get(tag)).as(tag).isEqualTo(localSeries.get(tag));
        }
        // the professional's own row counts the whole study (both series, and A's manifest once built)
        JsonNode wholeRow = JSON.readTree(get(b, byIns + "&StudyInstanceUID=" + uid + counted, pro, null).body()).get(0);
        assertThat(wholeRow.path("00201206").path("Value").path(0).asInt()).isGreaterThanOrEqualTo(2);
        assertThat(wholeRow.path("00080061").path("Value").toString()).contains("\"CT\"", "\"MR\"");
        HttpResponse<byte[]> listed = get(b, "/dicomweb/studies/" + uid + "/series?includefield=0008103E"
                + "&includefield=00200011&includefield=00201209", webToken, null);
        assertThat(JSON.readTree(listed.body())).singleElement().satisfies(se ->
                assertThat(se.path("0020000E").path("Value").path(0).asText()).isEqualTo(shown.seriesUid));
        HttpResponse<byte[]> metadata = get(b, "/dicomweb/studies/" + uid + "/series/" + shown.seriesUid
                + "/metadata", webToken, null);
        assertThat(metadata.statusCode()).as(text(metadata)).isEqualTo(200);
        assertThat(text(metadata)).contains(shown.sopInstanceUid).doesNotContain(other.sopInstanceUid);
        HttpResponse<byte[]> frame = get(b, "/dicomweb/studies/" + uid + "/series/" + shown.seriesUid
                + "/instances/" + shown.sopInstanceUid + "/frames/1", webToken, null);
        assertThat(frame.statusCode()).as(text(frame)).isEqualTo(200);
        assertThat(sha(parts(frame).get(0))).isEqualTo(image);
        assertThat(get(b, otherInstance + "/frames/1", webToken, null).statusCode()).isEqualTo(404);
        // the professional's own study launch still opens the other series
        String studyToken = Weasis.options(URI.create(JSON.readTree(get(b, "/viewer/weasis/studies/" + uid, pro, null)
                .body()).get("weasisUri").asText()), "$dicom:rs").get("-H").substring("Authorization: ".length());
        HttpResponse<byte[]> whole = get(b, otherSeries, studyToken, all);
        assertThat(whole.statusCode()).as(text(whole)).isEqualTo(200);
        assertThat(images(parts(whole))).containsExactly(otherImage);
    }

    /** Has node B move a study into a storescp playing its PACS (movescu); the files the PACS received. */
    private static List<Path> moveIntoPacs(String study, String dirName) throws Exception {
        return moveIntoPacs(b, study, dirName);
    }

    /** Has that node move a study into a storescp playing its PACS (movescu); the files the PACS received. */
    private static List<Path> moveIntoPacs(Node via, String study, String dirName) throws Exception {
        return moveIntoPacs(via, dirName, "QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + study);
    }

    /** Has that node move what the keys name into a storescp playing its PACS (movescu); the files received. */
    private static List<Path> moveIntoPacs(Node via, String dirName, String... keys) throws Exception {
        List<String> move = new ArrayList<>(List.of("movescu", "-v", "-S", "-aet", "MOVESCU", "-aec", via.aeTitle(),
                "-aem", "PACS", "127.0.0.1", Integer.toString(via.dimsePort())));
        for (String key : keys) {
            move.addAll(List.of("-k", key));
        }
        return receivedByPacs(dirName, () -> {
            Dcmtk.Result moved = Dcmtk.run(120, move.toArray(String[]::new));
            assertThat(moved.ok()).as(moved.output()).isTrue();
            return null;
        });
    }

    /** The SOP Instance UIDs of the images among the files (a study's manifest travels with the whole study). */
    private static List<String> imageUids(List<Path> files) throws Exception {
        List<String> uids = new ArrayList<>();
        for (Path f : files) {
            if (pixelData(f) != null) {
                uids.add(TestObjects.read(f).getString(Tag.SOPInstanceUID));
            }
        }
        return uids;
    }

    /** The files a storescp playing B's PACS (AE "PACS") received, bit-preserving, while {@code sending} ran. */
    private static List<Path> receivedByPacs(String dirName, Callable<Void> sending) throws Exception {
        Path pacs = Files.createDirectories(work.resolve(dirName));
        Process storescp = Dcmtk.start(work.resolve(dirName + "-storescp.log"), "storescp", "+B", "-aet", "PACS",
                "-od", pacs.toString(), Integer.toString(pacsPort));
        try {
            Dcmtk.awaitListening(pacsPort);
            sending.call();
            try (var files = Files.list(pacs)) {
                return files.toList();
            }
        } finally {
            storescp.destroy();
            storescp.waitFor();
        }
    }

    /**
     * The received object's patient identity, then its other ones (PatientID^IssuerOfPatientID each); the last
     * other one, when it is the source's, typed TEXT.
     */
    private static List<String> identities(Path received) throws Exception {
        DicomDataset ds = TestObjects.read(received);
        List<String> out = new ArrayList<>();
        out.add(ds.getString(Tag.PatientID) + "^" + ds.getString(Tag.IssuerOfPatientID));
        for (DicomDataset other : ds.items(Tag.OtherPatientIDsSequence)) {
            out.add(other.getString(Tag.PatientID) + "^" + other.getString(Tag.IssuerOfPatientID));
        }
        List<DicomDataset> others = ds.items(Tag.OtherPatientIDsSequence);
        if (others.size() > 1) {
            assertThat(others.get(others.size() - 1).getString(Tag.TypeOfPatientID)).isEqualTo("TEXT");
        }
        return out;
    }

    @Test
    @Order(7)
    void aStudyOfNodeAMovedIntoBsPacsIsFiledUnderBsOwnPatientOfThatPersonElseUnderTheNationalIdentity()
            throws Exception {
        // B knows the person as its local patient B-7 (one study of its own naming the national identity)
        String ins = newIns();
        TestObjects.Spec own = new TestObjects.Spec();
        own.patientId = "B-7-" + ins.substring(ins.length() - 9);
        own.issuer = "SITE-B";
        own.rows = 32;
        own.columns = 32;
        own.otherPatientIds.add(new String[] {ins, INS, null});
        Path ownFile = TestObjects.write(own, Files.createDirectories(work.resolve("own-at-b")).resolve("1.dcm"));
        Dcmtk.Result stored = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", "NODEB", "127.0.0.1",
                Integer.toString(b.dimsePort()), ownFile.toString());
        assertThat(stored.ok()).as(stored.output()).isTrue();
        waitUntil("B to link its patient to the person", () -> b.jdbc().queryForObject(
                "SELECT count(*) FROM patient_link WHERE local_patient_id = ?", Integer.class, own.patientId) == 1);
        // A holds a study of its patient A-..., the same person; and one of a person B does not know
        TestObjects.Spec[] held = storeAtA("reconciled", ins);
        TestObjects.Spec[] unknown = storeAtA("unknown-at-b");
        String pro = token(Map.of("professional_id", "RPPS-10007", "profession", "radiologist",
                "organisation", "FINESS-B"));
        for (TestObjects.Spec s : new TestObjects.Spec[] {held[0], unknown[0]}) {
            String byIns = "/dicomweb/studies?PatientID=" + insOf(s) + "&IssuerOfPatientID=" + INS;
            waitUntil("the study to be found at node B", () -> studyUids(get(b, byIns, pro, null)).contains(s.studyUid));
        }

        List<String> images = new ArrayList<>();
        for (Path p : moveIntoPacs(held[0].studyUid, "pacs-reconciled")) {
            assertThat(identities(p)).as("filed under B's patient, A's and the national ids kept").containsExactly(
                    own.patientId + "^SITE-B", ins + "^" + INS, held[0].patientId + "^SITE-A");
            String image = pixelData(p);
            if (image != null) {
                images.add(image);
            }
        }
        assertThat(images).containsExactlyInAnyOrder(pixelData(work.resolve("reconciled/1.dcm")),
                pixelData(work.resolve("reconciled/2.dcm")));

        images.clear();
        for (Path p : moveIntoPacs(unknown[0].studyUid, "pacs-national")) {
            assertThat(identities(p)).as("filed under the national identity").containsExactly(
                    insOf(unknown[0]) + "^" + INS, insOf(unknown[0]) + "^" + INS, unknown[0].patientId + "^SITE-A");
            String image = pixelData(p);
            if (image != null) {
                images.add(image);
            }
        }
        assertThat(images).containsExactlyInAnyOrder(pixelData(work.resolve("unknown-at-b/1.dcm")),
                pixelData(work.resolve("unknown-at-b/2.dcm")));

        // viewers through B (WADO-RS) still get the study as its source holds it
        HttpResponse<byte[]> wado = get(b, "/dicomweb/studies/" + held[0].studyUid + "/series/" + held[0].seriesUid
                + "/instances/" + held[0].sopInstanceUid, pro, "multipart/related; type=\"application/dicom\"");
        assertThat(wado.statusCode()).as(text(wado)).isEqualTo(200);
        Path viewed = Files.write(work.resolve("reconciled/viewed.dcm"), parts(wado).get(0));
        assertThat(identities(viewed)).containsExactly(held[0].patientId + "^SITE-A", ins + "^" + INS);
    }

    @Test
    @Order(7)
    void aMoveThroughBOfListedInstancesSeriesOrStudiesHeldByNodeASendsExactlyThoseAndShowsInThePatientsHistory()
            throws Exception {
        String ins = newIns();
        String pro = radiologistAtB("RPPS-10012");
        // A holds two studies of the person: one of three series (three images in the first), one of two images
        TestObjects.Spec[] held = storeAtA("uid-lists", ins, true);
        TestObjects.Spec[] more = {held[0].sameSeries(), held[0].sameSeries(), held[0].sameStudy()};
        List<String> files = new ArrayList<>();
        for (int i = 0; i < more.length; i++) {
            files.add(TestObjects.write(more[i], work.resolve("uid-lists/more" + i + ".dcm")).toString());
        }
        Dcmtk.Result stored = Dcmtk.run(60, Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", "NODEA", "127.0.0.1",
                Integer.toString(a.dimsePort()), files).toArray(String[]::new));
        assertThat(stored.ok()).as(stored.output()).isTrue();
        TestObjects.Spec[] other = storeAtA("uid-lists-other", ins);
        listedAtB(held, pro);
        listedAtB(other, pro);
        String study = held[0].studyUid;

        assertThat(imageUids(moveIntoPacs(b, "pacs-image-list", "QueryRetrieveLevel=IMAGE", "StudyInstanceUID=" + study,
                "SeriesInstanceUID=" + held[0].seriesUid,
                "SOPInstanceUID=" + held[0].sopInstanceUid + "\\" + more[0].sopInstanceUid)))
                .as("the two instances listed, not their whole series")
                .containsExactlyInAnyOrder(held[0].sopInstanceUid, more[0].sopInstanceUid);
        assertThat(imageUids(moveIntoPacs(b, "pacs-series-list", "QueryRetrieveLevel=SERIES", "StudyInstanceUID=" + study,
                "SeriesInstanceUID=" + held[0].seriesUid + "\\" + held[1].seriesUid)))
                .as("the two series listed, not the whole study")
                .containsExactlyInAnyOrder(held[0].sopInstanceUid, more[0].sopInstanceUid, more[1].sopInstanceUid,
                        held[1].sopInstanceUid);
        // and a list of studies, one of them B's own
        TestObjects.Spec own = new TestObjects.Spec();
        own.rows = 32;
        own.columns = 32;
        Dcmtk.Result ownStored = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", "NODEB", "127.0.0.1",
                Integer.toString(b.dimsePort()), TestObjects.write(own, work.resolve("uid-lists/own.dcm")).toString());
        assertThat(ownStored.ok()).as(ownStored.output()).isTrue();
        assertThat(imageUids(moveIntoPacs(b, "pacs-study-list", "QueryRetrieveLevel=STUDY",
                "StudyInstanceUID=" + study + "\\" + other[0].studyUid + "\\" + own.studyUid)))
                .as("the three studies listed")
                .containsExactlyInAnyOrder(held[0].sopInstanceUid, held[1].sopInstanceUid, more[0].sopInstanceUid,
                        more[1].sopInstanceUid, more[2].sopInstanceUid, other[0].sopInstanceUid,
                        other[1].sopInstanceUid, own.sopInstanceUid);

        // each of these exports is in the person's access history at B, though B holds neither study
        String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
        HttpResponse<byte[]> history = get(b, "/api/patient/history", patient, null);
        assertThat(history.statusCode()).as(text(history)).isEqualTo(200);
        List<String> moves = new ArrayList<>();
        for (JsonNode e : JSON.readTree(history.body())) {
            if (e.path("actor").asText().equals("MOVESCU") && e.path("action").asText().equals("retrieve")) {
                assertThat(e.path("outcome").asText()).isEqualTo("success");
                assertThat(e.path("detail").asText()).startsWith("C-MOVE to PACS: ").contains("node NODE-A");
                moves.add(e.path("studyInstanceUID").asText());
            }
        }
        assertThat(moves).containsExactlyInAnyOrder(study, study, study, other[0].studyUid);
    }

    @Test
    @Order(7)
    void withIdentityReconciliationOffANodeMovesAStudyOfNodeAIntoItsPacsAsNodeAHoldsItByteForByte() throws Exception {
        String pro = radiologistAtB("RPPS-10011");
        TestObjects.Spec[] held = listedAtB(storeAtA("as-held"), pro);
        String ins = insOf(held[0]);
        // node C: B's index, its own PACS (the same storescp), node.sharing.consumer.reconcile-identity=false
        Node c = start("NODE-C", List.of("--node.ae-title=NODEC", "--node.dimse.calling-aes=MOVESCU=retrieve|query",
                "--node.dimse.move-destinations=PACS=127.0.0.1:" + pacsPort, "--node.space.organisation=FINESS-C",
                "--node.sharing.retrieve-url=http://127.0.0.1:" + HTTP_PORTS.get("NODE-C") + "/dicomweb",
                "--node.sharing.index-url=" + b.url(""), "--node.sharing.index-node-id=NODE-B",
                "--node.sharing.manifest.enabled=false", "--node.sharing.consumer.reconcile-identity=false"));
        try {
            assertThat(studyUids(get(c, "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS, pro,
                    null))).contains(held[0].studyUid);
            List<String> received = new ArrayList<>();
            for (Path p : moveIntoPacs(c, held[0].studyUid, "pacs-as-held")) {
                DicomDataset ds = TestObjects.read(p);
                String sop = ds.getString(Tag.SOPInstanceUID);
                received.add(sop);
                assertThat(identities(p)).as(sop).containsExactly(held[0].patientId + "^SITE-A", ins + "^" + INS);
                HttpResponse<byte[]> atA = get(a, "/dicomweb/studies/" + held[0].studyUid + "/series/"
                        + ds.getString(Tag.SeriesInstanceUID) + "/instances/" + sop, pro,
                        "application/dicom; transfer-syntax=*");
                assertThat(atA.statusCode()).as(text(atA)).isEqualTo(200);
                assertThat(TestObjects.dataSetOf(Files.readAllBytes(p))).as(sop)
                        .isEqualTo(TestObjects.dataSetOf(atA.body()));
            }
            assertThat(received).contains(held[0].sopInstanceUid, held[1].sopInstanceUid);
        } finally {
            c.context().close();
        }
    }

    @Test
    @Order(8)
    void aProfessionalAtNodeBImportsAStudyHeldByNodeAIntoTheirPacsFromThePortal() throws Exception {
        String pro = radiologistAtB("RPPS-10008");
        TestObjects.Spec[] held = listedAtB(storeAtA("portal-import"), pro);
        String study = held[0].studyUid;
        String ins = insOf(held[0]);

        // the portal's button: B fetches the study from A with the professional's own token, then sends it
        List<String> images = new ArrayList<>();
        for (Path p : receivedByPacs("pacs-portal", () -> {
            HttpResponse<byte[]> started = importInto(pro, study, "PACS");
            assertThat(started.statusCode()).as(text(started)).isEqualTo(202);
            JsonNode job = JSON.readTree(started.body());
            assertThat(job.path("sourceNode").asText()).isEqualTo("NODE-A");
            int total = job.path("total").asInt();
            assertThat(total).isGreaterThanOrEqualTo(2); // the two images, and A's manifest once built
            JsonNode done = awaitImport(started.headers().firstValue("Location").orElseThrow(), pro);
            assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("completed");
            assertThat(done.path("fetched").asInt()).isEqualTo(total);
            assertThat(done.path("completed").asInt()).isEqualTo(total);
            assertThat(done.path("failed").asInt()).isZero();
            return null;
        })) {
            // filed under the national identity, as a C-MOVE of it would be (B has no patient of that person)
            assertThat(identities(p)).containsExactly(ins + "^" + INS, ins + "^" + INS, held[0].patientId + "^SITE-A");
            String image = pixelData(p);
            if (image != null) {
                images.add(image);
            }
        }
        assertThat(images).containsExactlyInAnyOrder(pixelData(work.resolve("portal-import/1.dcm")),
                pixelData(work.resolve("portal-import/2.dcm")));
        // A decided and audited each fetch as that professional's; B audited the request and its outcome
        assertThat(a.jdbc().queryForObject("SELECT count(*) FROM audit_event WHERE channel = 'remote'"
                + " AND actor = 'RPPS-10008' AND study_uid = ? AND source_address LIKE 'node NODE-B %'",
                Integer.class, study)).isGreaterThan(0);
        assertThat(b.jdbc().queryForList("SELECT outcome || ': ' || detail FROM audit_event WHERE actor = 'RPPS-10008'"
                + " AND study_uid = ? AND detail LIKE 'import%' ORDER BY id", String.class, study)).satisfiesExactly(
                        requested -> assertThat(requested).matches("success: import into a PACS requested: \\d+"
                                + " instances to PACS \\(job [-0-9a-f]+\\) \\(remote study, node NODE-A\\)"),
                        outcome -> assertThat(outcome).matches("success: import to PACS \\(127.0.0.1:\\d+\\)"
                                + " \\(job [-0-9a-f]+\\): \\d+ sent, 0 with warnings, 0 failed \\(remote study,"
                                + " node NODE-A\\), patient identity reconciled"));

        // a destination that is not theirs is refused; a study the patient hid at A is not found, as at A
        String elsewhere = token(Map.of("professional_id", "RPPS-10009", "profession", "radiologist",
                "organisation", "FINESS-C"));
        awaitListedAtB(ins, elsewhere, study);
        assertThat(importInto(elsewhere, study, "PACS").statusCode()).isEqualTo(403);
        String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
        HttpRequest hide = HttpRequest.newBuilder(URI.create(a.url("/api/patient/studies/" + study + "/hidden")))
                .header("Authorization", patient).PUT(HttpRequest.BodyPublishers.noBody()).build();
        assertThat(HTTP.send(hide, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
        assertThat(importInto(pro, study, "PACS").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(8)
    void aPatientAndAProfessionalAtNodeBDownloadAStudyHeldByNodeA() throws Exception {
        String pro = radiologistAtB("RPPS-10010");
        TestObjects.Spec[] held = listedAtB(storeAtA("download"), pro);
        String study = held[0].studyUid;
        String patient = token(Map.of("patient_id", insOf(held[0]), "patient_id_issuer", INS));

        // the patient's DICOM media: A's files, their pixel data byte-identical, and a DICOMDIR naming them
        HttpResponse<byte[]> media = get(b, "/viewer/downloads/studies/" + study + "/dicom.zip", patient, null);
        assertThat(media.statusCode()).as(text(media)).isEqualTo(200);
        Path unzipped = Files.createDirectories(work.resolve("download/media"));
        List<String> entries = Zips.unzip(new ByteArrayInputStream(media.body()), unzipped);
        assertThat(entries).contains("DICOMDIR", "README.TXT");
        List<String> images = new ArrayList<>();
        for (String e : entries) {
            if (e.startsWith("DICOM/")) {
                assertThat(identities(unzipped.resolve(e))).as("as A holds it").startsWith(held[0].patientId
                        + "^SITE-A");
                String image = pixelData(unzipped.resolve(e));
                if (image != null) {
                    images.add(image);
                }
            }
        }
        assertThat(images).containsExactlyInAnyOrder(pixelData(work.resolve("download/1.dcm")),
                pixelData(work.resolve("download/2.dcm")));
        Dcmtk.Result dicomdir = Dcmtk.run(30, "dcmdump", "-q", unzipped.resolve("DICOMDIR").toString());
        assertThat(dicomdir.ok()).as(dicomdir.output()).isTrue();
        assertThat(dicomdir.output()).contains("[" + study + "]", "[" + held[0].sopInstanceUid + "]");
        // the professional's JPEG images
        HttpResponse<byte[]> jpegs = get(b, "/viewer/downloads/studies/" + study + "/jpeg.zip", pro, null);
        assertThat(jpegs.statusCode()).as(text(jpegs)).isEqualTo(200);
        assertThat(Zips.unzip(new ByteArrayInputStream(jpegs.body()),
                Files.createDirectories(work.resolve("download/jpeg")))).filteredOn(e -> e.endsWith(".jpg")).hasSize(2);
        assertThat(b.jdbc().queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'success'"
                + " AND detail LIKE 'download % (remote study, node NODE-A)'", Integer.class, study)).isEqualTo(2);

        // hidden by the patient at A: not found at B either
        HttpRequest hide = HttpRequest.newBuilder(URI.create(a.url("/api/patient/studies/" + study + "/hidden")))
                .header("Authorization", patient).PUT(HttpRequest.BodyPublishers.noBody()).build();
        assertThat(HTTP.send(hide, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
        assertThat(get(b, "/viewer/downloads/studies/" + study + "/dicom.zip", pro, null).statusCode()).isEqualTo(404);
    }

    /** Where B's cache keeps an instance of A's. */
    private static InstanceCache.Key cachedFromA(TestObjects.Spec instance) {
        return new InstanceCache.Key("NODE-A", instance.studyUid, instance.sopInstanceUid);
    }

    /** A radiologist of B's site. */
    private static String radiologistAtB(String rpps) throws Exception {
        return token(Map.of("professional_id", rpps, "profession", "radiologist", "organisation", "FINESS-B"));
    }

    /** Waits until B lists the study to this caller among the person's (A published it, B found it in its index). */
    private static void awaitListedAtB(String ins, String authorization, String study) throws Exception {
        String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, authorization, null))
                .contains(study));
    }

    /** The study, once B lists it to this caller. */
    private static TestObjects.Spec[] listedAtB(TestObjects.Spec[] study, String authorization) throws Exception {
        awaitListedAtB(insOf(study[0]), authorization, study[0].studyUid);
        return study;
    }

    /** The portal's "import into my PACS" of a study, at node B. */
    private static HttpResponse<byte[]> importInto(String authorization, String study, String destination)
            throws Exception {
        String body = JSON.writeValueAsString(Map.of("studyInstanceUID", study, "destination", destination));
        return HTTP.send(HttpRequest.newBuilder(URI.create(b.url("/viewer/imports"))).timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The import job at {@code location} (node B) once it is over. */
    private static JsonNode awaitImport(String location, String authorization) throws Exception {
        JsonNode[] job = new JsonNode[1];
        waitUntil("the import to end", () -> {
            HttpResponse<byte[]> rs = get(b, location, authorization, null);
            assertThat(rs.statusCode()).as(text(rs)).isEqualTo(200);
            job[0] = JSON.readTree(rs.body());
            return !List.of("queued", "fetching", "sending", "cancelling").contains(job[0].path("state").asText());
        });
        return job[0];
    }

    @Test
    @Order(9)
    void aProfessionalAtNodeBFindsViewsAndImportsAStudyHeldByNodeA() throws Exception {
        // a modality sends a two-image study of a patient known by their national identity to node A
        TestObjects.Spec[] sent = storeAtA("sent");
        TestObjects.Spec first = sent[0];
        TestObjects.Spec second = sent[1];
        String ins = insOf(first);
        Path f1 = work.resolve("sent/1.dcm");
        Path f2 = work.resolve("sent/2.dcm");
        String study = first.studyUid;

        String pro = token(Map.of("professional_id", "RPPS-10001", "profession", "radiologist",
                "organisation", "FINESS-B"));
        String patient = token(Map.of("patient_id", ins, "patient_id_issuer", INS));
        String byIns = "/dicomweb/studies?PatientID=" + ins + "&IssuerOfPatientID=" + INS;

        // found by querying node B: A built the manifest, published it to B's index; B merges it
        waitUntil("the study to be listed at node B", () -> studyUids(get(b, byIns, pro, null)).contains(study));
        HttpResponse<byte[]> qido = get(b, byIns, pro, null);
        JsonNode listed = JSON.readTree(qido.body()).get(0);
        assertThat(listed.path("00081190").path("Value").path(0).asText())
                .isEqualTo(b.url("/dicomweb/studies/" + study));
        assertThat(listed.path("00201208").path("Value").path(0).asInt()).isGreaterThanOrEqualTo(2);
        // the patient's own list at B (patient API) shows it too, as held by node A, opened through B
        HttpResponse<byte[]> mine = get(b, "/api/patient/studies", patient, null);
        assertThat(mine.statusCode()).as(text(mine)).isEqualTo(200);
        assertThat(JSON.readTree(mine.body())).anySatisfy(m -> {
            assertThat(m.path("studyInstanceUID").asText()).isEqualTo(study);
            assertThat(m.path("site").asText()).isEqualTo("NODE-A");
            assertThat(m.path("remote").asBoolean()).isTrue();
            assertThat(m.path("retrieveUrl").asText()).isEqualTo("/dicomweb/studies/" + study);
        });

        // viewed in full through B: series, metadata, the instances and their frames (and WADO-URI), pixel data
        // byte-identical
        HttpResponse<byte[]> series = get(b, "/dicomweb/studies/" + study + "/series", pro, null);
        assertThat(series.statusCode()).as(text(series)).isEqualTo(200);
        assertThat(text(series)).contains(first.seriesUid).doesNotContain("127.0.0.1:" + a.httpPort());
        HttpResponse<byte[]> metadata = get(b, "/dicomweb/studies/" + study + "/series/" + first.seriesUid
                + "/metadata", pro, null);
        assertThat(metadata.statusCode()).as(text(metadata)).isEqualTo(200);
        assertThat(text(metadata)).contains(b.url("/dicomweb/studies/" + study + "/series/" + first.seriesUid
                + "/instances/" + first.sopInstanceUid + "/bulkdata/7FE00010"));
        HttpResponse<byte[]> wado = get(b, "/dicomweb/studies/" + study, pro,
                "multipart/related; type=\"application/dicom\"");
        assertThat(wado.statusCode()).as(text(wado)).isEqualTo(200);
        List<byte[]> objects = parts(wado);
        assertThat(objects).hasSizeGreaterThanOrEqualTo(2); // the two images, and A's manifest once built
        assertThat(images(objects)).containsExactlyInAnyOrder(pixelData(f1), pixelData(f2));
        HttpResponse<byte[]> frame = get(b, "/dicomweb/studies/" + study + "/series/" + second.seriesUid
                + "/instances/" + second.sopInstanceUid + "/frames/1", pro, null);
        assertThat(frame.statusCode()).as(text(frame)).isEqualTo(200);
        assertThat(sha(parts(frame).get(0))).isEqualTo(pixelData(f2));
        HttpResponse<byte[]> uri = get(b, "/wado?requestType=WADO&contentType=application/dicom&studyUID=" + study
                + "&objectUID=" + first.sopInstanceUid, pro, null);
        assertThat(uri.statusCode()).as(text(uri)).isEqualTo(200);
        assertThat(pixelData(uri.body())).isEqualTo(pixelData(f1));
        HttpResponse<byte[]> thumbnail = get(b, "/dicomweb/studies/" + study + "/thumbnail", pro, "image/jpeg");
        assertThat(thumbnail.statusCode()).isEqualTo(200);
        assertThat(thumbnail.headers().firstValue("Content-Type")).contains("image/jpeg");
        InstanceCache cache = b.context().getBean(InstanceCache.class);
        assertThat(cache.get(cachedFromA(first))).isPresent();
        assertThat(cache.get(cachedFromA(second))).isPresent();

        // A decided and audited each request as coming from node B for that professional; B audited too
        assertThat(a.jdbc().queryForObject("SELECT count(*) FROM audit_event WHERE channel = 'remote'"
                + " AND actor = 'RPPS-10001' AND study_uid = ? AND source_address LIKE 'node NODE-B %'",
                Integer.class, study)).isGreaterThan(0);
        assertThat(b.jdbc().queryForObject("SELECT count(*) FROM audit_event WHERE actor = 'RPPS-10001'"
                + " AND study_uid = ? AND detail LIKE '%remote study, node NODE-A%'", Integer.class, study))
                .isGreaterThan(0);

        // moved by movescu into B's PACS
        List<String> received = new ArrayList<>();
        for (Path p : moveIntoPacs(study, "pacs")) {
            String image = pixelData(p);
            if (image != null) {
                received.add(image);
            }
        }
        assertThat(received).containsExactlyInAnyOrder(pixelData(f1), pixelData(f2));

        // and fetched by getscu from B (C-GET on the requestor's own association)
        Path got = Files.createDirectories(work.resolve("getscu"));
        Dcmtk.Result get = Dcmtk.run(120, "getscu", "-S", "-aet", "GETSCU", "-aec", "NODEB", "-od", got.toString(),
                "127.0.0.1", Integer.toString(b.dimsePort()), "-k", "QueryRetrieveLevel=SERIES",
                "-k", "StudyInstanceUID=" + study, "-k", "SeriesInstanceUID=" + first.seriesUid);
        assertThat(get.ok()).as(get.output()).isTrue();
        List<String> gotten = new ArrayList<>();
        try (var files = Files.list(got)) {
            for (Path p : files.toList()) {
                gotten.add(pixelData(p));
            }
        }
        assertThat(gotten).containsExactlyInAnyOrder(pixelData(f1), pixelData(f2));

        // the patient hides the study on A: it disappears from B, cache or not
        HttpRequest hide = HttpRequest.newBuilder(URI.create(a.url("/api/patient/studies/" + study + "/hidden")))
                .header("Authorization", patient).PUT(HttpRequest.BodyPublishers.noBody()).build();
        assertThat(HTTP.send(hide, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
        assertThat(studyUids(get(b, byIns, pro, null))).doesNotContain(study);
        assertThat(get(b, "/dicomweb/studies/" + study, pro, null).statusCode()).isEqualTo(404);
        assertThat(get(b, "/dicomweb/studies/" + study + "/series/" + second.seriesUid + "/instances/"
                + second.sopInstanceUid + "/frames/1", pro, null).statusCode()).isEqualTo(404);
        HttpRequest show = HttpRequest.newBuilder(URI.create(a.url("/api/patient/studies/" + study + "/hidden")))
                .header("Authorization", patient).DELETE().build();
        assertThat(HTTP.send(show, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
        assertThat(studyUids(get(b, byIns, pro, null))).contains(study);

        // A stops: B answers with a clear error, quickly once A counts as down
        a.context().close();
        HttpResponse<byte[]> down = get(b, "/dicomweb/studies/" + study, pro, null);
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(text(down)).isEqualTo("node NODE-A could not be reached: connection refused");
        try (ConnectionCounter listening = new ConnectionCounter(a.httpPort())) {
            HttpResponse<byte[]> fast = get(b, "/dicomweb/studies/" + study + "/metadata", pro, null);
            assertThat(fast.statusCode()).isEqualTo(502);
            assertThat(text(fast)).startsWith("node NODE-A is unreachable");
            assertThat(listening.connections()).as("A is not tried while it counts as down").isZero();
        }
        HttpResponse<byte[]> stillListed = get(b, byIns, pro, null);
        assertThat(studyUids(stillListed)).doesNotContain(study);
        assertThat(stillListed.headers().allValues("Warning"))
                .anySatisfy(w -> assertThat(w).contains("studies held by node NODE-A are not listed"));
        Dcmtk.Result refused = Dcmtk.run(60, "movescu", "-v", "-S", "-aet", "MOVESCU", "-aec", "NODEB", "-aem",
                "PACS", "127.0.0.1", Integer.toString(b.dimsePort()), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + study);
        assertThat(refused.output()).contains("Refused: OutOfResourcesNumberOfMatches");
        HttpResponse<byte[]> notDownloaded = get(b, "/viewer/downloads/studies/" + study + "/dicom.zip", pro, null);
        assertThat(notDownloaded.statusCode()).isEqualTo(502);
        assertThat(text(notDownloaded)).startsWith("node NODE-A is unreachable");
        HttpResponse<byte[]> notImported = importInto(pro, study, "PACS");
        assertThat(notImported.statusCode()).isEqualTo(502);
        assertThat(text(notImported)).startsWith("node NODE-A is unreachable");
    }
}
