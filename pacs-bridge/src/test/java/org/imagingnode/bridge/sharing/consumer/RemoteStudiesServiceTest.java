package org.imagingnode.bridge.sharing.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.PostgresAuditLog;
import org.imagingnode.bridge.database.TestPostgres;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.dimse.RemoteRetrieves;
import org.imagingnode.bridge.dimse.SpoolArea;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.index.TrustedSources;
import org.imagingnode.bridge.sharing.nodeauth.NodeAuthProperties;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.bridge.space.PatientSpacePolicy;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.storage.FileSystemBlobStore;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;

/**
 * The consumer against a source node played by a real HTTP server on loopback (which counts what it is asked and
 * can misbehave), with a real blob store and database: what is asked of the source and how often, one download
 * per instance however many want it, nothing corrupted kept, refusals as "not found", URLs rewritten.
 */
class RemoteStudiesServiceTest {
    private static final String PRO = "Bearer professional-token";
    private static final String PATIENT = "Bearer patient-token";

    @TempDir
    Path dir;

    private HttpServer source;
    private FileSystemBlobStore blobs;
    private RemoteStudiesService service;
    private RemoteStudyRegistry registry;
    private InstanceCache cache;
    private final ViewerTokenService viewerTokens = new ViewerTokenService(ViewerTokenService.randomSecret(),
            "node-b", Duration.ofMinutes(5), Clock.systemUTC());
    private final PostgresAuditLog audit = new PostgresAuditLog(TestPostgres.get().dataSource());
    private final PatientSpace space = new PatientSpace(TestPostgres.get().dataSource());
    private final RetrievalGrants grants = new RetrievalGrants(Clock.systemUTC());
    private TestObjects.Spec spec;
    private byte[] instance;
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    private volatile boolean corrupt;
    private volatile boolean refuse;
    private volatile String indexAnswer = "[]";

    @BeforeEach
    void start() throws Exception {
        spec = new TestObjects.Spec();
        spec.rows = 32;
        spec.columns = 32;
        instance = Files.readAllBytes(TestObjects.write(spec, dir.resolve("source.dcm")));
        source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        source.setExecutor(Executors.newFixedThreadPool(8));
        source.createContext("/dicomweb", this::answer);
        source.createContext("/index", x -> { // the patient-space index: the patient's entries, as set by a test
            try (x) {
                send(x, 200, "application/json", indexAnswer.getBytes(StandardCharsets.UTF_8), null);
            }
        });
        source.start();
        blobs = new FileSystemBlobStore(dir.resolve("blobs"));
        registry = new RemoteStudyRegistry(TestPostgres.get().dataSource());
        registry.remember(new IndexEntry(new IndexEntry.Patient("285017512345678", SpaceProperties.INS_NIR),
                spec.studyUid, "NODE-A", TestObjects.uid(), sourceBase(), "NODEA", null, List.of("CT"), null, 1,
                Instant.now()));
        cache = new InstanceCache(blobs, new ConsumerProperties.Cache(DataSize.ofMegabytes(50), Duration.ofDays(1)),
                Clock.systemUTC());
        service = service(true);
    }

    /** The consumer, with its source at this test's HTTP server; reconciling identities or not. */
    private RemoteStudiesService service(boolean reconcileIdentity) throws IOException {
        ConsumerProperties props = new ConsumerProperties(true, Duration.ofSeconds(2), Duration.ofSeconds(5), 1,
                Duration.ofMillis(10), 50, Duration.ofSeconds(30), Duration.ofSeconds(30), null, reconcileIdentity);
        // NODE-A at the test's source; NODE-C trusted for its node tokens but with no DICOMweb base configured
        NodeAuthProperties nodes = new NodeAuthProperties("NODE-B", null, null, Map.of(
                "NODE-A", new NodeAuthProperties.TrustedNode(null, "https://a.example/node/jwks.json", sourceBase() + "/"),
                "NODE-C", new NodeAuthProperties.TrustedNode(null, "https://c.example/node/jwks.json", null),
                "NODE-D", new NodeAuthProperties.TrustedNode(null, "https://d.example/node/jwks.json", sourceBase() + "/")));
        return new RemoteStudiesService(new SourceClient(props, node -> "Bearer node-token"), registry,
                new TrustedSources(nodes, audit), cache, grants, new SpoolArea(dir.resolve("spool")), space,
                SpaceProperties.defaults(), props, viewerTokens, "NODE-B", () -> new RemoteStudiesService.IndexLocation(
                        "http://127.0.0.1:" + source.getAddress().getPort(), "NODE-B"));
    }

