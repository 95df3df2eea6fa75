package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.TestObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which identifiers of a data set are national identities: only those of the configured national issuers. */
class NationalIdExtractorTest {
    static final String INS = SpaceProperties.INS_NIR;
    final NationalIdExtractor extractor = new NationalIdExtractor(List.of(INS));

    @TempDir
    Path dir;

    private List<NationalId> extract(TestObjects.Spec s) throws Exception {
        return extractor.extract(DicomDataset.readPart10Header(TestObjects.write(s, dir.resolve(s.sopInstanceUid))));
    }

    @Test
    void an_other_patient_id_with_a_national_issuer_of_patient_id_is_the_national_identity() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.otherPatientIds.add(new String[] {"LOCAL-2", "OTHER-SITE", null});
        s.otherPatientIds.add(new String[] {"285017512345678", INS, null});
        assertThat(extract(s)).containsExactly(new NationalId("285017512345678", INS));
    }

    @Test
    void the_issuer_may_be_given_by_the_qualifiers_sequence_universal_entity_id() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.otherPatientIds.add(new String[] {"185057800608436", "INS-NIR", INS});
        assertThat(extract(s)).containsExactly(new NationalId("185057800608436", INS));
    }

    @Test
    void the_patient_id_itself_may_be_the_national_identifier() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientId = "299999912345678";
        s.issuer = INS;
        assertThat(extract(s)).containsExactly(new NationalId("299999912345678", INS));
    }

    @Test
    void identifiers_of_other_issuers_are_not_national_identities() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.otherPatientIds.add(new String[] {"123", "SOME-HOSPITAL", "1.2.3.4.5"});
        assertThat(extract(s)).isEmpty();
        assertThat(extract(new TestObjects.Spec())).isEmpty();
    }

    @Test
    void the_cx_form_round_trips_and_rejects_what_is_not_one() {
        NationalId n = new NationalId("285017512345678", INS);
        assertThat(n.cx()).isEqualTo("285017512345678^^^&" + INS + "&ISO");
        assertThat(NationalId.parseCx(n.cx())).isEqualTo(n);
        assertThat(NationalId.parseCx("285017512345678")).isNull();
        assertThat(NationalId.parseCx("^^^&1.2&ISO")).isNull();
        assertThat(NationalId.parseCx(null)).isNull();
    }
}
