package org.imagingnode.bridge.dicom;

import java.util.Set;

/**
 * What kind of object a Storage SOP Class stores, as an SR or Key Object Selection reference must say it
 * (PS3.3 C.17.3: IMAGE, WAVEFORM, or COMPOSITE for any other composite object).
 */
public final class SopClasses {
    private static final String STORAGE = "1.2.840.10008.5.1.4.1.1.";
    /** Every waveform IOD's Storage SOP Class is under this root (PS3.4 Table B.5-1). */
    private static final String WAVEFORM = STORAGE + "9.";
    /**
     * The Storage SOP Classes of PS3.4 Table B.5-1 whose IOD has the Image information entity (PS3.3 Annex A):
     * the suffixes after {@value #STORAGE}. Not images, although near them: MR Spectroscopy (4.2), Raw Data (66),
     * registrations, fiducials, surface segmentations (66.x), RT Dose, Structure Set, Plan and records (481.x),
     * presentation states (11.x), structured display (131), SR (88.x), encapsulated documents (104.x).
     */
    private static final Set<String> IMAGE = Set.of(
            "1", "1.1", "1.1.1", "1.2", "1.2.1", "1.3", "1.3.1", // CR, DX, MG, IO
            "2", "2.1", "2.2", "3.1", "4", "4.1", "4.3", "4.4", // CT, US multi-frame, MR
            "6.1", "6.2", "6.3", "7", "7.1", "7.2", "7.3", "7.4", // US, photoacoustic, secondary capture
            "12.1", "12.1.1", "12.2", "12.2.1", "13.1.1", "13.1.2", "13.1.3", "13.1.4", "13.1.5", // XA, XRF, 3D, breast
            "14.1", "14.2", "20", "30", "66.4", // IVOCT, NM, parametric map, segmentation
            "77.1.1", "77.1.1.1", "77.1.2", "77.1.2.1", "77.1.3", "77.1.4", "77.1.4.1", // visible light
            "77.1.5.1", "77.1.5.2", "77.1.5.4", "77.1.5.5", "77.1.5.6", "77.1.5.7", "77.1.5.8", // ophthalmic
            "77.1.6", "77.1.7", "77.1.8", "77.1.9", "81.1", "82.1", // microscopy, dermoscopy, ophthalmic maps
            "128", "128.1", "130", "481.1", "481.23", "481.24"); // PET, RT images

    private SopClasses() {
    }

    public static boolean isImageStorage(String sopClassUid) {
        return sopClassUid != null && sopClassUid.startsWith(STORAGE) && IMAGE.contains(sopClassUid.substring(
                STORAGE.length()));
    }

    public static boolean isWaveformStorage(String sopClassUid) {
        return sopClassUid != null && sopClassUid.startsWith(WAVEFORM);
    }
}
