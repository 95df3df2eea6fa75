package org.imagingnode.bridge.dicom;

import java.util.List;
import java.util.Set;

/** Transfer syntax UIDs the node accepts and how their data sets are encoded. */
public final class TransferSyntax {
    private TransferSyntax() {
    }

    public static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
    public static final String EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
    public static final String DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99";
    public static final String EXPLICIT_VR_BE = "1.2.840.10008.1.2.2";
    public static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    public static final String JPEG_EXTENDED = "1.2.840.10008.1.2.4.51";
    public static final String JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57";
    public static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    public static final String JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
    public static final String JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81";
    public static final String JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90";
    public static final String JPEG_2000 = "1.2.840.10008.1.2.4.91";
    public static final String HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201";
    public static final String HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202";
    public static final String HTJ2K = "1.2.840.10008.1.2.4.203";
    public static final String MPEG2_MAIN = "1.2.840.10008.1.2.4.100";
    public static final String MPEG4_HP41 = "1.2.840.10008.1.2.4.102";
    public static final String RLE = "1.2.840.10008.1.2.5";

    /** Uncompressed syntaxes, in the order the node prefers them. */
    public static final List<String> UNCOMPRESSED = List.of(EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE);

    /** Every syntax a storage SCP of the node accepts; objects are stored as received. */
    public static final List<String> STORAGE = List.of(EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE,
            DEFLATED_EXPLICIT_VR_LE, JPEG_BASELINE, JPEG_EXTENDED, JPEG_LOSSLESS, JPEG_LOSSLESS_SV1,
            JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS, JPEG_2000_LOSSLESS, JPEG_2000, HTJ2K_LOSSLESS,
            HTJ2K_LOSSLESS_RPCL, HTJ2K, MPEG2_MAIN, MPEG4_HP41, RLE);

    private static final Set<String> STORAGE_SET = Set.copyOf(STORAGE);

    public static boolean isAcceptedForStorage(String uid) {
        return STORAGE_SET.contains(uid);
    }

    public static boolean isImplicitVr(String uid) {
        return IMPLICIT_VR_LE.equals(uid);
    }

    public static boolean isBigEndian(String uid) {
        return EXPLICIT_VR_BE.equals(uid);
    }

    public static boolean isDeflated(String uid) {
        return DEFLATED_EXPLICIT_VR_LE.equals(uid);
    }
}