    @AfterEach
    void stop() throws Exception {
        source.stop(0);
        blobs.close();
    }

    private String sourceBase() {
        return "http://127.0.0.1:" + source.getAddress().getPort() + "/dicomweb";
    }

    private int asked(String what) {
        return asked.getOrDefault(what, new AtomicInteger()).get();
    }

    /** A source node's DICOMweb, as far as the consumer uses it. */
    private void answer(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            String what = path.endsWith("/instances") ? "qido" : path.endsWith("/metadata") ? "metadata"
                    : path.endsWith("/studies") ? "studies" : "instance";
            asked.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
            if (refuse || !Set.of(PRO, PATIENT).contains(x.getRequestHeaders().getFirst("Authorization"))
                    || !"Bearer node-token".equals(x.getRequestHeaders().getFirst("X-Node-Authorization"))) {
                send(x, 404, "text/plain", "no study".getBytes(StandardCharsets.UTF_8), null);
                return;
            }
            switch (what) {
                case "qido" -> send(x, 200, "application/dicom+json", ("[{\"0020000E\":{\"vr\":\"UI\",\"Value\":[\""
                        + spec.seriesUid + "\"]},\"00080018\":{\"vr\":\"UI\",\"Value\":[\"" + spec.sopInstanceUid
                        + "\"]}}]").getBytes(StandardCharsets.UTF_8), null);
                case "studies" -> send(x, 200, "application/dicom+json", ("[{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\""
                        + spec.studyUid + "\"]}}]").getBytes(StandardCharsets.UTF_8), null);
                case "metadata" -> send(x, 200, "application/dicom+json", ("[{\"7FE00010\":{\"vr\":\"OW\",\"BulkDataURI\":\""
                        + sourceBase() + "/studies/" + spec.studyUid + "/series/" + spec.seriesUid + "/instances/"
                        + spec.sopInstanceUid + "/bulkdata/7FE00010\"},\"00100010\":{\"vr\":\"PN\",\"Value\":"
                        + "[{\"Alphabetic\":\"http://not-a-url\"}]}}]").getBytes(StandardCharsets.UTF_8), null);
                default -> {
                    try {
                        Thread.sleep(200); // long enough for concurrent requests to overlap
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    byte[] body = instance.clone();
                    String digest = Base64.getEncoder().encodeToString(Checksums.sha256().digest(instance));
                    if (corrupt) {
                        body[body.length - 1] ^= 1; // a bit flipped on the way
                    }
                    send(x, 200, "application/dicom; transfer-syntax=1.2.840.10008.1.2.1", body, digest);
                }
            }
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body, String digest) throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        if (digest != null) {
            x.getResponseHeaders().add("Content-Digest", "sha-256=:" + digest + ":");
        }
        x.sendResponseHeaders(status, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    private RemoteStudies.Study study() {
        return service.find(spec.studyUid, new Caller("RPPS-1", "professional", PRO, "127.0.0.1")).orElseThrow();
    }

    @Test
    void aSeriesListingAnswersTheFollowingPerInstanceQuestionsAndOneDownloadServesEveryone() throws Exception {
        RemoteStudies.Study study = study();
        List<RemoteStudies.Ref> refs = study.instances(spec.seriesUid, null);
        assertThat(refs).containsExactly(new RemoteStudies.Ref(spec.seriesUid, spec.sopInstanceUid));
        // a viewer now asks for the frames of each instance: the source's answer is remembered for a while
        assertThat(study.instances(spec.seriesUid, spec.sopInstanceUid)).isEqualTo(refs);
        assertThat(asked("qido")).isEqualTo(1);

        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<InstanceLocation>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(pool.submit(() -> study.fetch(refs.get(0))));
        }
        List<InstanceLocation> got = new ArrayList<>();
        for (Future<InstanceLocation> f : all) {
            got.add(f.get());
        }
        pool.shutdown();
        assertThat(asked("instance")).isEqualTo(1);
        assertThat(got).allSatisfy(l -> assertThat(l.blobKey()).isEqualTo(got.get(0).blobKey()));
        try (var in = blobs.get(got.get(0).blobKey())) {
            assertThat(in.readAllBytes()).isEqualTo(instance);
        }
        study.fetch(refs.get(0));
        assertThat(asked("instance")).isEqualTo(1); // from the cache
    }

    @Test
    void corruptedBytesAreFetchedAgainAndNeverKept() throws Exception {
        corrupt = true;
        RemoteStudies.Study study = study();
        RemoteStudies.Ref ref = study.instances(null, null).get(0);
        assertThatThrownBy(() -> study.fetch(ref)).isInstanceOfSatisfying(SourceUnavailableException.class, e -> {
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.getMessage()).isEqualTo("node NODE-A failed: the SHA-256 of the received bytes differs from"
                    + " the one announced");
        });
        assertThat(asked("instance")).isEqualTo(2); // retried once
        try (var listed = blobs.list(InstanceCache.PREFIX)) {
            assertThat(listed).isEmpty();
        }
        corrupt = false;
        assertThat(study.fetch(ref).blobSize()).isEqualTo(instance.length);
    }

