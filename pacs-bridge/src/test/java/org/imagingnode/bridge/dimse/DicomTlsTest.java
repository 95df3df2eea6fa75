package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** DICOM TLS on the second DIMSE port, with mutual authentication, as DCMTK's TLS clients use it. */
class DicomTlsTest extends NodeIntegrationTest {
    private static final Path CERTS;

    static {
        try {
            CERTS = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "tls");
            TestCertificates.selfSigned(CERTS, "node");
            TestCertificates.selfSigned(CERTS, "client");
            TestCertificates.selfSigned(CERTS, "stranger");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make test certificates with openssl", e);
        }
    }

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.dimse.tls-port", () -> "0");
        registry.add("spring.ssl.bundle.pem.dimse.keystore.certificate", () -> file("node.crt"));
        registry.add("spring.ssl.bundle.pem.dimse.keystore.private-key", () -> file("node.key"));
        registry.add("spring.ssl.bundle.pem.dimse.truststore.certificate", () -> file("client.crt"));
    }

    private static String file(String name) {
        return "file:" + CERTS.resolve(name).toAbsolutePath();
    }

    @Autowired
    InstanceIndex index;

    @Autowired
    AuditLog audit;

    private Dcmtk.Result storeOverTls(String... tlsOptions) throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, CERTS.resolve(s.sopInstanceUid + ".dcm"));
        return Dcmtk.run(60, Dcmtk.args("storescu", java.util.List.of(tlsOptions), "-aet", "STORESCU", "-aec", NODE_AE,
                "127.0.0.1", Integer.toString(dimse.tlsPort()), f.toString()).toArray(String[]::new));
    }

    @Test
    void aClientWithATrustedCertificateStoresOverTls() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, CERTS.resolve("trusted.dcm"));
        Dcmtk.Result r = Dcmtk.run(60, "storescu", "+tls", CERTS.resolve("client.key").toString(),
                CERTS.resolve("client.crt").toString(), "+cf", CERTS.resolve("node.crt").toString(),
                "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", Integer.toString(dimse.tlsPort()), f.toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(index.findInstance(s.sopInstanceUid)).isPresent();
        // the audit trail names the AE and the certificate it authenticated with
        assertThat(audit.forStudy(s.studyUid, 10)).singleElement().satisfies(e -> {
            assertThat(e.actor()).isEqualTo("STORESCU");
            assertThat(e.channel()).isEqualTo("DIMSE");
            assertThat(e.detail()).endsWith("TLS client CN=client");
        });
    }

    @Test
    void aClientWhoseCertificateIsNotTrustedIsRefused() throws Exception {
        Dcmtk.Result r = storeOverTls("+tls", CERTS.resolve("stranger.key").toString(),
                CERTS.resolve("stranger.crt").toString(), "+cf", CERTS.resolve("node.crt").toString());
        assertThat(r.ok()).isFalse();
    }

    @Test
    void aClientWithoutCertificateIsRefused() throws Exception {
        Dcmtk.Result r = storeOverTls("+tla", "+cf", CERTS.resolve("node.crt").toString());
        assertThat(r.ok()).isFalse();
    }

    @Test
    void plainDicomOnTheTlsPortIsRefusedAndThePlainPortStillWorks() throws Exception {
        assertThat(storeOverTls().ok()).isFalse();
        assertThat(Dcmtk.run(30, "echoscu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok())
                .isTrue();
    }
}
