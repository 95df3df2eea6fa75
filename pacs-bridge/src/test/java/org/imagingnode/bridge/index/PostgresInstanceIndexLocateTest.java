package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagingnode.bridge.index.TestInstances.instance;
import static org.imagingnode.bridge.index.TestInstances.uid;

import java.util.List;

import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retrieve edges (C-GET, C-MOVE, WADO) find the stored bytes with {@link PostgresInstanceIndex#locate}
 * and {@link PostgresInstanceIndex#findInstance}.
 *
 * <p>Fixture: one patient, study A with series 2 (images 2, 1) and series 1 (images 1, 2, 3) stored in
 * that order, and study B with one image.
 */
class PostgresInstanceIndexLocateTest {
    private static final PostgresInstanceIndex INDEX = new PostgresInstanceIndex(TestPostgres.get().dataSource());
    private static final String PATIENT = TestInstances.token();
    private static final String STUDY_A = uid(), STUDY_B = uid();
    private static final String SERIES_1 = uid(), SERIES_2 = uid(), SERIES_B = uid();
    private static final String S2_I2 = uid(), S2_I1 = uid(), S1_I1 = uid(), S1_I2 = uid(), S1_I3 = uid(), B_I1 = uid();

    @BeforeAll
    static void loadFixture() {
        store(STUDY_A, SERIES_2, 2, S2_I2, 2);
        store(STUDY_A, SERIES_2, 2, S2_I1, 1);
        store(STUDY_A, SERIES_1, 1, S1_I3, 3);
        store(STUDY_A, SERIES_1, 1, S1_I1, 1);
        store(STUDY_A, SERIES_1, 1, S1_I2, 2);
        store(STUDY_B, SERIES_B, 1, B_I1, 1);
    }

    private static void store(String study, String series, int seriesNumber, String sop, int instanceNumber) {
        INDEX.upsert(instance().patient(PATIENT, "Locate^Test").study(study).series(series, "CT", seriesNumber)
                .sop(sop, TestInstances.CT_IMAGE, instanceNumber).build());
    }

    private static List<String> sops(List<InstanceLocation> locations) {
        return locations.stream().map(InstanceLocation::sopInstanceUid).toList();
    }

    @Test
    void aStudyLevelRetrieveGetsEveryInstanceOrderedBySeriesNumberThenInstanceNumber() {
        List<InstanceLocation> found = INDEX.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, STUDY_A)));

        assertThat(sops(found)).containsExactly(S1_I1, S1_I2, S1_I3, S2_I1, S2_I2);
        assertThat(found.get(0)).isEqualTo(new InstanceLocation(STUDY_A, SERIES_1, S1_I1, TestInstances.CT_IMAGE,
                TestInstances.EXPLICIT_LE, "blobs/" + S1_I1, 524_288, "00".repeat(32), 332));
    }

    @Test
    void aSeriesLevelRetrieveTakesAStudyAndAListOfSeries() {
        List<InstanceLocation> found = INDEX.locate(List.of(
                new Condition.SingleValue(IndexAttribute.StudyInstanceUID, STUDY_A),
                new Condition.UidList(IndexAttribute.SeriesInstanceUID, List.of(SERIES_2, SERIES_B))));

        assertThat(sops(found)).containsExactly(S2_I1, S2_I2);
    }

    @Test
    void anImageLevelRetrieveTakesAListOfInstances() {
        assertThat(sops(INDEX.locate(List.of(new Condition.UidList(IndexAttribute.SOPInstanceUID, List.of(B_I1, S1_I2))))))
                .containsExactly(S1_I2, B_I1);
    }

    @Test
    void aPatientLevelRetrieveGetsEveryStudyOfThePatient() {
        assertThat(INDEX.locate(List.of(new Condition.SingleValue(IndexAttribute.PatientID, PATIENT)))).hasSize(6);
    }

    @Test
    void unknownUidsLocateNothing() {
        assertThat(INDEX.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, uid())))).isEmpty();
        assertThat(INDEX.findInstance(uid())).isEmpty();
    }

    @Test
    void findInstanceGivesOneInstanceLocation() {
        assertThat(INDEX.findInstance(S2_I1)).hasValueSatisfying(location -> {
            assertThat(location.studyInstanceUid()).isEqualTo(STUDY_A);
            assertThat(location.seriesInstanceUid()).isEqualTo(SERIES_2);
            assertThat(location.blobKey()).isEqualTo("blobs/" + S2_I1);
        });
    }

    @Test
    void aRetrieveNeverAddressesTheWholeArchive() {
        assertThatThrownBy(() -> INDEX.locate(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one");
        assertThatThrownBy(() -> INDEX.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, ""),
                new Condition.Wildcard(IndexAttribute.PatientName, "*")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("match everything");
    }
}
