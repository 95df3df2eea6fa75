package org.imagingnode.bridge.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.List;

import org.junit.jupiter.api.Test;

class MatchingKeysTest {

    @Test
    void emptyAndStarAreUniversalMatching() {
        assertThat(MatchingKeys.parse(IndexAttribute.PatientName, "")).isEmpty();
        assertThat(MatchingKeys.parse(IndexAttribute.PatientName, "*")).isEmpty();
        assertThat(MatchingKeys.parse(IndexAttribute.PatientName, null)).isEmpty();
    }

    @Test
    void wildcardsAndSingleValues() {
        assertThat(MatchingKeys.parse(IndexAttribute.PatientName, "Mül*")).hasValue(
                new Condition.Wildcard(IndexAttribute.PatientName, "Mül*"));
        assertThat(MatchingKeys.parse(IndexAttribute.PatientID, "P1")).hasValue(
                new Condition.SingleValue(IndexAttribute.PatientID, "P1"));
    }

    @Test
    void dateRangesOpenOnEitherSide() {
        assertThat(MatchingKeys.parse(IndexAttribute.StudyDate, "20240101-20240131")).hasValue(
                new Condition.DateRange(IndexAttribute.StudyDate, LocalDate.of(2024, 1, 1), LocalDate.of(2024, 1, 31)));
        assertThat(MatchingKeys.parse(IndexAttribute.StudyDate, "-20240131")).hasValue(
                new Condition.DateRange(IndexAttribute.StudyDate, null, LocalDate.of(2024, 1, 31)));
        assertThat(MatchingKeys.parse(IndexAttribute.StudyDate, "20240101-")).hasValue(
                new Condition.DateRange(IndexAttribute.StudyDate, LocalDate.of(2024, 1, 1), null));
        assertThat(MatchingKeys.parse(IndexAttribute.StudyDate, "20240105")).hasValue(
                new Condition.DateRange(IndexAttribute.StudyDate, LocalDate.of(2024, 1, 5), LocalDate.of(2024, 1, 5)));
    }

    @Test
    void uidListsAndModalityLists() {
        assertThat(MatchingKeys.parse(IndexAttribute.StudyInstanceUID, "1.2.3\\1.2.4")).hasValue(
                new Condition.UidList(IndexAttribute.StudyInstanceUID, List.of("1.2.3", "1.2.4")));
        assertThat(MatchingKeys.parse(IndexAttribute.ModalitiesInStudy, "CT\\MR")).hasValue(
                new Condition.UidList(IndexAttribute.ModalitiesInStudy, List.of("CT", "MR")));
    }

    @Test
    void malformedValuesAreExplained() {
        assertThatThrownBy(() -> MatchingKeys.parse(IndexAttribute.StudyDate, "2024-13-01"))
                .hasMessageContaining("StudyDate");
        assertThatThrownBy(() -> MatchingKeys.parse(IndexAttribute.StudyDate, "20240201-20240101"))
                .hasMessageContaining("starts after it ends");
        assertThatThrownBy(() -> MatchingKeys.parse(IndexAttribute.StudyInstanceUID, "1.2.abc"))
                .hasMessageContaining("invalid UID");
        assertThatThrownBy(() -> MatchingKeys.parse(IndexAttribute.SeriesNumber, "x"))
                .hasMessageContaining("integer");
    }

    @Test
    void partialUpperTimeBoundsCoverTheirWholePeriod() {
        assertThat(MatchingKeys.endOf("12")).isEqualTo("129999.999999");
        assertThat(MatchingKeys.endOf("1230")).isEqualTo("123099.999999");
        assertThat(MatchingKeys.endOf("120000")).isEqualTo("120000.999999");
        assertThat(MatchingKeys.endOf("120000.5")).isEqualTo("120000.599999");
        assertThat(MatchingKeys.parse(IndexAttribute.StudyTime, "08-12")).hasValue(
                new Condition.TimeRange(IndexAttribute.StudyTime, "08", "129999.999999"));
    }
}
