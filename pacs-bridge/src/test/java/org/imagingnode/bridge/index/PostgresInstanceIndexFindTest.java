package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagingnode.bridge.index.IndexAttribute.AccessionNumber;
import static org.imagingnode.bridge.index.IndexAttribute.BodyPartExamined;
import static org.imagingnode.bridge.index.IndexAttribute.InstanceNumber;
import static org.imagingnode.bridge.index.IndexAttribute.IssuerOfPatientID;
import static org.imagingnode.bridge.index.IndexAttribute.Modality;
import static org.imagingnode.bridge.index.IndexAttribute.ModalitiesInStudy;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfFrames;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfPatientRelatedInstances;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfPatientRelatedSeries;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfPatientRelatedStudies;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfSeriesRelatedInstances;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfStudyRelatedInstances;
import static org.imagingnode.bridge.index.IndexAttribute.NumberOfStudyRelatedSeries;
import static org.imagingnode.bridge.index.IndexAttribute.PatientBirthDate;
import static org.imagingnode.bridge.index.IndexAttribute.PatientID;
import static org.imagingnode.bridge.index.IndexAttribute.PatientName;
import static org.imagingnode.bridge.index.IndexAttribute.ReferringPhysicianName;
import static org.imagingnode.bridge.index.IndexAttribute.Rows;
import static org.imagingnode.bridge.index.IndexAttribute.SOPClassUID;
import static org.imagingnode.bridge.index.IndexAttribute.SOPClassesInStudy;
import static org.imagingnode.bridge.index.IndexAttribute.SOPInstanceUID;
import static org.imagingnode.bridge.index.IndexAttribute.SeriesInstanceUID;
import static org.imagingnode.bridge.index.IndexAttribute.SeriesNumber;
import static org.imagingnode.bridge.index.IndexAttribute.StudyDate;
import static org.imagingnode.bridge.index.IndexAttribute.StudyDescription;
import static org.imagingnode.bridge.index.IndexAttribute.StudyInstanceUID;
import static org.imagingnode.bridge.index.IndexAttribute.StudyTime;
import static org.imagingnode.bridge.index.TestInstances.CT_IMAGE;
import static org.imagingnode.bridge.index.TestInstances.MR_IMAGE;
import static org.imagingnode.bridge.index.TestInstances.SR_DOCUMENT;
import static org.imagingnode.bridge.index.TestInstances.instance;
import static org.imagingnode.bridge.index.TestInstances.uid;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import org.assertj.core.groups.Tuple;
import org.imagingnode.bridge.database.TestPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Query/retrieve edges search the index with {@link PostgresInstanceIndex#find}: DICOM matching
 * (PS3.4 C.2.2.2) at each level, derived attributes, paging, and refusal of unanswerable queries.
 *
 * <p>Fixture (all patient IDs start with this class's unique token, which every query also matches on):
 * <pre>
 * P1 Müller^Jürgen  S1 2024-01-10 08:30:00 "A%1"  CT(1: 3 images) SR(2: 1 document)   ref. Smith^Anna
 *                   S2 2024-02-20 14:15:00 "A_1"  MR(1: 2 images, 2 frames each)
 * P2 山田^太郎       S3 2023-12-31 23:59:59 "AB1"  CT(1: 1 image)
 * P3 MÜLLER^HANS^^^ S4 (no date, no time) "A\1"  MR(1: 1 image) CT(2: 1 image)
 * P4 Doe^John       S5 2024-03-01 12:00    "acc" CT(1: 1 image)
 * </pre>
 */
class PostgresInstanceIndexFindTest {
    private static final String T = TestInstances.token();
    private static final String P1 = T + "-P1", P2 = T + "-P2", P3 = T + "-P3", P4 = T + "-P4";
    private static final String S1 = uid(), S2 = uid(), S3 = uid(), S4 = uid(), S5 = uid();
    private static final String S1_CT = uid(), S1_SR = uid(), S2_MR = uid(), S3_CT = uid(), S4_MR = uid(), S4_CT = uid(),
            S5_CT = uid();
    private static final List<String> S1_CT_IMAGES = List.of(uid(), uid(), uid());

    private static final PostgresInstanceIndex INDEX = new PostgresInstanceIndex(TestPostgres.get().dataSource());

    @BeforeAll
    static void loadFixture() {
        for (int n = 0; n < 3; n++) {
            INDEX.upsert(s1().series(S1_CT, "CT", 1).sop(S1_CT_IMAGES.get(n), CT_IMAGE, n + 1).build());
        }
        INDEX.upsert(s1().series(S1_SR, "SR", 2).sop(uid(), SR_DOCUMENT, 1).build());
        for (int n = 1; n <= 2; n++) {
            INDEX.upsert(instance().patient(P1, "Müller^Jürgen").birthDate(LocalDate.of(1960, 5, 1)).study(S2)
                    .studyDate(LocalDate.of(2024, 2, 20)).studyTime("141500").accession("A_1").studyDescription("MR BRAIN")
                    .series(S2_MR, "MR", 1).sop(uid(), MR_IMAGE, n).frames(2).build());
        }
        INDEX.upsert(instance().patient(P2, "山田^太郎").birthDate(LocalDate.of(1985, 7, 7)).study(S3)
                .studyDate(LocalDate.of(2023, 12, 31)).studyTime("235959").accession("AB1").studyDescription("CT HEAD")
                .series(S3_CT, "CT", 1).build());
        INDEX.upsert(instance().patient(P3, "MÜLLER^HANS^^^").study(S4).studyDate(null).studyTime(null)
                .accession("A\\1").series(S4_MR, "MR", 1).sop(uid(), MR_IMAGE, 1).build());
        INDEX.upsert(instance().patient(P3, "MÜLLER^HANS^^^").study(S4).studyDate(null).studyTime(null)
                .accession("A\\1").series(S4_CT, "CT", 2).build());
        INDEX.upsert(instance().patient(P4, "Doe^John").study(S5).studyDate(LocalDate.of(2024, 3, 1)).studyTime("1200")
                .accession("acc").series(S5_CT, "CT", 1).build());
    }

    private static TestInstances.Builder s1() {
        return instance().patient(P1, "Müller^Jürgen").birthDate(LocalDate.of(1960, 5, 1)).study(S1)
                .studyDate(LocalDate.of(2024, 1, 10)).studyTime("083000").accession("A%1").studyDescription("CT THORAX")
                .referringPhysician("Smith^Anna");
    }

    /** This fixture's rows only: every query also matches PatientID against the class token. */
    private static List<IndexRow> find(QueryLevel level, Set<IndexAttribute> returned, int limit, int offset,
            Condition... conditions) {
        List<Condition> all = new ArrayList<>(List.of(conditions));
        all.add(new Condition.Wildcard(PatientID, T + "-*"));
        return INDEX.find(new IndexQuery(level, all, returned, limit, offset));
    }

    private static List<IndexRow> find(QueryLevel level, Condition... conditions) {
        return find(level, Set.of(), 0, 0, conditions);
    }

    /** The StudyInstanceUIDs a STUDY query returns, in order. */
    private static List<Object> studies(Condition... conditions) {
        return find(QueryLevel.STUDY, conditions).stream().map(r -> r.get(StudyInstanceUID)).toList();
    }

    private static Condition single(IndexAttribute a, String v) {
        return new Condition.SingleValue(a, v);
    }

    private static Condition wildcard(IndexAttribute a, String v) {
        return new Condition.Wildcard(a, v);
    }

    // ---- returned attributes ----

    @Test
    void aStudyRowCarriesItsUniqueKeysAndTheRequestedAttributesOnly() {
        List<IndexRow> rows = find(QueryLevel.STUDY, Set.of(StudyDate, AccessionNumber, PatientName), 0, 0,
                single(PatientID, P1));

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).values()).containsOnlyKeys(PatientID, StudyInstanceUID, StudyDate, AccessionNumber,
                PatientName);
        assertThat(rows.get(0).values()).containsEntry(PatientID, P1).containsEntry(StudyInstanceUID, S1)
                .containsEntry(StudyDate, LocalDate.of(2024, 1, 10)).containsEntry(AccessionNumber, "A%1")
                .containsEntry(PatientName, "Müller^Jürgen");
        assertThat(rows.get(1).get(StudyInstanceUID)).isEqualTo(S2);
    }

    @Test
    void aSeriesRowCarriesTheStudyAndPatientKeysAbove() {
        List<IndexRow> rows = find(QueryLevel.SERIES, Set.of(Modality, SeriesNumber), 0, 0, single(StudyInstanceUID, S1));

        assertThat(rows).extracting(r -> r.get(SeriesInstanceUID)).containsExactly(S1_CT, S1_SR);
        assertThat(rows).allSatisfy(r -> assertThat(r.values()).containsEntry(StudyInstanceUID, S1)
                .containsEntry(PatientID, P1));
        assertThat(rows).extracting(r -> r.get(Modality), r -> r.get(SeriesNumber))
                .containsExactly(Tuple.tuple("CT", 1), Tuple.tuple("SR", 2));
    }

    @Test
    void anImageRowCarriesEveryKeyAboveAndTypedValues() {
        List<IndexRow> rows = find(QueryLevel.IMAGE, Set.of(SOPClassUID, InstanceNumber, Rows, NumberOfFrames), 0, 0,
                single(SeriesInstanceUID, S1_CT));

        assertThat(rows).extracting(r -> r.get(SOPInstanceUID)).containsExactlyElementsOf(S1_CT_IMAGES);
        assertThat(rows.get(0).values()).containsEntry(PatientID, P1).containsEntry(StudyInstanceUID, S1)
                .containsEntry(SeriesInstanceUID, S1_CT).containsEntry(SOPClassUID, CT_IMAGE)
                .containsEntry(InstanceNumber, 1).containsEntry(Rows, 512)
                .doesNotContainKey(NumberOfFrames); // requested but absent in the data
    }

    @Test
    void nonAsciiNamesRoundTripExactly() {
        assertThat(find(QueryLevel.PATIENT, Set.of(PatientName), 0, 0))
                .extracting(r -> r.get(PatientName))
                .containsExactly("Müller^Jürgen", "山田^太郎", "MÜLLER^HANS^^^", "Doe^John");
    }

    @Test
    void attributesOfLowerLevelsAreNotReturned() {
        IndexRow row = find(QueryLevel.STUDY, Set.of(Modality, SOPClassUID), 0, 0, single(StudyInstanceUID, S1)).get(0);

        assertThat(row.values()).containsOnlyKeys(PatientID, StudyInstanceUID);
    }

    // ---- derived attributes ----

    @Test
    void studyCountsAndModalitiesInStudyAreComputedFromSeriesAndInstances() {
        IndexRow s1 = find(QueryLevel.STUDY,
                Set.of(NumberOfStudyRelatedSeries, NumberOfStudyRelatedInstances, ModalitiesInStudy, SOPClassesInStudy),
                0, 0, single(StudyInstanceUID, S1)).get(0);

        assertThat(s1.get(NumberOfStudyRelatedSeries)).isEqualTo(2);
        assertThat(s1.get(NumberOfStudyRelatedInstances)).isEqualTo(4);
        assertThat(s1.get(ModalitiesInStudy)).isEqualTo(List.of("CT", "SR"));
        assertThat(s1.get(SOPClassesInStudy)).isEqualTo(List.of(CT_IMAGE, SR_DOCUMENT));
    }

    @Test
    void patientAndSeriesCountsAreComputedToo() {
        IndexRow p1 = find(QueryLevel.PATIENT,
                Set.of(NumberOfPatientRelatedStudies, NumberOfPatientRelatedSeries, NumberOfPatientRelatedInstances),
                0, 0, single(PatientID, P1)).get(0);
        IndexRow mr = find(QueryLevel.SERIES, Set.of(NumberOfSeriesRelatedInstances), 0, 0,
                single(SeriesInstanceUID, S2_MR)).get(0);

        assertThat(p1.values()).containsEntry(NumberOfPatientRelatedStudies, 2)
                .containsEntry(NumberOfPatientRelatedSeries, 3).containsEntry(NumberOfPatientRelatedInstances, 6);
        assertThat(mr.get(NumberOfSeriesRelatedInstances)).isEqualTo(2);
    }

    @Test
    void derivedAttributesAreOnlyComputedWhenRequested() {
        IndexRow row = find(QueryLevel.STUDY, single(StudyInstanceUID, S1)).get(0);

        assertThat(row.values()).doesNotContainKeys(ModalitiesInStudy, NumberOfStudyRelatedInstances);
    }

    // ---- single value matching ----

    @Test
    void textIsMatchedExactlyAndCaseSensitively() {
        assertThat(studies(single(AccessionNumber, "acc"))).containsExactly(S5);
        assertThat(studies(single(AccessionNumber, "ACC"))).isEmpty();
    }

    @Test
    void personNamesAreMatchedCaseInsensitivelyIgnoringTrailingEmptyComponents() {
        assertThat(studies(single(PatientName, "müller^jürgen"))).containsExactly(S1, S2);
        assertThat(studies(single(PatientName, "Müller^Hans"))).containsExactly(S4);
        assertThat(studies(single(PatientName, "MÜLLER^JÜRGEN^^"))).containsExactly(S1, S2);
        assertThat(studies(single(ReferringPhysicianName, "SMITH^ANNA"))).containsExactly(S1);
    }

    @Test
    void nonLatinNamesMatch() {
        assertThat(studies(single(PatientName, "山田^太郎"))).containsExactly(S3);
        assertThat(studies(wildcard(PatientName, "山田*"))).containsExactly(S3);
    }

    @Test
    void aNameMatchesOnTheComponentGroupsTheQueryGives() {
        // its own patient, outside the fixture: Alphabetic=Ideographic=Phonetic
        String patient = TestInstances.token() + "-GROUPS";
        String study = uid();
        INDEX.upsert(instance().patient(patient, "Yamada^Tarou=山田^太郎=やまだ^たろう").study(study)
                .series(uid(), "CT", 1).build());
        Function<Condition, List<Object>> found = name -> INDEX.find(new IndexQuery(QueryLevel.STUDY,
                List.of(name, single(PatientID, patient)), Set.of(), 0, 0)).stream()
                .map(r -> r.get(StudyInstanceUID)).toList();

        assertThat(found.apply(single(PatientName, "yamada^tarou"))).containsExactly(study);
        assertThat(found.apply(single(PatientName, "Yamada^Tarou=山田^太郎"))).containsExactly(study);
        assertThat(found.apply(single(PatientName, "Yamada^Tarou=山田^太郎=やまだ^たろう"))).containsExactly(study);
        assertThat(found.apply(wildcard(PatientName, "*^tarou"))).containsExactly(study);
        assertThat(found.apply(wildcard(PatientName, "yama*"))).containsExactly(study);
        assertThat(found.apply(single(PatientName, "yamada"))).isEmpty();
        assertThat(found.apply(single(PatientName, "Yamada^Tarou=田中^花子"))).isEmpty();
        assertThat(found.apply(wildcard(PatientName, "*^taro"))).isEmpty();
    }

    @Test
    void dataCharactersOfLikeAreNotWildcardsInASingleValue() {
        assertThat(studies(single(AccessionNumber, "A%1"))).containsExactly(S1);
        assertThat(studies(single(AccessionNumber, "A_1"))).containsExactly(S2);
    }

    @Test
    void integersAndSingleDatesMatch() {
        assertThat(find(QueryLevel.SERIES, single(StudyInstanceUID, S1), single(SeriesNumber, "2")))
                .extracting(r -> r.get(SeriesInstanceUID)).containsExactly(S1_SR);
        assertThat(studies(single(StudyDate, "20231231"))).containsExactly(S3);
    }

    @Test
    void aSingleTimeCoversEveryTimeItPrefixes() {
        assertThat(studies(single(StudyTime, "0830"))).containsExactly(S1);
        assertThat(studies(single(StudyTime, "12"))).containsExactly(S5);
    }

    @Test
    void anEmptyValueIsUniversalMatching() {
        assertThat(studies(single(AccessionNumber, ""), single(PatientName, null))).containsExactly(S1, S2, S3, S4, S5);
    }

    @Test
    void valuesAreBoundNeverInterpretedAsSql() {
        assertThat(studies(single(AccessionNumber, "x' OR '1'='1"))).isEmpty();
        assertThat(studies(wildcard(AccessionNumber, "*' OR '1'='1"))).isEmpty();
    }

    // ---- wildcard matching ----

    @Test
    void starMatchesAnySequenceAndQuestionMarkOneCharacter() {
        assertThat(studies(wildcard(AccessionNumber, "A?1"))).containsExactly(S1, S2, S3, S4);
        assertThat(studies(wildcard(AccessionNumber, "A*"))).containsExactly(S1, S2, S3, S4);
        assertThat(studies(wildcard(StudyDescription, "*HEAD"))).containsExactly(S3);
        assertThat(studies(wildcard(AccessionNumber, "a??"))).containsExactly(S5);
    }

    @Test
    void percentUnderscoreAndBackslashInTheDataMatchOnlyThemselves() {
        assertThat(studies(wildcard(AccessionNumber, "A%*"))).containsExactly(S1);
        assertThat(studies(wildcard(AccessionNumber, "A_?"))).containsExactly(S2);
        assertThat(studies(wildcard(AccessionNumber, "A\\*"))).containsExactly(S4);
        assertThat(studies(wildcard(AccessionNumber, "*%*"))).containsExactly(S1);
    }

    @Test
    void personNameWildcardsAreCaseInsensitive() {
        assertThat(studies(wildcard(PatientName, "müller*"))).containsExactly(S1, S2, S4);
        assertThat(studies(wildcard(PatientName, "*^jürgen"))).containsExactly(S1, S2);
        assertThat(studies(wildcard(PatientName, "M?LLER^HANS"))).containsExactly(S4);
    }

    @Test
    void aLoneStarIsUniversalMatching() {
        assertThat(studies(wildcard(StudyDescription, "*"))).containsExactly(S1, S2, S3, S4, S5);
    }

    @Test
    void aPatternWithoutWildcardsIsASingleValue() {
        assertThat(studies(wildcard(PatientName, "doe^john"))).containsExactly(S5);
    }

    // ---- range matching ----

    @Test
    void dateRangesAreInclusiveAndMayBeOpenOnEitherSide() {
        assertThat(studies(new Condition.DateRange(StudyDate, LocalDate.of(2024, 1, 10), LocalDate.of(2024, 2, 20))))
                .containsExactly(S1, S2);
        assertThat(studies(new Condition.DateRange(StudyDate, LocalDate.of(2024, 2, 1), null))).containsExactly(S2, S5);
        assertThat(studies(new Condition.DateRange(StudyDate, null, LocalDate.of(2024, 1, 10)))).containsExactly(S1, S3);
        assertThat(studies(new Condition.DateRange(StudyDate, LocalDate.of(2024, 1, 11), LocalDate.of(2024, 1, 11))))
                .isEmpty();
    }

    @Test
    void aDateRangeOpenOnBothSidesIsUniversal() {
        assertThat(studies(new Condition.DateRange(StudyDate, null, null))).containsExactly(S1, S2, S3, S4, S5);
    }

    @Test
    void patientBirthDatesMatchInStudyQueries() {
        assertThat(studies(new Condition.DateRange(PatientBirthDate, LocalDate.of(1980, 1, 1), null))).containsExactly(S3);
    }

    @Test
    void timeRangesCompareTimesAndAPartialUpperBoundCoversItsWholeUnit() {
        assertThat(studies(new Condition.TimeRange(StudyTime, "0800", "1200"))).containsExactly(S1, S5);
        assertThat(studies(new Condition.TimeRange(StudyTime, "1400", null))).containsExactly(S2, S3);
        assertThat(studies(new Condition.TimeRange(StudyTime, null, "08"))).containsExactly(S1);
    }

    // ---- list matching ----

    @Test
    void aUidListMatchesAnyOfItsUids() {
        assertThat(studies(new Condition.UidList(StudyInstanceUID, List.of(S3, S1, uid())))).containsExactly(S1, S3);
        assertThat(find(QueryLevel.IMAGE, new Condition.UidList(SeriesInstanceUID, List.of(S2_MR, S3_CT))))
                .hasSize(3);
    }

    @Test
    void modalitiesInStudyMatchesStudiesHavingASeriesOfThatModality() {
        assertThat(studies(single(ModalitiesInStudy, "MR"))).containsExactly(S2, S4);
        assertThat(studies(new Condition.UidList(ModalitiesInStudy, List.of("SR", "MR")))).containsExactly(S1, S2, S4);
        assertThat(studies(single(ModalitiesInStudy, "SR\\MR"))).containsExactly(S1, S2, S4);
        assertThat(studies(wildcard(ModalitiesInStudy, "S?"))).containsExactly(S1);
    }

    @Test
    void sopClassesInStudyMatchesStudiesHavingAnInstanceOfThatClass() {
        assertThat(studies(single(SOPClassesInStudy, SR_DOCUMENT))).containsExactly(S1);
    }

    @Test
    void modalitiesInStudyAlsoRestrictsSeriesQueriesToTheMatchingStudies() {
        assertThat(find(QueryLevel.SERIES, single(ModalitiesInStudy, "SR")))
                .extracting(r -> r.get(SeriesInstanceUID)).containsExactly(S1_CT, S1_SR);
    }

    // ---- paging ----

    @Test
    void limitAndOffsetPageThroughAStableOrder() {
        List<Object> all = find(QueryLevel.IMAGE, Set.of(), 0, 0).stream().map(r -> r.get(SOPInstanceUID)).toList();
        List<Object> pages = Stream.of(0, 3, 6, 9)
                .flatMap(offset -> find(QueryLevel.IMAGE, Set.of(), 3, offset).stream())
                .map(r -> r.get(SOPInstanceUID)).toList();

        assertThat(all).hasSize(10).doesNotHaveDuplicates();
        assertThat(pages).isEqualTo(all);
        assertThat(find(QueryLevel.IMAGE, Set.of(), 0, 0).stream().map(r -> r.get(SOPInstanceUID)).toList())
                .isEqualTo(all);
    }

    @Test
    void imagesComeInStudySeriesNumberAndInstanceNumberOrder() {
        assertThat(find(QueryLevel.IMAGE, Set.of(), 0, 0, single(StudyInstanceUID, S1)))
                .extracting(r -> r.get(SOPInstanceUID)).startsWith(S1_CT_IMAGES.toArray());
    }

    @Test
    void countsAreComputedOnTheRequestedPageOnly() {
        List<IndexRow> page = find(QueryLevel.STUDY, Set.of(NumberOfStudyRelatedInstances), 2, 1);

        assertThat(page).extracting(r -> r.get(StudyInstanceUID)).containsExactly(S2, S3);
        assertThat(page).extracting(r -> r.get(NumberOfStudyRelatedInstances)).containsExactly(2, 1);
    }

    // ---- refused queries ----

    @Test
    void aKeyOfALowerLevelThanTheQueryIsRefusedWithAReadableMessage() {
        assertThatThrownBy(() -> find(QueryLevel.STUDY, single(SOPInstanceUID, uid())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SOPInstanceUID belongs to the IMAGE level and cannot be a matching key of a STUDY-level query");
        assertThatThrownBy(() -> find(QueryLevel.PATIENT, single(Modality, "CT")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Modality");
        assertThatThrownBy(() -> find(QueryLevel.PATIENT, single(ModalitiesInStudy, "CT")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ModalitiesInStudy");
    }

    @Test
    void countsCannotBeMatched() {
        assertThatThrownBy(() -> find(QueryLevel.STUDY, single(NumberOfStudyRelatedInstances, "4")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be a matching key");
    }

    @Test
    void matchingTypesMustFitTheAttribute() {
        assertThatThrownBy(() -> find(QueryLevel.STUDY, wildcard(StudyDate, "2024*")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
        assertThatThrownBy(() -> find(QueryLevel.STUDY, new Condition.DateRange(AccessionNumber, null,
                LocalDate.of(2024, 1, 1)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> find(QueryLevel.STUDY, new Condition.TimeRange(StudyDate, "10", null)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> find(QueryLevel.STUDY, new Condition.UidList(PatientName, List.of("A"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedValuesAreRefused() {
        assertThatThrownBy(() -> find(QueryLevel.SERIES, single(SeriesNumber, "two")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integer");
        assertThatThrownBy(() -> find(QueryLevel.STUDY, single(StudyDate, "2024-13-45")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("date");
        assertThatThrownBy(() -> find(QueryLevel.STUDY, new Condition.UidList(StudyInstanceUID, List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    }

    // ---- visibility (what the access policy lets a caller find) ----

    private static List<Object> visible(QueryLevel level, IndexAttribute key, Visibility v, int limit, int offset) {
        return INDEX.find(new IndexQuery(level, List.of(new Condition.Wildcard(PatientID, T + "-*")), Set.of(), limit,
                offset, v)).stream().map(r -> r.get(key)).toList();
    }

    @Test
    void visibilityRestrictsRowsBeforeLimitAndOffset() {
        Visibility notS1 = Visibility.where("st.study_instance_uid <> ?", S1);
        assertThat(visible(QueryLevel.STUDY, StudyInstanceUID, notS1, 0, 0)).containsExactly(S2, S3, S4, S5);
        // pages of visible rows: S1 (first in order) never shortens the first page
        assertThat(visible(QueryLevel.STUDY, StudyInstanceUID, notS1, 2, 0)).containsExactly(S2, S3);
        assertThat(visible(QueryLevel.STUDY, StudyInstanceUID, notS1, 2, 2)).containsExactly(S4, S5);
        assertThat(visible(QueryLevel.STUDY, StudyInstanceUID, Visibility.NONE, 0, 0)).isEmpty();
    }

    @Test
    void atPatientLevelAPatientIsVisibleWhenOneOfTheirStudiesIs() {
        assertThat(visible(QueryLevel.PATIENT, PatientID, Visibility.where("st.study_instance_uid = ?", S2), 0, 0))
                .containsExactly(P1);
    }

    @Test
    void aSeriesRestrictionLimitsSeriesAndInstancesButNotTheStudy() {
        Visibility oneSeries = Visibility.where("st.study_instance_uid = ?", S4).onlySeries(S4_CT);
        assertThat(visible(QueryLevel.STUDY, StudyInstanceUID, oneSeries, 0, 0)).containsExactly(S4);
        assertThat(visible(QueryLevel.SERIES, SeriesInstanceUID, oneSeries, 0, 0)).containsExactly(S4_CT);
        assertThat(visible(QueryLevel.IMAGE, SeriesInstanceUID, oneSeries, 0, 0)).containsExactly(S4_CT);
        assertThat(visible(QueryLevel.SERIES, SeriesInstanceUID, oneSeries.and(Visibility.ALL.onlySeries(S4_MR)), 0, 0))
                .isEmpty();
    }

    @Test
    void countsAndListsCoverOnlyWhatTheCallerSees() {
        // P1: S1 (3 CT images, 1 SR) and S2 (2 MR images); this caller may not see S1
        IndexRow p1 = INDEX.find(new IndexQuery(QueryLevel.PATIENT, List.of(single(PatientID, P1)),
                Set.of(NumberOfPatientRelatedStudies, NumberOfPatientRelatedSeries, NumberOfPatientRelatedInstances), 0, 0,
                Visibility.where("st.study_instance_uid <> ?", S1))).get(0);
        assertThat(p1.values()).containsEntry(NumberOfPatientRelatedStudies, 1)
                .containsEntry(NumberOfPatientRelatedSeries, 1).containsEntry(NumberOfPatientRelatedInstances, 2);

        // S4: an MR series and a CT series; a credential for the CT series sees a study of one CT series
        Visibility ctOnly = Visibility.where("st.study_instance_uid = ?", S4).onlySeries(S4_CT);
        IndexRow s4 = INDEX.find(new IndexQuery(QueryLevel.STUDY, List.of(single(StudyInstanceUID, S4)),
                Set.of(NumberOfStudyRelatedSeries, NumberOfStudyRelatedInstances, ModalitiesInStudy, SOPClassesInStudy),
                0, 0, ctOnly)).get(0);
        assertThat(s4.values()).containsEntry(NumberOfStudyRelatedSeries, 1)
                .containsEntry(NumberOfStudyRelatedInstances, 1).containsEntry(ModalitiesInStudy, List.of("CT"));
        assertThat((List<Object>) s4.get(SOPClassesInStudy)).doesNotContain(MR_IMAGE).hasSize(1);
    }

    @Test
    void returnKeysNeedNoValidation() {
        assertThat(find(QueryLevel.PATIENT, Set.of(IssuerOfPatientID, BodyPartExamined), 0, 0)).hasSize(4);
    }
}
