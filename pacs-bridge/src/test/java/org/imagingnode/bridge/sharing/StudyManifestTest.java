package org.imagingnode.bridge.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceLocation;
import org.junit.jupiter.api.Test;

/**
 * The manifest's content tree references each instance as TID 2010 says (PS3.16): IMAGE for image storage classes,
 * WAVEFORM for waveforms, COMPOSITE for every other object. Read back with PixelMed.
 */
class StudyManifestTest {
    private static final String STORAGE = "1.2.840.10008.5.1.4.1.1.";

    @Test
    void eachInstanceIsReferencedWithTheValueTypeOfItsKind() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(STORAGE + "2", "IMAGE"); // CT
        expected.put(STORAGE + "4.1", "IMAGE"); // Enhanced MR
        expected.put(STORAGE + "66.4", "IMAGE"); // Segmentation: an image IOD, although under 66
        expected.put(STORAGE + "481.1", "IMAGE"); // RT Image
        expected.put(STORAGE + "9.1.1", "WAVEFORM"); // 12-lead ECG
        expected.put(STORAGE + "9.4.2", "WAVEFORM"); // General Audio
        expected.put(STORAGE + "481.5", "COMPOSITE"); // RT Plan
        expected.put(STORAGE + "481.3", "COMPOSITE"); // RT Structure Set
        expected.put(STORAGE + "481.2", "COMPOSITE"); // RT Dose
        expected.put(STORAGE + "4.2", "COMPOSITE"); // MR Spectroscopy
        expected.put(STORAGE + "66", "COMPOSITE"); // Raw Data
        expected.put(STORAGE + "88.33", "COMPOSITE"); // Comprehensive SR
        expected.put(STORAGE + "88.59", "COMPOSITE"); // Key Object Selection
        expected.put(STORAGE + "11.1", "COMPOSITE"); // Grayscale Softcopy Presentation State
        expected.put(STORAGE + "104.1", "COMPOSITE"); // Encapsulated PDF
        expected.put("1.2.826.0.1.3680043.2.1125.99.1", "COMPOSITE"); // a private class: nothing is assumed
        // a second opinion on the expectations: PixelMed's own list of image and waveform classes
        expected.forEach((cls, type) -> {
            assertThat(SOPClass.isImageStorage(cls)).as(cls).isEqualTo(type.equals("IMAGE"));
            assertThat(SOPClass.isWaveform(cls)).as(cls).isEqualTo(type.equals("WAVEFORM"));
        });

        String study = TestObjects.uid();
        String series = TestObjects.uid();
        List<InstanceLocation> instances = expected.keySet().stream()
                .map(cls -> new InstanceLocation(study, series, TestObjects.uid(), cls, TransferSyntax.EXPLICIT_VR_LE,
                        "blob", 1, null, 0))
                .toList();
        byte[] encoded = StudyManifest.build(study, new IndexRow(Map.of(IndexAttribute.PatientID, "P1")), instances,
                "NODE", "http://127.0.0.1/dicomweb", null, ZonedDateTime.now()).encode(TransferSyntax.EXPLICIT_VR_LE);

        AttributeList manifest = new AttributeList();
        try (DicomInputStream in = new DicomInputStream(new ByteArrayInputStream(encoded),
                TransferSyntax.EXPLICIT_VR_LE, false)) {
            manifest.read(in);
        }
        SequenceAttribute content = (SequenceAttribute) manifest.get(TagFromName.ContentSequence);
        Map<String, String> referenced = new LinkedHashMap<>();
        for (int i = 0; i < content.getNumberOfItems(); i++) {
            AttributeList item = content.getItem(i).getAttributeList();
            AttributeList sop = ((SequenceAttribute) item.get(TagFromName.ReferencedSOPSequence)).getItem(0)
                    .getAttributeList();
            referenced.put(sop.get(TagFromName.ReferencedSOPClassUID).getSingleStringValueOrEmptyString(),
                    item.get(TagFromName.ValueType).getSingleStringValueOrEmptyString());
        }
        assertThat(referenced).containsExactlyEntriesOf(expected);
    }
}