    @Test
    void theSourcesRefusalIsANotFoundHere() {
        refuse = true;
        assertThatThrownBy(() -> study().instances(null, null)).isInstanceOfSatisfying(DicomWebException.class,
                e -> assertThat(e.status()).isEqualTo(404));
        assertThat(service.find(spec.studyUid, Caller.anonymous(null, "127.0.0.1"))).isEmpty();
        assertThat(service.find(TestObjects.uid(), new Caller("RPPS-1", "professional", PRO, "127.0.0.1"))).isEmpty();
    }

    @Test
    void proxiedAnswersPointAtThisNode() throws Exception {
        MockHttpServletResponse rs = new MockHttpServletResponse();
        study().proxy("/studies/" + spec.studyUid + "/metadata", "application/dicom+json",
                "https://b.example/dicomweb", rs);
        assertThat(rs.getStatus()).isEqualTo(200);
        assertThat(rs.getContentAsString()).contains("\"BulkDataURI\":\"https://b.example/dicomweb/studies/"
                + spec.studyUid + "/series/" + spec.seriesUid + "/instances/" + spec.sopInstanceUid + "/bulkdata/7FE00010\"")
                .contains("http://not-a-url").doesNotContain(sourceBase());
    }

    @Test
    void aDimsePeerRetrievesOnlyWhatAProfessionalFoundHereRecently() throws Exception {
        assertThatThrownBy(() -> service.fetch(spec.studyUid, List.of(), List.of()))
                .isInstanceOfSatisfying(RemoteRetrieves.Refused.class, e -> {
                    assertThat(e.notAuthorized()).isTrue();
                    assertThat(e.getMessage()).contains("search for it (QIDO-RS or the portal) first");
                });
        study().instances(null, null); // a professional's viewer lists it through this node
        var fetched = service.fetch(spec.studyUid, List.of(), List.of());
        assertThat(fetched.sourceNode()).isEqualTo("NODE-A");
        assertThat(fetched.instances()).extracting(InstanceLocation::sopInstanceUid).containsExactly(spec.sopInstanceUid);
        assertThat(fetched.failedSopUids()).isEmpty();
        assertThat(service.fetch(TestObjects.uid(), List.of(), List.of())).isNull(); // not a remote study: not ours
    }

    @Test
    void thisNodesOwnLinkSecretsAreNeverSentToASource() {
        for (String role : List.of(PatientSpacePolicy.SHARE_LINK, PatientSpacePolicy.THUMBNAIL_LINK, "anonymous")) {
            assertThat(service.find(spec.studyUid, new Caller("link", role, "Bearer sl.secret", "127.0.0.1")))
                    .as(role).isEmpty();
        }
    }

