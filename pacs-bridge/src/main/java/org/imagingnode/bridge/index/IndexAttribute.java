package org.imagingnode.bridge.index;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.imagingnode.bridge.dicom.Tag;

/**
 * The attributes the index can match on and return. Each belongs to the level whose table holds it;
 * COUNT and LIST kinds are derived from lower levels when a query asks for them.
 */
public enum IndexAttribute {
    PatientID(Tag.PatientID, QueryLevel.PATIENT, Kind.TEXT),
    IssuerOfPatientID(Tag.IssuerOfPatientID, QueryLevel.PATIENT, Kind.TEXT),
    PatientName(Tag.PatientName, QueryLevel.PATIENT, Kind.PERSON_NAME),
    PatientBirthDate(Tag.PatientBirthDate, QueryLevel.PATIENT, Kind.DATE),
    PatientSex(Tag.PatientSex, QueryLevel.PATIENT, Kind.TEXT),
    NumberOfPatientRelatedStudies(Tag.NumberOfPatientRelatedStudies, QueryLevel.PATIENT, Kind.COUNT),
    NumberOfPatientRelatedSeries(Tag.NumberOfPatientRelatedSeries, QueryLevel.PATIENT, Kind.COUNT),
    NumberOfPatientRelatedInstances(Tag.NumberOfPatientRelatedInstances, QueryLevel.PATIENT, Kind.COUNT),

    StudyInstanceUID(Tag.StudyInstanceUID, QueryLevel.STUDY, Kind.UID),
    StudyDate(Tag.StudyDate, QueryLevel.STUDY, Kind.DATE),
    StudyTime(Tag.StudyTime, QueryLevel.STUDY, Kind.TIME),
    AccessionNumber(Tag.AccessionNumber, QueryLevel.STUDY, Kind.TEXT),
    StudyID(Tag.StudyID, QueryLevel.STUDY, Kind.TEXT),
    StudyDescription(Tag.StudyDescription, QueryLevel.STUDY, Kind.TEXT),
    ReferringPhysicianName(Tag.ReferringPhysicianName, QueryLevel.STUDY, Kind.PERSON_NAME),
    ModalitiesInStudy(Tag.ModalitiesInStudy, QueryLevel.STUDY, Kind.LIST),
    SOPClassesInStudy(Tag.SOPClassesInStudy, QueryLevel.STUDY, Kind.LIST),
    NumberOfStudyRelatedSeries(Tag.NumberOfStudyRelatedSeries, QueryLevel.STUDY, Kind.COUNT),
    NumberOfStudyRelatedInstances(Tag.NumberOfStudyRelatedInstances, QueryLevel.STUDY, Kind.COUNT),

    SeriesInstanceUID(Tag.SeriesInstanceUID, QueryLevel.SERIES, Kind.UID),
    Modality(Tag.Modality, QueryLevel.SERIES, Kind.TEXT),
    SeriesNumber(Tag.SeriesNumber, QueryLevel.SERIES, Kind.INTEGER),
    SeriesDescription(Tag.SeriesDescription, QueryLevel.SERIES, Kind.TEXT),
    BodyPartExamined(Tag.BodyPartExamined, QueryLevel.SERIES, Kind.TEXT),
    NumberOfSeriesRelatedInstances(Tag.NumberOfSeriesRelatedInstances, QueryLevel.SERIES, Kind.COUNT),

    SOPInstanceUID(Tag.SOPInstanceUID, QueryLevel.IMAGE, Kind.UID),
    SOPClassUID(Tag.SOPClassUID, QueryLevel.IMAGE, Kind.UID),
    InstanceNumber(Tag.InstanceNumber, QueryLevel.IMAGE, Kind.INTEGER),
    NumberOfFrames(Tag.NumberOfFrames, QueryLevel.IMAGE, Kind.INTEGER),
    Rows(Tag.Rows, QueryLevel.IMAGE, Kind.INTEGER),
    Columns(Tag.Columns, QueryLevel.IMAGE, Kind.INTEGER);

    /** How values are stored and matched. */
    public enum Kind {
        /** free text: single value or wildcard (* ?) match, case-sensitive */
        TEXT,
        /** person name: wildcard match, case-insensitive */
        PERSON_NAME,
        /** value is a java.time.LocalDate; matched by single date or range */
        DATE,
        /** value is a String HHMMSS[.F]; matched by single time or range on the text */
        TIME,
        /** value is a String; matched by single UID or a list of UIDs */
        UID,
        /** value is an Integer; matched by single value */
        INTEGER,
        /** value is an Integer computed from lower levels; not matchable */
        COUNT,
        /** value is a List of distinct Strings from lower levels; matched if any element matches */
        LIST
    }

    private final int tag;
    private final QueryLevel level;
    private final Kind kind;

    IndexAttribute(int tag, QueryLevel level, Kind kind) {
        this.tag = tag;
        this.level = level;
        this.kind = kind;
    }

    public int tag() {
        return tag;
    }

    public QueryLevel level() {
        return level;
    }

    public Kind kind() {
        return kind;
    }

    private static final Map<Integer, IndexAttribute> BY_TAG =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(IndexAttribute::tag, Function.identity()));

    public static Optional<IndexAttribute> forTag(int tag) {
        return Optional.ofNullable(BY_TAG.get(tag));
    }
}
