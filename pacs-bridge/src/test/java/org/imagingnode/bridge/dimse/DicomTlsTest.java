package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** DICOM TLS on the second DIMSE port, with mutual authentication, as DCMTK's TLS clients use it. */
class DicomTlsTest extends NodeIntegrationTest {
    private static final TestCertificates CERTS = TestCertificates.forNodeAnd("client", "stranger");

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.dimse.tls-port", () -> "0");
        CERTS.registerBundle(registry, "dimse", "client");
    }

    @Autowired
    AuditLog audit;

    private Dcmtk.Result storeOverTls(String... tlsOptions) throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, CERTS.path(s.sopInstanceUid + ".dcm"));
        return Dcmtk.run(60, Dcmtk.args("storescu", List.of(tlsOptions), "-aet", "STORESCU", "-aec", NODE_AE,
                "127.0.0.1", Integer.toString(dimse.tlsPort()), f.toString()).toArray(String[]::new));
    }

    @Test
    void aClientWithATrustedCertificateStoresOverTls() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, CERTS.path("trusted.dcm"));
        Dcmtk.Result r = Dcmtk.run(60, "storescu", "+tls", CERTS.path("client.key").toString(),
                CERTS.path("client.crt").toString(), "+cf", CERTS.path("node.crt").toString(),
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
        Dcmtk.Result r = storeOverTls("+tls", CERTS.path("stranger.key").toString(),
                CERTS.path("stranger.crt").toString(), "+cf", CERTS.path("node.crt").toString());
        assertThat(r.ok()).isFalse();
    }

    @Test
    void aClientWithoutCertificateIsRefused() throws Exception {
        Dcmtk.Result r = storeOverTls("+tla", "+cf", CERTS.path("node.crt").toString());
        assertThat(r.ok()).isFalse();
    }

    @Test
    void plainDicomOnTheTlsPortIsRefusedAndThePlainPortStillWorks() throws Exception {
        assertThat(storeOverTls().ok()).isFalse();
        assertThat(Dcmtk.run(30, "echoscu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort()).ok())
                .isTrue();
    }
}
