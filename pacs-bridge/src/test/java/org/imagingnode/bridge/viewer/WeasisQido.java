package org.imagingnode.bridge.viewer;

/**
 * The QIDO-RS requests Weasis's {@code $dicom:rs} sends for each {@code -r} parameter (as in Weasis 4's
 * RsQueryResult: tags in hex, one comma-separated includefield), so tests query the node exactly as Weasis does.
 */
final class WeasisQido {
    static final String STUDY_FIELDS = "&includefield=00080020,00080030,00080050,00080061,00080090,00081030,00100010,"
            + "00100020,00100021,00100030,00100040,0020000D,00200010";

    private WeasisQido() {
    }

    /** The first request for a {@code -r} value such as {@code studyUID=1.2.3} or {@code patientID=ID^^^ISSUER}. */
    static String forRequest(String dicomWebBase, String request) {
        String[] kv = request.split("=", 2);
        return switch (kv[0]) {
            case "studyUID" -> dicomWebBase + "/studies?0020000D=" + kv[1] + STUDY_FIELDS;
            case "seriesUID" -> dicomWebBase + "/series?0020000E=" + kv[1] + STUDY_FIELDS
                    + ",0008103E,00080060,00081190,00200011";
            case "patientID" -> {
                int i = kv[1].indexOf("^^^");
                String id = i <= 0 ? kv[1] : kv[1].substring(0, i);
                yield dicomWebBase + "/studies?00100020=" + java.net.URLEncoder.encode(id,
                        java.nio.charset.StandardCharsets.UTF_8) + (i > 0 ? "&00100021=" + kv[1].substring(i + 3) : "")
                        + STUDY_FIELDS;
            }
            default -> throw new IllegalArgumentException("not a Weasis request: " + request);
        };
    }
}