    @Test
    void aPatientsOwnTokenIsNeverLentToDimsePeersEvenForAStudyTheSourceShowsThem() throws Exception {
        Caller patient = new Caller("285017512345678", "patient", PATIENT, "127.0.0.1");
        RemoteStudies.Study own = service.find(spec.studyUid, patient).orElseThrow();
        assertThat(own.instances(null, null)).hasSize(1); // the source shows the patient their study
        assertThat(own.instanceAttributes()).hasSize(1);
        ViewerToken token = viewerTokens.issue(patient.id(), ViewerScope.study(null, null, spec.studyUid));
        own.entrust(token.id(), token.expiresAt());
        Caller viewer = new Caller(patient.id(), PatientSpacePolicy.VIEWER, token.bearer(), "127.0.0.1");
        assertThat(service.find(spec.studyUid, viewer).orElseThrow().instances(null, null)).hasSize(1);

        // the site's PACS asking for it now would get, as this patient, what they may have hidden from professionals
        assertThatThrownBy(() -> service.fetch(spec.studyUid, List.of(), List.of()))
                .isInstanceOfSatisfying(RemoteRetrieves.Refused.class, e -> assertThat(e.notAuthorized()).isTrue());
        study().instances(null, null); // a professional finds it here: theirs is lent
        assertThat(service.fetch(spec.studyUid, List.of(), List.of()).instances()).hasSize(1);
    }

    @Test
    void aDimsePeerGetsTheStudyUnderThisNodesPatientOfThatPersonElseUnderTheNationalIdentity() throws Exception {
        String ins = Long.toString(200_000_000_000_000L + System.nanoTime() % 99_999_999_999_999L);
        NationalId who = new NationalId(ins, SpaceProperties.INS_NIR);
        registry.remember(new IndexEntry(new IndexEntry.Patient(ins, SpaceProperties.INS_NIR), spec.studyUid,
                "NODE-A", TestObjects.uid(), sourceBase(), "NODEA", null, List.of("CT"), null, 1, Instant.now()));
        study().instances(null, null); // a professional found it here

        var national = service.fetch(spec.studyUid, List.of(), List.of()).reconciled();
        assertThat(national.patientId()).isEqualTo(ins);
        assertThat(national.issuer()).isEqualTo(SpaceProperties.INS_NIR);

        // the national identity itself as a local patient comes after any other; then the earliest linked
        space.link(ins, SpaceProperties.INS_NIR, who, "api", "test", null);
        space.link("B-7-" + ins, "SITE-B", who, "api", "test", null);
        space.link("B-8-" + ins, "SITE-B", who, "api", "test", null);
        var local = service.fetch(spec.studyUid, List.of(), List.of()).reconciled();
        assertThat(local.patientId()).isEqualTo("B-7-" + ins);
        assertThat(local.issuer()).isEqualTo("SITE-B");

        assertThat(service(false).fetch(spec.studyUid, List.of(), List.of()).reconciled()).as("setting off").isNull();
    }

    @Test
    void aViewerTokenOfThisNodeIsForwardedAsTheProfessionalItWasIssuedToAndOnlyForItsStudy() throws Exception {
        ViewerToken token = viewerTokens.issue("RPPS-1", ViewerScope.study(null, null, spec.studyUid));
        Caller viewer = new Caller("RPPS-1", PatientSpacePolicy.VIEWER, token.bearer(), "127.0.0.1");
        assertThat(service.find(spec.studyUid, viewer)).isEmpty(); // not entrusted: nothing to forward
        study().entrust(token.id(), token.expiresAt());

        RemoteStudies.Study asViewer = service.find(spec.studyUid, viewer).orElseThrow();
        // the source accepts only the professional's own token (the viewer token would be a 404 there)
        assertThat(asViewer.instances(null, null)).containsExactly(new RemoteStudies.Ref(spec.seriesUid,
                spec.sopInstanceUid));
        assertThat(asViewer.instanceAttributes()).hasSize(1);
        // another study, and another viewer token of the same professional, are not entrusted
        String otherStudy = TestObjects.uid();
        registry.remember(new IndexEntry(new IndexEntry.Patient("285017512345678", SpaceProperties.INS_NIR),
                otherStudy, "NODE-A", TestObjects.uid(), sourceBase(), "NODEA", null, List.of("CT"), null, 1,
                Instant.now()));
        assertThat(service.find(otherStudy, viewer)).isEmpty();
        ViewerToken other = viewerTokens.issue("RPPS-1", ViewerScope.study(null, null, spec.studyUid));
        assertThat(service.find(spec.studyUid, new Caller("RPPS-1", PatientSpacePolicy.VIEWER, other.bearer(),
                "127.0.0.1"))).isEmpty();
        // a forged viewer token is nobody
        ViewerTokenService forger = new ViewerTokenService(ViewerTokenService.randomSecret(), "node-b",
                Duration.ofMinutes(5), Clock.systemUTC());
        assertThat(service.find(spec.studyUid, new Caller("RPPS-1", PatientSpacePolicy.VIEWER,
                "Bearer " + forger.issue("RPPS-1", ViewerScope.study(null, null, spec.studyUid)).value(), "127.0.0.1")))
                .isEmpty();
    }

