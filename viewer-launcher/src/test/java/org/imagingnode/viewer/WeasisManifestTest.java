package org.imagingnode.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.threeten.extra.MutableClock;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class WeasisManifestTest {
    private static final String NS = "http://www.weasis.org/xsd";
    private final MutableClock clock = MutableClock.of(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
    private final ViewerTokenService tokens = new ViewerTokenService(ViewerTokenService.randomSecret(), "node",
            Duration.ofMinutes(10), clock);

    @Test
    void the_manifest_lists_patient_study_series_instances_and_the_wado_service() throws Exception {
        ViewerToken token = tokens.issue("dr-house", ViewerScope.study("PAT1", "INS", "1.2.3"));
        WeasisManifest mf = WeasisManifest.withToken("http://127.0.0.1:8080/wado", token, List.of(
                new WeasisManifest.Patient("PAT1", "INS", "Doe^Jane & <Co> \"quoted\"", "19800101", "F", List.of(
                        new WeasisManifest.Study("1.2.3", "20260115", "101500", "ACC1", "CT Chest", List.of(
                                new WeasisManifest.Series("1.2.3.1", "CT", 2, "Axial", List.of(
                                        new WeasisManifest.Instance("1.2.3.1.3", 3),
                                        new WeasisManifest.Instance("1.2.3.1.1", 1),
                                        new WeasisManifest.Instance("1.2.3.1.2", 2))),
                                new WeasisManifest.Series("1.2.3.2", "SR", null, null, List.of(
                                        new WeasisManifest.Instance("1.2.3.2.1", null)))))))));

        String xml = mf.toXml();
        assertThat(xml).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").endsWith("\n");
        Document doc = parse(xml);

        Element root = doc.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("wado_query");
        assertThat(root.getNamespaceURI()).isEqualTo(NS);
        assertThat(root.getAttribute("wadoURL")).isEqualTo("http://127.0.0.1:8080/wado");
        assertThat(root.getAttribute("requireOnlySOPInstanceUID")).isEqualTo("false");
        assertThat(root.hasAttribute("webLogin")).isFalse();

        List<Element> tags = children(root, "httpTag");
        assertThat(tags).hasSize(1);
        assertThat(tags.get(0).getAttribute("key")).isEqualTo("Authorization");
        String bearer = tags.get(0).getAttribute("value");
        assertThat(tokens.verify(bearer).scope()).isEqualTo(token.scope());

        Element patient = children(root, "Patient").get(0);
        assertThat(patient.getAttribute("PatientID")).isEqualTo("PAT1");
        assertThat(patient.getAttribute("IssuerOfPatientID")).isEqualTo("INS");
        assertThat(patient.getAttribute("PatientName")).isEqualTo("Doe^Jane & <Co> \"quoted\"");
        Element study = children(patient, "Study").get(0);
        assertThat(study.getAttribute("StudyInstanceUID")).isEqualTo("1.2.3");
        assertThat(study.getAttribute("AccessionNumber")).isEqualTo("ACC1");
        List<Element> series = children(study, "Series");
        assertThat(series).extracting(s -> s.getAttribute("SeriesInstanceUID")).containsExactly("1.2.3.1", "1.2.3.2");
        assertThat(series.get(0).getAttribute("Modality")).isEqualTo("CT");
        assertThat(series.get(0).getAttribute("SeriesNumber")).isEqualTo("2");
        assertThat(series.get(1).hasAttribute("SeriesNumber")).isFalse();
        assertThat(children(series.get(0), "Instance")).extracting(i -> i.getAttribute("SOPInstanceUID"))
                .containsExactly("1.2.3.1.1", "1.2.3.1.2", "1.2.3.1.3");
        assertThat(children(series.get(0), "Instance")).extracting(i -> i.getAttribute("InstanceNumber"))
                .containsExactly("1", "2", "3");

        clock.add(Duration.ofMinutes(11));
        assertThatThrownBy(() -> tokens.verify(bearer)).isInstanceOf(InvalidViewerTokenException.class);
    }

    @Test
    void additional_parameters_use_weasis_spelling_and_urls_with_credentials_are_refused() throws Exception {
        WeasisManifest mf = new WeasisManifest("https://node/wado", true, "&transferSyntax=1.2.840.10008.1.2.1", null,
                List.of());
        Element root = parse(mf.toXml()).getDocumentElement();
        assertThat(root.getAttribute("additionnalParameters")).isEqualTo("&transferSyntax=1.2.840.10008.1.2.1");
        assertThat(root.getAttribute("requireOnlySOPInstanceUID")).isEqualTo("true");
        assertThatThrownBy(() -> new WeasisManifest("https://u:p@node/wado", false, null, null, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeasisManifest("https://node/wado?token=x", false, null, null, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeasisManifest.Instance("not a uid", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            if (nl.item(i) instanceof Element e && name.equals(e.getLocalName()) && NS.equals(e.getNamespaceURI())) {
                out.add(e);
            }
        }
        return out;
    }
}
