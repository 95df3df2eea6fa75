package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.sql.DataSource;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Every DIMSE operation goes through the node's one authorisation point (per-AE permissions) and leaves an
 * audit row: who (calling AE), role, patient, study, action, channel DIMSE, outcome, time and source address.
 * Driven by DCMTK's storescu, findscu, getscu and movescu.
 */
class DimseAccessAuditTest extends NodeIntegrationTest {
    @TempDir
    static Path work;

    @Autowired
    AuditLog audit;

    @Autowired
    DataSource dataSource;

    private Dcmtk.Result tool(String... args) throws Exception {
        return Dcmtk.run(60, args);
    }

    private static void assertDimseRow(AuditEvent e, String actor, String patientId) {
        assertThat(e.actor()).isEqualTo(actor);
        assertThat(e.actorRole()).isEqualTo("dimse-ae");
        assertThat(e.channel()).isEqualTo("DIMSE");
        assertThat(e.patientId()).isEqualTo(patientId);
        assertThat(e.sourceAddress()).isEqualTo("127.0.0.1");
        assertThat(e.time()).isNotNull();
    }

    @Test
    void store_find_get_and_move_each_write_an_audit_row_naming_the_calling_ae_patient_and_study() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, work.resolve("audited.dcm"));
        assertThat(tool("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(), f.toString()).ok())
                .isTrue();
        Dcmtk.Result find = tool("findscu", "-S", "-aet", "FINDSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + s.patientId, "-k", "StudyInstanceUID=" + s.studyUid);
        assertThat(find.ok()).as(find.output()).isTrue();
        Path got = Files.createDirectories(work.resolve("got"));
        Dcmtk.Result get = tool("getscu", "-S", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + s.studyUid, "-od", got.toString());
        assertThat(get.ok()).as(get.output()).isTrue();
        Dcmtk.Result move = tool("movescu", "-S", "-aet", "MOVESCU", "-aec", NODE_AE, "-aem", "NOWHERE", "127.0.0.1",
                dimsePort(), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + s.studyUid);
        assertThat(move.output()).contains("MoveDestinationUnknown");

        List<AuditEvent> events = audit.forStudy(s.studyUid, 50);
        assertThat(events).filteredOn(e -> e.action().equals("store")).singleElement().satisfies(e -> {
            assertDimseRow(e, "STORESCU", s.patientId);
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).contains("1 instances stored");
        });
        assertThat(events).filteredOn(e -> e.action().equals("query")).singleElement().satisfies(e -> {
            assertDimseRow(e, "FINDSCU", s.patientId);
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).contains("C-FIND STUDY: 1 matches");
        });
        assertThat(events).filteredOn(e -> e.actor().equals("GETSCU")).singleElement().satisfies(e -> {
            assertDimseRow(e, "GETSCU", null);
            assertThat(e.action()).isEqualTo("retrieve");
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).startsWith("C-GET: 1 instances");
        });
        assertThat(events).filteredOn(e -> e.actor().equals("MOVESCU")).singleElement().satisfies(e -> {
            assertDimseRow(e, "MOVESCU", null);
            assertThat(e.outcome()).isEqualTo("failure");
            assertThat(e.detail()).contains("unknown destination NOWHERE");
        });
    }

    @Test
    void an_ae_without_the_permission_is_refused_by_the_authorisation_point_and_the_refusal_is_audited()
            throws Exception {
        // GETSCU may only retrieve: it is offered storage contexts (C-GET needs them) but may not store
        TestObjects.Spec s = new TestObjects.Spec();
        Path f = TestObjects.write(s, work.resolve("refused.dcm"));
        Dcmtk.Result r = tool("storescu", "-v", "-aet", "GETSCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(), f.toString());
        assertThat(r.output()).contains("Store Response (Unknown Status: 0x124)"); // Refused: Not Authorized
        List<String> rows = new JdbcTemplate(dataSource).queryForList("SELECT actor_role || ' ' || channel || ' '"
                + " || action || ' ' || outcome || ' ' || source_address FROM audit_event WHERE actor = 'GETSCU'"
                + " AND detail LIKE ?", String.class, "%C-STORE of " + s.sopInstanceUid + "%");
        assertThat(rows).containsExactly("dimse-ae DIMSE store denied 127.0.0.1");
        assertThat(audit.forStudy(s.studyUid, 10)).isEmpty(); // nothing was read from the refused data set
    }
}