    @Test
    void aSeriesViewerTokenReachesItsSeriesOnlyAndNothingElseOfTheStudyIsAskedOfTheSource() throws Exception {
        ViewerToken token = viewerTokens.issue("RPPS-1", ViewerScope.series(null, null, spec.studyUid, spec.seriesUid));
        study().series(spec.seriesUid).entrust(token.id(), token.expiresAt());
        RemoteStudies.Study asViewer = service.find(spec.studyUid, new Caller("RPPS-1", PatientSpacePolicy.VIEWER,
                token.bearer(), "127.0.0.1")).orElseThrow();
        String other = TestObjects.uid();
        String study = "/studies/" + spec.studyUid;
        String series = study + "/series/" + spec.seriesUid;
        for (String outside : List.of(study + "/metadata", study + "/thumbnail", study + "/series/" + other + "/metadata",
                series + "/../" + other + "/metadata", series + "/%2E%2E/" + other + "/metadata",
                series + "/./metadata")) {
            assertThatThrownBy(() -> asViewer.proxy(outside, "application/dicom+json", "https://b.example/dicomweb",
                    new MockHttpServletResponse())).as(outside).isInstanceOfSatisfying(DicomWebException.class,
                            e -> assertThat(e.status()).isEqualTo(404));
        }
        assertThatThrownBy(() -> asViewer.instances(null, null)).as("the study as a whole")
                .isInstanceOfSatisfying(DicomWebException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> asViewer.instances(other, null)).isInstanceOfSatisfying(DicomWebException.class,
                e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> asViewer.series(other)).isInstanceOfSatisfying(DicomWebException.class,
                e -> assertThat(e.status()).isEqualTo(404));
        assertThat(asked.values()).as("nothing asked of the source").allSatisfy(n -> assertThat(n.get()).isZero());

        MockHttpServletResponse metadata = new MockHttpServletResponse();
        asViewer.proxy(series + "/metadata", "application/dicom+json", "https://b.example/dicomweb", metadata);
        assertThat(metadata.getStatus()).isEqualTo(200);
        assertThat(asViewer.instances(null, spec.sopInstanceUid)).containsExactly(new RemoteStudies.Ref(spec.seriesUid,
                spec.sopInstanceUid));
        assertThat(asViewer.instanceAttributes()).hasSize(1);
    }

    @Test
    void aCachedStudyTheIndexNoLongerListsIsListedAgainByItsSourceAndLeavesTheCacheWhenRefused() throws Exception {
        RemoteStudies.Study study = study();
        study.fetch(study.instances(null, null).get(0));
        Caller pro = new Caller("RPPS-1", "professional", PRO, "127.0.0.1");
        Map<String, List<String>> patientsStudies = Map.of("PatientID", List.of("285017512345678"),
                "IssuerOfPatientID", List.of(SpaceProperties.INS_NIR));
        int listed = asked("qido");

        // gone from the index, still listed by its source: kept
        service.studies(pro, patientsStudies, Set.of(), "https://b.example/dicomweb", new ArrayList<>());
        assertThat(asked("qido")).isEqualTo(listed + 1);
        assertThat(cache.holdsStudy(spec.studyUid)).isTrue();
        // gone, and refused by its source: dropped
        refuse = true;
        service.studies(pro, patientsStudies, Set.of(), "https://b.example/dicomweb", new ArrayList<>());
        assertThat(cache.holdsStudy(spec.studyUid)).isFalse();
    }

