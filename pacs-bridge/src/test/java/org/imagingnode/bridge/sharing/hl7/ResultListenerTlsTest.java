package org.imagingnode.bridge.sharing.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private static final Path CERTS;

    static {
        try {
            CERTS = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "hl7-tls");
            TestCertificates.selfSigned(CERTS, "node", "IP:127.0.0.1");
            TestCertificates.selfSigned(CERTS, "ris");
            TestCertificates.selfSigned(CERTS, "stranger");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make test certificates with openssl", e);
        }
    }

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.sharing.hl7.tls-bundle", () -> "hl7");
        registry.add("spring.ssl.bundle.pem.hl7.keystore.certificate", () -> file("node.crt"));
        registry.add("spring.ssl.bundle.pem.hl7.keystore.private-key", () -> file("node.key"));
        registry.add("spring.ssl.bundle.pem.hl7.truststore.certificate", () -> file("ris.crt"));
    }

    private static String file(String name) {
        return "file:" + CERTS.resolve(name).toAbsolutePath();
    }

    @Autowired
    ResultListener listener;
    @Autowired
    DataSource dataSource;

    /** A TLS client trusting the node's certificate, presenting {@code name}'s certificate (none when null). */
    private static SocketFactory client(String name) {
        PemSslStoreDetails key = name == null ? null
                : PemSslStoreDetails.forCertificate(file(name + ".crt")).withPrivateKey(file(name + ".key"));
        SSLContext context = SslBundle.of(new PemSslStoreBundle(key, PemSslStoreDetails.forCertificate(file("node.crt"))))
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
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(0x0b);
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[] {0x1c, 0x0d});
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != 0x1c) {
                if (b != 0x0b) {
                    reply.write(b);
                }
            }
            return reply.toString(StandardCharsets.ISO_8859_1);
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
