package org.imagingnode.bridge.sharing.hl7;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import javax.sql.DataSource;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The HL7 v2 listener, driven by HAPI's own MLLP client over loopback: a validated report result (ORU^R01, OBR-25 F
 * or C) naming a stored study by ZDS-1, by an OBX "Study Instance UID" or by accession number builds its manifest
 * (as the report-validated API does) and is answered AA; an unknown study, a missing status or study, a garbled
 * message are answered AE with the reason; other message types AR; every message is audited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResultListenerTest extends NodeIntegrationTest {
    @TempDir
    Path work;
    @Autowired
    ResultListener listener;
    @Autowired
    DataSource dataSource;

    private HapiContext client;
    private Connection connection;

    @BeforeAll
    void connect() throws Exception {
        client = new DefaultHapiContext();
        client.setModelClassFactory(new CanonicalModelClassFactory("2.5"));
        client.setValidationContext(ValidationContextFactory.noValidation());
        client.getParserConfiguration().setIdGenerator(new ca.uhn.hl7v2.util.idgenerator.NanoTimeGenerator());
        connection = client.newClient("127.0.0.1", listener.port(), false);
    }

    @AfterAll
    void disconnect() throws Exception {
        connection.close();
        client.close();
    }

    private TestObjects.Spec storeStudy() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        s.accession = "H" + (System.nanoTime() % 1_000_000_000_000L);
        Dcmtk.Result r = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(s, work.resolve(s.sopInstanceUid + ".dcm")).toString());
        assertThat(r.ok()).as(r.output()).isTrue();
        return s;
    }

    /** A message from segments; MSH-10 (control id) is unique. */
    private static String message(String type, String version, String... segments) {
        List<String> all = new ArrayList<>();
        all.add("MSH|^~\\&|RIS|HOSPITAL|IMAGINGNODE|SITE|20260115103000||" + type + "|MSG" + System.nanoTime()
                + "|P|" + version);
        Collections.addAll(all, segments);
        return String.join("\r", all);
    }

    /** An OBR with OBR-3 (filler order number), OBR-18 (placer field 1) and OBR-25 (result status); null: empty. */
    private static String obr(String fillerOrder, String placerField1, String status) {
        String[] f = new String[26];
        Arrays.fill(f, "");
        f[0] = "OBR";
        f[1] = "1";
        f[3] = fillerOrder == null ? "" : fillerOrder;
        f[4] = "CT^CT CHEST";
        f[7] = "20260115103000";
        f[18] = placerField1 == null ? "" : placerField1;
        f[25] = status == null ? "" : status;
        return String.join("|", f);
    }

    private Terser send(String text) throws Exception {
        Message ack = connection.getInitiator().sendAndReceive(client.getPipeParser().parse(text));
        return new Terser(ack);
    }

    private boolean manifestBuilt(TestObjects.Spec s) {
        return !new JdbcTemplate(dataSource).queryForList("SELECT 1 FROM instance i JOIN series se ON se.pk ="
                + " i.series_fk JOIN study st ON st.pk = se.study_fk WHERE st.study_instance_uid = ? AND i.source_ae = ?",
                Integer.class, s.studyUid, InstanceIndex.OWN_SOURCE_PREFIX + "manifest").isEmpty();
    }

    private List<String> audited(String action, String detailLike) {
        return new JdbcTemplate(dataSource).queryForList("SELECT outcome || ' ' || actor || ' ' || channel FROM audit_event"
                + " WHERE action = ? AND detail LIKE ?", String.class, action, detailLike);
    }

    @Test
    void aFinalResultNamingTheStudyByZdsBuildsItsManifestAndIsAcknowledgedAa() throws Exception {
        TestObjects.Spec s = storeStudy();
        String text = message("ORU^R01^ORU_R01", "2.5", "PID|1||" + s.patientId, obr("X1", null, "F"), "ZDS|" + s.studyUid + "^RIS^Application^DICOM",
                "OBX|1|TX|REPORT||Normal chest.||||||F");
        Terser ack = send(text);
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AA");
        assertThat(ack.get("/MSA-3")).contains("manifest built for study " + s.studyUid);
        assertThat(manifestBuilt(s)).isTrue();
        assertThat(audited("hl7-message", "ORU^R01 %manifest built for study " + s.studyUid + "%"))
                .containsExactly("success RIS@HOSPITAL HL7");
        assertThat(audited("store", "report-validated: manifest built")).contains("success RIS@HOSPITAL HL7");
    }

    @Test
    void anOlderVersionCorrectedResultNamingTheStudyByAccessionOrByAnObxStudyUidIsHandledToo() throws Exception {
        TestObjects.Spec byAccession = storeStudy();
        Terser ack = send(message("ORU^R01", "2.3.1", "PID|1||" + byAccession.patientId,
                obr("FILLER-9", byAccession.accession, "C")));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AA");
        assertThat(manifestBuilt(byAccession)).isTrue();

        TestObjects.Spec byObx = storeStudy();
        ack = send(message("ORU^R01^ORU_R01", "2.5", "PID|1||" + byObx.patientId,
                obr(null, null, "F"),
                "OBX|1|ST|110180^Study Instance UID^DCM||" + byObx.studyUid + "||||||F"));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AA");
        assertThat(manifestBuilt(byObx)).isTrue();
    }

    @Test
    void aPreliminaryResultDoesNothingAndUnknownOrUnnamedStudiesAreAnsweredAeWithTheReason() throws Exception {
        TestObjects.Spec s = storeStudy();
        Terser ack = send(message("ORU^R01", "2.5", "PID|1||" + s.patientId,
                obr(s.accession, null, "P")));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AA");
        assertThat(ack.get("/MSA-3")).contains("result status P", "nothing done");
        assertThat(manifestBuilt(s)).isFalse();

        ack = send(message("ORU^R01", "2.5", "PID|1||X", obr("NOPE-" + System.nanoTime() % 100000, null, "F")));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AE");
        assertThat(ack.get("/MSA-3")).contains("accession NOPE-", "no such study");

        ack = send(message("ORU^R01", "2.5", "PID|1||X", obr(null, null, "F")));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AE");
        assertThat(ack.get("/MSA-3")).contains("no study named");

        ack = send(message("ORU^R01", "2.5", "PID|1||X", obr(s.accession, null, null)));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AE");
        assertThat(ack.get("/MSA-3")).contains("OBR-25");
        assertThat(manifestBuilt(s)).isFalse();
        assertThat(audited("hl7-message", "%no such study%")).containsExactly("failure RIS@HOSPITAL HL7");
    }

    @Test
    void otherMessageTypesAreRejectedAr() throws Exception {
        Terser ack = send(message("ADT^A01^ADT_A01", "2.5", "EVN|A01|20260115", "PID|1||P1||Doe^John"));
        assertThat(ack.get("/MSA-1")).as(ack.get("/MSA-3")).isEqualTo("AR");
        assertThat(ack.get("/MSA-3")).contains("ADT^A01", "not handled");
    }

    @Test
    void aGarbledMessageGetsAnErrorAcknowledgementAndIsAudited() throws Exception {
        String reply = sendRaw("MSH|^~\\&|GARBLER|LAB|||20260115||\rOBR|1");
        assertThat(reply).startsWith("MSH").contains("MSA|AE|", "malformed message");
        assertThat(audited("hl7-message", "unparseable message%")).contains("failure GARBLER@LAB HL7");
    }

    @Test
    void theListenerIsOnLoopbackOnly() throws Exception {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (!a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(a, listener.port()), 2000);
                        throw new AssertionError("the HL7 listener answered on " + a);
                    } catch (IOException expected) {
                        // refused: not listening there
                    }
                }
            }
        }
        try (Socket socket = new Socket("127.0.0.1", listener.port())) {
            assertThat(socket.isConnected()).isTrue();
        }
    }

    /** One MLLP exchange over a plain socket (for bytes HAPI's client would refuse to send). */
    private String sendRaw(String text) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", listener.port())) {
            return Mllp.exchange(socket, text);
        }
    }
}
