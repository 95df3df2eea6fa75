package org.imagingnode.bridge.dicom;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Benchmark data: writes {@code count} CT-like instances (512x512x16 bit, about 512 KB each) of one
 * study into a folder, spread over {@code parts} sub-folders (one per parallel sender).
 * Prints the study's instance UID. Usage: GenerateStudy DIR COUNT PARTS PATIENT_ID
 */
public final class GenerateStudy {
    private GenerateStudy() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int parts = Integer.parseInt(args[2]);
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientId = args[3];
        System.out.println(s.studyUid);
        for (int p = 0; p < parts; p++) {
            Files.createDirectories(dir.resolve("part" + p));
        }
        for (int i = 0; i < count; i++) {
            TestObjects.write(s, dir.resolve("part" + (i % parts)).resolve(String.format("%05d.dcm", i)));
            s = s.sameSeries();
            if (i % 500 == 499) {
                s.seriesUid = TestObjects.uid(); // several series per study, as a CT exam has
                s.seriesNumber++;
            }
        }
    }
}
