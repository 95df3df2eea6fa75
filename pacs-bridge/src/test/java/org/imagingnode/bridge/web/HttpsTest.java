package org.imagingnode.bridge.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.RawHttp;
import org.imagingnode.bridge.testing.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The web side over HTTPS, configured as the README says ({@code server.ssl.bundle} naming a PEM
 * bundle, TLS 1.3 and 1.2): QIDO-RS and WADO answered over both versions to Java's HTTP client and
 * to curl, which check the node's certificate; TLS 1.0 and 1.1 handshakes refused by the node (the
 * clients are told to allow them); plain HTTP on the same port gets no data.
 */
class HttpsTest extends NodeIntegrationTest {
    private static final TestCertificates CERTS = TestCertificates.forNodeAnd();

    @DynamicPropertySource
    static void https(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("server.ssl.bundle", () -> "web");
        CERTS.registerBundle(registry, "web", null);
        registry.add("spring.ssl.bundle.pem.web.options.enabled-protocols", () -> "TLSv1.3,TLSv1.2");
    }

    private static TestObjects.Spec stored;
    private static Path file;
    private static boolean storedOnNode;

    @BeforeAll
    static void makeInstance() throws IOException {
        stored = new TestObjects.Spec();
        file = TestObjects.write(stored, CERTS.path("one.dcm"));
    }

    private void storeOnce() throws Exception {
        if (!storedOnNode) {
            Dcmtk.Result r = Dcmtk.run(30, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                    file.toString());
            assertThat(r.ok()).as(r.output()).isTrue();
            storedOnNode = true;
        }
    }

    private String https(String path) {
        return "https://127.0.0.1:" + httpPort + path;
    }

    private String qido() {
        return "/dicomweb/studies?PatientID=" + stored.patientId;
    }

    private String wado() {
        return "/wado?requestType=WADO&contentType=application/dicom&studyUID=" + stored.studyUid + "&seriesUID="
                + stored.seriesUid + "&objectUID=" + stored.sopInstanceUid;
    }

    private static HttpClient javaClient(String protocol) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(CERTS.path("node.crt"))) {
            trust.setCertificateEntry("node", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        SSLParameters params = new SSLParameters();
        params.setProtocols(new String[] {protocol});
        return HttpClient.newBuilder().sslContext(tls).sslParameters(params).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void qidoAndWadoOverTls12And13WithJavasHttpClient() throws Exception {
        storeOnce();
        for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
            HttpClient client = javaClient(protocol);
            HttpResponse<String> found = client.send(HttpRequest.newBuilder(URI.create(https(qido()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
            assertThat(found.body()).contains(stored.studyUid);
            assertThat(found.sslSession()).get().extracting(s -> s.getProtocol()).isEqualTo(protocol);

            HttpResponse<byte[]> object = client.send(HttpRequest.newBuilder(URI.create(https(wado()))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(object.statusCode()).isEqualTo(200);
            assertThat(TestObjects.dataSetOf(object.body()))
                    .isEqualTo(TestObjects.dataSetOf(Files.readAllBytes(file)));
        }
    }

    @Test
    void qidoAndWadoOverTls12And13WithCurl() throws Exception {
        storeOnce();
        for (String version : new String[] {"1.2", "1.3"}) {
            Dcmtk.Result found = Dcmtk.run(30, "curl", "-sS", "--fail", "--cacert", CERTS.path("node.crt").toString(),
                    "--tlsv" + version, "--tls-max", version, "-w", "\n%{http_code} %{ssl_verify_result}", https(qido()));
            assertThat(found.ok()).as(found.output()).isTrue();
            assertThat(found.output()).contains(stored.studyUid).endsWith("200 0");
            Path out = CERTS.path("curl-" + version + ".dcm");
            Dcmtk.Result object = Dcmtk.run(30, "curl", "-sS", "--fail", "--cacert", CERTS.path("node.crt").toString(),
                    "--tlsv" + version, "--tls-max", version, "-o", out.toString(), https(wado()));
            assertThat(object.ok()).as(object.output()).isTrue();
            assertThat(TestObjects.dataSetOf(Files.readAllBytes(out)))
                    .isEqualTo(TestObjects.dataSetOf(Files.readAllBytes(file)));
        }
    }

    @Test
    void tls10And11HandshakesAreRefusedByTheNode() throws Exception {
        for (String version : new String[] {"1.0", "1.1"}) {
            // SECLEVEL=0 lets curl's OpenSSL offer the old versions: the refusal must come from the node
            Dcmtk.Result r = Dcmtk.run(30, "curl", "-sS", "--cacert", CERTS.path("node.crt").toString(),
                    "--tlsv" + version, "--tls-max", version, "--ciphers", "DEFAULT:@SECLEVEL=0", https(qido()));
            assertThat(r.ok()).as(r.output()).isFalse();
            assertThat(r.output()).as("TLS " + version).contains("alert protocol version").doesNotContain(stored.patientId);
        }
    }

    @Test
    void plainHttpOnTheHttpsPortGetsNoData() throws Exception {
        storeOnce();
        RawHttp.Response r = RawHttp.get(httpPort, qido());
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.text()).doesNotContain(stored.studyUid).contains("TLS");
    }
}
