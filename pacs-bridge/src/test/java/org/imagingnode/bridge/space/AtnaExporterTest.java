package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.xml.parsers.DocumentBuilderFactory;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.PostgresAuditLog;
import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The audit trail exported as DICOM/ATNA audit messages in RFC 5424 syslog to a receiver on loopback,
 * over UDP and over TLS: every event recorded after export starts, once, parseable.
 */
class AtnaExporterTest {
    private static final Pattern RFC5424 = Pattern.compile(
            "^<(\\d{1,3})>1 (\\S+) (\\S+) imaging-node (\\d+) IHE\\+RFC-3881 - \uFEFF(<\\?xml.*</AuditMessage>)$",
            Pattern.DOTALL);
    final PostgresAuditLog audit = new PostgresAuditLog(TestPostgres.get().dataSource());

    private List<AuditEvent> recordSome(String actor, String study) {
        List<AuditEvent> events = List.of(
                new AuditEvent(Instant.now(), actor, "professional", "retrieve", "DICOMweb", "P1", study, "success",
                        "WADO-RS study", "127.0.0.1"),
                new AuditEvent(Instant.now(), actor, "professional", "retrieve", "viewer", "P1", study, "denied",
                        "professional blocked by the patient <&>", "127.0.0.1"),
                new AuditEvent(Instant.now(), actor, "professional", "break-glass", "API", "123^^^&1.2&ISO", null,
                        "success", "EMERGENCY ACCESS, reason: coma", "127.0.0.1"));
        events.forEach(audit::record);
        return events;
    }

    private static Element parse(String syslog, List<String> hosts) throws Exception {
        Matcher m = RFC5424.matcher(syslog);
        assertThat(m.matches()).as(syslog).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isBetween(80, 87); // facility 10
        hosts.add(m.group(3));
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(m.group(5).getBytes(StandardCharsets.UTF_8)));
        return d.getDocumentElement();
    }

    private static String attr(Element root, String element, String attribute, int index) {
        return ((Element) root.getElementsByTagName(element).item(index)).getAttribute(attribute);
    }

    private static void assertTheThreeEvents(List<Element> mine, String actor, String study) {
        assertThat(mine).hasSize(3);
        Element retrieve = mine.get(0);
        assertThat(attr(retrieve, "EventID", "csd-code", 0)).isEqualTo("110103");
        assertThat(attr(retrieve, "EventIdentification", "EventOutcomeIndicator", 0)).isEqualTo("0");
        assertThat(attr(retrieve, "ActiveParticipant", "NetworkAccessPointID", 0)).isEqualTo("127.0.0.1");
        assertThat(attr(retrieve, "ParticipantObjectIdentification", "ParticipantObjectID", 1)).isEqualTo(study);
        Element denied = mine.get(1);
        assertThat(attr(denied, "EventIdentification", "EventOutcomeIndicator", 0)).isEqualTo("4");
        assertThat(denied.getElementsByTagName("EventOutcomeDescription").item(0).getTextContent())
                .isEqualTo("professional blocked by the patient <&>");
        Element glass = mine.get(2);
        assertThat(attr(glass, "EventID", "csd-code", 0)).isEqualTo("110113");
        assertThat(attr(glass, "EventTypeCode", "csd-code", 0)).isEqualTo("110127");
        assertThat(attr(glass, "ParticipantObjectIdentification", "ParticipantObjectID", 0)).isEqualTo("123^^^&1.2&ISO");
    }

    @Test
    void an_index_entry_a_consumer_refused_to_follow_is_a_security_alert() throws Exception {
        String xml = AtnaMessages.xml(new AuditEvent(Instant.now(), "RPPS-1", "professional", "untrusted-source",
                "index", "123^^^&1.2&ISO", "1.2.3", "denied", "index entry not followed: node A at http://x/dicomweb",
                "127.0.0.1"), "node-b");
        Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        assertThat(attr(root, "EventID", "csd-code", 0)).isEqualTo("110113");
        assertThat(attr(root, "EventIdentification", "EventOutcomeIndicator", 0)).isEqualTo("4");
        assertThat(attr(root, "ParticipantObjectIdentification", "ParticipantObjectID", 0)).isEqualTo("123^^^&1.2&ISO");
    }

    @Test
    void events_go_out_once_over_udp_in_order_and_another_node_holding_the_export_sends_nothing() throws Exception {
        String actor = "RPPS-" + System.nanoTime();
        String study = "2.25." + System.nanoTime();
        try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                AtnaExporter exporter = new AtnaExporter(TestPostgres.get().dataSource(),
                        AtnaExporter.udp("127.0.0.1", receiver.getLocalPort()), "TESTNODE")) {
            receiver.setSoTimeout(5000);
            exporter.exportBatch(); // starts the export here
            recordSome(actor, study);
            Thread.sleep(1200);

            // while another node holds the export, this one sends nothing
            try (Connection other = TestPostgres.get().dataSource().getConnection()) {
                other.setAutoCommit(false);
                try (PreparedStatement ps = other.prepareStatement(
                        "SELECT last_id FROM audit_export_position WHERE exporter = 'syslog' FOR UPDATE")) {
                    ps.executeQuery().close();
                }
                assertThat(exporter.exportBatch()).isZero();
                other.rollback();
            }

            int sent = exporter.exportBatch();
            assertThat(sent).isGreaterThanOrEqualTo(3);
            List<Element> mine = new ArrayList<>();
            List<String> hosts = new ArrayList<>();
            for (int i = 0; i < sent; i++) {
                DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
                receiver.receive(p);
                Element root = parse(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8), hosts);
                if (actor.equals(attr(root, "ActiveParticipant", "UserID", 0))) {
                    mine.add(root);
                }
            }
            assertTheThreeEvents(mine, actor, study);
            assertThat(exporter.exportBatch()).isZero(); // nothing twice
        }
    }

    @Test
    void events_go_out_over_tls_with_octet_counting_framing(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("arr.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "arr", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=arr.test",
                "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "changeit").redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("arr", store.getCertificate("arr"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        String actor = "RPPS-" + System.nanoTime();
        String study = "2.25." + System.nanoTime();
        List<String> received = new CopyOnWriteArrayList<>();
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 5,
                InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (var s = listener.accept(); DataInputStream in = new DataInputStream(s.getInputStream())) {
                    while (true) {
                        StringBuilder len = new StringBuilder();
                        int c;
                        while ((c = in.read()) != ' ') {
                            if (c < 0) {
                                return;
                            }
                            len.append((char) c);
                        }
                        byte[] msg = new byte[Integer.parseInt(len.toString())];
                        in.readFully(msg);
                        received.add(new String(msg, StandardCharsets.UTF_8));
                    }
                } catch (Exception e) {
                    // connection closed
                }
            });
            t.start();
            try (AtnaExporter exporter = new AtnaExporter(TestPostgres.get().dataSource(),
                    AtnaExporter.tls("127.0.0.1", listener.getLocalPort(), client), "TESTNODE")) {
                exporter.exportBatch();
                recordSome(actor, study);
                Thread.sleep(1200);
                int sent = exporter.exportBatch();
                assertThat(sent).isGreaterThanOrEqualTo(3);
                long deadline = System.currentTimeMillis() + 5000;
                while (received.size() < sent && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
            }
            t.join(5000);
        }
        List<Element> mine = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (String m : received) {
            Element root = parse(m, hosts);
            if (actor.equals(attr(root, "ActiveParticipant", "UserID", 0))) {
                mine.add(root);
            }
        }
        assertTheThreeEvents(mine, actor, study);
    }
}
