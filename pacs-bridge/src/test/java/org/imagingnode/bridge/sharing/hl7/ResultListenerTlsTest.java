package org.imagingnode.bridge.sharing.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
import java.util.List;

import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.sql.DataSource;

import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * MLLP over TLS ({@code node.sharing.hl7.tls-bundle}): a RIS whose certificate the node's bundle trusts is heard and
 * named by its certificate in the audit trail; a sender with another certificate, with none, or speaking plain MLLP
 * gets no acknowledgement and nothing it sent is acted on.
 */
class ResultListenerTlsTest extends NodeIntegrationTest {
    private static final TestCertificates CERTS = TestCertificates.forNodeAnd("ris", "stranger");

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.sharing.hl7.tls-bundle", () -> "hl7");
        CERTS.registerBundle(registry, "hl7", "ris");
    }

    @Autowired
    ResultListener listener;
    @Autowired
    DataSource dataSource;

    /** A TLS client trusting the node's certificate, presenting {@code name}'s certificate (none when null). */
    private static SocketFactory client(String name) {
        PemSslStoreDetails key = name == null ? null
                : PemSslStoreDetails.forCertificate(CERTS.file(name + ".crt")).withPrivateKey(CERTS.file(name + ".key"));
        SSLContext context = SslBundle.of(new PemSslStoreBundle(key, PemSslStoreDetails.forCertificate(CERTS.file("node.crt"))))
                .createSslContext();
        return context.getSocketFactory();
    }

    /** A preliminary result (nothing to build) from application {@code sender}: any listener answers it AA. */
    private static String preliminaryResult(String sender) {
        return String.join("\r", "MSH|^~\\&|" + sender + "|HOSPITAL|IMAGINGNODE|SITE|20260115103000||ORU^R01|MSG"
                + System.nanoTime() + "|P|2.5", "PID|1||P1", "OBR|1||ACC1|CT^CT CHEST|||20260115103000" + "|".repeat(18)
                + "P");
    }

    /** One MLLP exchange; the acknowledgement's text, "" when the connection ended without one. */
    private String exchange(SocketFactory sockets, String text) throws IOException {
        try (Socket socket = sockets.createSocket("127.0.0.1", listener.port())) {
            return Mllp.exchange(socket, text);
        }
    }

    private List<String> audited(String sender) {
        return new JdbcTemplate(dataSource).queryForList("SELECT outcome || ' ' || detail FROM audit_event"
                + " WHERE action = 'hl7-message' AND actor = ?", String.class, sender + "@HOSPITAL");
    }

    @Test
    void aRisWithATrustedCertificateIsHeardAndNamedByItInTheAuditTrail() throws Exception {
        String ack = exchange(client("ris"), preliminaryResult("TRUSTEDRIS"));
        assertThat(ack).startsWith("MSH").contains("MSA|AA|");
        assertThat(audited("TRUSTEDRIS")).singleElement().satisfies(row -> {
            assertThat(row).startsWith("success ORU^R01");
            assertThat(row).endsWith("; TLS client CN=ris");
        });
    }

    @Test
    void aSenderWithAnotherCertificateOrNoneIsNotHeard() {
        for (String certificate : new String[] {"stranger", null}) {
            String sender = certificate == null ? "NOCERT" : "STRANGER";
            assertThatThrownBy(() -> assertThat(exchange(client(certificate), preliminaryResult(sender))).isEmpty())
                    .as("client certificate %s", certificate).isInstanceOf(IOException.class);
            assertThat(audited(sender)).isEmpty();
        }
    }

    @Test
    void plainMllpOnTheTlsPortGetsNoAcknowledgement() throws Exception {
        String reply;
        try {
            reply = exchange(SocketFactory.getDefault(), preliminaryResult("PLAINRIS"));
        } catch (IOException e) {
            reply = ""; // reset by the listener: no acknowledgement either
        }
        assertThat(reply).doesNotContain("MSA");
        assertThat(audited("PLAINRIS")).isEmpty();
    }
}
