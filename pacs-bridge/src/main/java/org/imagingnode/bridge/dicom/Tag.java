package org.imagingnode.bridge.dicom;

/** DICOM attribute tags used by the node, as (group << 16 | element). Toolkit-independent. */
public final class Tag {
    private Tag() {
    }

    public static final int SpecificCharacterSet = 0x00080005;
    public static final int SOPClassUID = 0x00080016;
    public static final int SOPInstanceUID = 0x00080018;
    public static final int StudyDate = 0x00080020;
    public static final int SeriesDate = 0x00080021;
    public static final int StudyTime = 0x00080030;
    public static final int AccessionNumber = 0x00080050;
    public static final int QueryRetrieveLevel = 0x00080052;
    public static final int RetrieveAETitle = 0x00080054;
    public static final int InstanceAvailability = 0x00080056;
    public static final int Modality = 0x00080060;
    public static final int ModalitiesInStudy = 0x00080061;
    public static final int SOPClassesInStudy = 0x00080062;
    public static final int ReferringPhysicianName = 0x00080090;
    public static final int TimezoneOffsetFromUTC = 0x00080201;
    public static final int StudyDescription = 0x00081030;
    public static final int SeriesDescription = 0x0008103E;
    public static final int RetrieveURL = 0x00081190;
    public static final int PatientName = 0x00100010;
    public static final int PatientID = 0x00100020;
    public static final int IssuerOfPatientID = 0x00100021;
    public static final int PatientBirthDate = 0x00100030;
    public static final int PatientSex = 0x00100040;
    public static final int OtherPatientIDsSequence = 0x00101002;
    public static final int TypeOfPatientID = 0x00100022;
    public static final int IssuerOfPatientIDQualifiersSequence = 0x00100024;
    public static final int UniversalEntityID = 0x00400032;
    public static final int UniversalEntityIDType = 0x00400033;
    public static final int BodyPartExamined = 0x00180015;
    public static final int StudyInstanceUID = 0x0020000D;
    public static final int SeriesInstanceUID = 0x0020000E;
    public static final int StudyID = 0x00200010;
    public static final int SeriesNumber = 0x00200011;
    public static final int InstanceNumber = 0x00200013;
    public static final int NumberOfPatientRelatedStudies = 0x00201200;
    public static final int NumberOfPatientRelatedSeries = 0x00201202;
    public static final int NumberOfPatientRelatedInstances = 0x00201204;
    public static final int NumberOfStudyRelatedSeries = 0x00201206;
    public static final int NumberOfStudyRelatedInstances = 0x00201208;
    public static final int NumberOfSeriesRelatedInstances = 0x00201209;
    public static final int NumberOfFrames = 0x00280008;
    public static final int Rows = 0x00280010;
    public static final int Columns = 0x00280011;
    public static final int BitsAllocated = 0x00280100;
    public static final int Manufacturer = 0x00080070;
    public static final int CodeValue = 0x00080100;
    public static final int CodingSchemeDesignator = 0x00080102;
    public static final int CodeMeaning = 0x00080104;
    public static final int MappingResource = 0x00080105;
    public static final int ContentDate = 0x00080023;
    public static final int ContentTime = 0x00080033;
    public static final int ReferencedPerformedProcedureStepSequence = 0x00081111;
    public static final int ReferencedSeriesSequence = 0x00081115;
    public static final int ReferencedSOPSequence = 0x00081199;
    public static final int ReferencedSOPClassUID = 0x00081150;
    public static final int ReferencedSOPInstanceUID = 0x00081155;
    public static final int RelationshipType = 0x0040A010;
    public static final int ValueType = 0x0040A040;
    public static final int ConceptNameCodeSequence = 0x0040A043;
    public static final int ContinuityOfContent = 0x0040A050;
    public static final int CurrentRequestedProcedureEvidenceSequence = 0x0040A375;
    public static final int ContentTemplateSequence = 0x0040A504;
    public static final int ContentSequence = 0x0040A730;
    public static final int TemplateIdentifier = 0x0040DB00;
    public static final int PixelData = 0x7FE00010;

    public static String toString(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xFFFF);
    }
}
