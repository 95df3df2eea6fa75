package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.dimse.association.PresentationContext;
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
    void a_c_get_whose_requestor_aborts_mid_study_is_still_audited_with_what_it_was_sent() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<String> files = List.of(TestObjects.write(s, work.resolve("dropped1.dcm")).toString(),
                TestObjects.write(s.sameSeries(), work.resolve("dropped2.dcm")).toString());
        assertThat(tool(Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(), files)
                .toArray(String[]::new)).ok()).isTrue();
        // a C-GET requestor (this node's own association code as the peer) that aborts on the first C-STORE-RQ
        List<PresentationContext> contexts = List.of(
                PresentationContext.proposed(1, SopClasses.STUDY_ROOT_GET, List.of(TransferSyntax.EXPLICIT_VR_LE)),
                PresentationContext.proposed(3, TestObjects.CT_IMAGE, List.of(TransferSyntax.EXPLICIT_VR_LE)));
        try (Association a = Association.connect("127.0.0.1", Integer.parseInt(dimsePort()),
                new AssociationParameters(NODE_AE, "GETSCU", contexts, 65536, Part10.IMPLEMENTATION_CLASS_UID, "TEST",
                        Map.of(TestObjects.CT_IMAGE, new boolean[] {false, true})), 5000)) {
            DicomDataset identifier = DicomDataset.newUtf8();
            identifier.putString(Tag.QueryRetrieveLevel, "STUDY");
            identifier.putString(Tag.StudyInstanceUID, s.studyUid);
            a.send(1, Command.of(Command.C_GET_RQ, true).put(Command.MessageID, 1)
                    .put(Command.AffectedSOPClassUID, SopClasses.STUDY_ROOT_GET).put(Command.Priority, 0),
                    out -> identifier.write(out, TransferSyntax.EXPLICIT_VR_LE));
            assertThat(a.receive().command().field()).isEqualTo(Command.C_STORE_RQ);
            a.abort();
        }
        AuditEvent dropped = awaitAudited(s.studyUid, "GETSCU");
        assertDimseRow(dropped, "GETSCU", null);
        assertThat(dropped.action()).isEqualTo("retrieve");
        assertThat(dropped.outcome()).isEqualTo("failure");
        assertThat(dropped.detail()).startsWith("C-GET: 2 instances, 0 sent in all")
                .contains("association with the requestor lost");
    }

    /** The audit row of that actor about that study, once the node wrote it (its association ended abruptly). */
    private AuditEvent awaitAudited(String studyUid, String actor) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            List<AuditEvent> rows = audit.forStudy(studyUid, 10).stream().filter(e -> e.actor().equals(actor)).toList();
            if (!rows.isEmpty()) {
                return rows.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no audit row of " + actor + " about study " + studyUid);
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
