package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The SQL the index runs: parameterised, escaped, and only as complex as the query asks. */
class IndexSqlTest {

    @Test
    void dicomWildcardsBecomeLikeWildcardsAndLikeMetacharactersAreEscaped() {
        assertThat(IndexSql.likePattern("AB*")).isEqualTo("AB%");
        assertThat(IndexSql.likePattern("A?C")).isEqualTo("A_C");
        assertThat(IndexSql.likePattern("100%_\\*")).isEqualTo("100\\%\\_\\\\%");
    }

    @Test
    void aPartialUpperTimeBoundCoversItsWholeUnit() {
        assertThat(IndexSql.endOfTime("12")).isEqualTo("129999.999999");
        assertThat(IndexSql.endOfTime("1230")).isEqualTo("123099.999999");
        assertThat(IndexSql.endOfTime("123045.5")).isEqualTo("123045.599999");
        assertThat(IndexSql.endOfTime("129999.999999")).isEqualTo("129999.999999");
    }

    @Test
    void valuesAreBindParametersNeverSqlText() {
        IndexSql.Statement statement = IndexSql.find(new IndexQuery(QueryLevel.STUDY, List.of(
                new Condition.SingleValue(IndexAttribute.PatientID, "P'1"),
                new Condition.Wildcard(IndexAttribute.PatientName, "O'Brien*"),
                new Condition.DateRange(IndexAttribute.StudyDate, LocalDate.of(2024, 1, 1), null)),
                Set.of(), 10, 20));

        assertThat(statement.sql()).doesNotContain("P'1", "O'BRIEN", "2024");
        assertThat(statement.params()).containsExactly("P'1", "O'BRIEN%", LocalDate.of(2024, 1, 1), 10, 20);
    }

    @Test
    void countsAndListsAreOnlyComputedWhenAsked() {
        String plain = IndexSql.find(new IndexQuery(QueryLevel.STUDY, List.of(), Set.of(IndexAttribute.StudyDate), 0, 0)).sql();
        String counted = IndexSql.find(new IndexQuery(QueryLevel.STUDY, List.of(),
                Set.of(IndexAttribute.NumberOfStudyRelatedInstances, IndexAttribute.ModalitiesInStudy), 0, 0)).sql();

        assertThat(plain).doesNotContain("count(", "array_agg");
        assertThat(counted).contains("count(", "array_agg");
    }

    @Test
    void personNamesAreNormalisedForMatching() {
        assertThat(PersonNames.normalise("Müller^Jürgen^^^")).isEqualTo("MÜLLER^JÜRGEN");
        assertThat(PersonNames.normalise("Yamada^Tarou=山田^太郎=")).isEqualTo("YAMADA^TAROU=山田^太郎");
        assertThat(PersonNames.normalise("Doe ^John ")).isEqualTo("DOE^JOHN");
        assertThat(PersonNames.normalise("  ")).isNull();
        assertThat(PersonNames.normalise(null)).isNull();
    }
}
