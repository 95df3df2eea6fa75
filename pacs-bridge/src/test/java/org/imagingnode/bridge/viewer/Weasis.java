package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What Weasis does with what a node hands out, so tests follow a launch exactly as Weasis would: the options of a
 * {@code weasis://} URI, the first QIDO-RS request {@code $dicom:rs} sends for each {@code -r} parameter (as in
 * Weasis 4's RsQueryResult: tags in hex, one comma-separated includefield), and the WADO-URI requests it builds
 * from a weasis-pacs-connector XML manifest.
 */
public final class Weasis {
    static final String STUDY_FIELDS = "&includefield=00080020,00080030,00080050,00080061,00080090,00081030,00100010,"
            + "00100020,00100021,00100030,00100040,0020000D,00200010";

    /** One object of a manifest and the WADO-URI request Weasis sends for it. */
    public record ManifestObject(String studyUid, String seriesUid, String sopInstanceUid, String url) {
    }

    /** A manifest as Weasis reads it: the HTTP headers of every request, the objects, and the parsed document. */
    public record Manifest(String wadoUrl, Map<String, String> headers, List<ManifestObject> objects, Element root) {
    }

    private Weasis() {
    }

    /** The first request for a {@code -r} value such as {@code studyUID=1.2.3} or {@code patientID=ID^^^ISSUER}. */
    public static String firstQuery(String dicomWebBase, String request) {
        String[] kv = request.split("=", 2);
        return switch (kv[0]) {
            case "studyUID" -> dicomWebBase + "/studies?0020000D=" + kv[1] + STUDY_FIELDS;
            case "seriesUID" -> dicomWebBase + "/series?0020000E=" + kv[1] + STUDY_FIELDS
                    + ",0008103E,00080060,00081190,00200011";
            case "patientID" -> {
                int i = kv[1].indexOf("^^^");
                String id = i <= 0 ? kv[1] : kv[1].substring(0, i);
                yield dicomWebBase + "/studies?00100020=" + URLEncoder.encode(id,
                        StandardCharsets.UTF_8) + (i > 0 ? "&00100021=" + kv[1].substring(i + 3) : "")
                        + STUDY_FIELDS;
            }
            default -> throw new IllegalArgumentException("not a Weasis request: " + request);
        };
    }

    /** Decodes a weasis:// URI and returns its options (each given once), checking the command name. */
    public static Map<String, String> options(URI uri, String expectedCommand) {
        assertThat(uri.getScheme()).isEqualTo("weasis");
        String line = URLDecoder.decode(uri.toString().substring("weasis://".length()), StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                cur = cur == null ? new StringBuilder() : cur;
            } else if (c == ' ' && !quoted) {
                if (cur != null) {
                    words.add(cur.toString());
                    cur = null;
                }
            } else {
                cur = cur == null ? new StringBuilder() : cur;
                cur.append(c);
            }
        }
        if (cur != null) {
            words.add(cur.toString());
        }
        assertThat(words.get(0)).isEqualTo(expectedCommand);
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < words.size(); i += 2) {
            assertThat(opts.put(words.get(i), words.get(i + 1))).as("option " + words.get(i) + " repeated").isNull();
        }
        return opts;
    }

    /** Reads a manifest (wado_query) and the WADO-URI request Weasis builds for each object of it. */
    public static Manifest manifest(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Element root = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
                .getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("wado_query");
        String wadoUrl = root.getAttribute("wadoURL");
        boolean onlySop = Boolean.parseBoolean(root.getAttribute("requireOnlySOPInstanceUID"));
        String extra = root.getAttribute("additionnalParameters");
        Map<String, String> headers = new LinkedHashMap<>();
        for (Element t : elements(root, "httpTag")) {
            headers.put(t.getAttribute("key"), t.getAttribute("value"));
        }
        List<ManifestObject> objects = new ArrayList<>();
        for (Element patient : elements(root, "Patient")) {
            for (Element study : elements(patient, "Study")) {
                String studyUid = study.getAttribute("StudyInstanceUID");
                for (Element series : elements(study, "Series")) {
                    String seriesUid = series.getAttribute("SeriesInstanceUID");
                    for (Element instance : elements(series, "Instance")) {
                        String sop = instance.getAttribute("SOPInstanceUID");
                        // the request Weasis builds from a manifest 1 document
                        objects.add(new ManifestObject(studyUid, seriesUid, sop, wadoUrl + "?requestType=WADO"
                                + (onlySop ? "" : "&studyUID=" + studyUid + "&seriesUID=" + seriesUid)
                                + "&objectUID=" + sop + "&contentType=application/dicom" + extra));
                    }
                }
            }
        }
        return new Manifest(wadoUrl, headers, objects, root);
    }

    /** The child elements of that local name. */
    public static List<Element> elements(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            if (nl.item(i) instanceof Element e && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }
}