    @Test
    void aStudyTwoNodesPublishIsListedOnceFollowedWhereFirstFoundAndALaterDateElsewhereDoesNotMoveIt()
            throws Exception {
        Caller pro = new Caller("RPPS-1", "professional", PRO, "127.0.0.1");
        Map<String, List<String>> patientsStudies = Map.of("PatientID", List.of("285017512345678"),
                "IssuerOfPatientID", List.of(SpaceProperties.INS_NIR));
        IndexEntry atA = publishedBy("NODE-A", Instant.now());
        IndexEntry atD = publishedBy("NODE-D", Instant.parse("9999-12-31T00:00:00Z"));
        ObjectMapper json = new ObjectMapper().findAndRegisterModules();
        indexAnswer = json.writeValueAsString(List.of(atD, atA));

        List<String> warnings = new ArrayList<>();
        assertThat(service.studies(pro, patientsStudies, Set.of(), "https://b.example/dicomweb", warnings))
                .extracting(RemoteStudies.Match::studyUid).containsExactly(spec.studyUid);
        assertThat(warnings).isEmpty();
        assertThat(asked("studies")).as("asked of one node").isEqualTo(1);
        assertThat(registry.find(spec.studyUid).orElseThrow().sourceNode()).isEqualTo("NODE-A");

        // once A no longer publishes it, it is followed at D
        indexAnswer = json.writeValueAsString(List.of(atD));
        service.studies(pro, patientsStudies, Set.of(), "https://b.example/dicomweb", warnings);
        assertThat(registry.find(spec.studyUid).orElseThrow().sourceNode()).isEqualTo("NODE-D");
    }

    private IndexEntry publishedBy(String node, Instant updatedAt) {
        return new IndexEntry(new IndexEntry.Patient("285017512345678", SpaceProperties.INS_NIR), spec.studyUid,
                node, TestObjects.uid(), sourceBase(), "NODEA", null, List.of("CT"), null, 1, updatedAt);
    }

    @Test
    void aStudyIsFollowedOnlyAtTheDicomWebBaseConfiguredForItsTrustedSourceNode() throws Exception {
        try (ForeignServer elsewhere = new ForeignServer()) {
            String foreign = elsewhere.dicomWebUrl();
            Caller pro = new Caller("RPPS-1", "professional", PRO, "127.0.0.1");
            // the same node, another address; a trusted node whose base is not configured; a node not trusted
            Map<String, String> refused = Map.of(TestObjects.uid(), "NODE-A " + foreign,
                    TestObjects.uid(), "NODE-C " + foreign, TestObjects.uid(), "NODE-D " + foreign);
            refused.forEach((uid, where) -> registry.remember(new IndexEntry(new IndexEntry.Patient(
                    "285017512345678", SpaceProperties.INS_NIR), uid, where.split(" ")[0], TestObjects.uid(),
                    where.split(" ")[1], "NODEA", null, List.of("CT"), null, 1, Instant.now())));
            for (String uid : refused.keySet()) {
                assertThat(service.find(uid, pro)).as(refused.get(uid)).isEmpty();
                assertThat(audit.forStudy(uid, 5)).singleElement().satisfies(e -> {
                    assertThat(e.action()).isEqualTo("untrusted-source");
                    assertThat(e.outcome()).isEqualTo("denied");
                    assertThat(e.actor()).isEqualTo("RPPS-1");
                    assertThat(e.patientId()).isEqualTo("285017512345678^^^&" + SpaceProperties.INS_NIR + "&ISO");
                    assertThat(e.detail()).contains(foreign, "node.sharing.auth.trusted-nodes."
                            + refused.get(uid).split(" ")[0] + ".dicomweb-url");
                });
            }
            assertThat(elsewhere.received()).as("no request, no token, went to the other address").isEmpty();
            // the configured base, written with a trailing slash, is the source's own address: followed
            assertThat(study().instances(null, null)).hasSize(1);
            assertThat(audit.forStudy(spec.studyUid, 5)).extracting(AuditEvent::action).doesNotContain("untrusted-source");
        }
    }
}
