package org.imagingnode.bridge.dicomweb;

import java.util.Map;

import org.imagingnode.bridge.dicom.TransferSyntax;

/** The media type of pixel data stored in each transfer syntax (PS3.18 Table 8.7.3-2 / 8.7.4-2). */
final class FrameMediaTypes {
    static final String OCTET_STREAM = "application/octet-stream";

    private static final Map<String, String> BY_SYNTAX = Map.ofEntries(
            Map.entry(TransferSyntax.JPEG_BASELINE, "image/jpeg"),
            Map.entry(TransferSyntax.JPEG_EXTENDED, "image/jpeg"),
            Map.entry(TransferSyntax.JPEG_LOSSLESS, "image/jpeg"),
            Map.entry(TransferSyntax.JPEG_LOSSLESS_SV1, "image/jpeg"),
            Map.entry(TransferSyntax.JPEG_LS_LOSSLESS, "image/jls"),
            Map.entry(TransferSyntax.JPEG_LS_NEAR_LOSSLESS, "image/jls"),
            Map.entry(TransferSyntax.JPEG_2000_LOSSLESS, "image/jp2"),
            Map.entry(TransferSyntax.JPEG_2000, "image/jp2"),
            Map.entry(TransferSyntax.HTJ2K_LOSSLESS, "image/jphc"),
            Map.entry(TransferSyntax.HTJ2K_LOSSLESS_RPCL, "image/jphc"),
            Map.entry(TransferSyntax.HTJ2K, "image/jphc"),
            Map.entry(TransferSyntax.RLE, "image/dicom-rle"),
            Map.entry(TransferSyntax.MPEG2_MAIN, "video/mpeg"),
            Map.entry(TransferSyntax.MPEG4_HP41, "video/mp4"));

    private FrameMediaTypes() {
    }

    static boolean isUncompressed(String ts) {
        return TransferSyntax.UNCOMPRESSED.contains(ts);
    }

    /** The natural media type of pixel data stored in {@code ts}. */
    static String of(String ts) {
        return isUncompressed(ts) ? OCTET_STREAM : BY_SYNTAX.getOrDefault(ts, OCTET_STREAM);
    }
}
