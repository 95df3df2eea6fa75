package org.imagingnode.viewer;

import java.io.StringWriter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The XML manifest weasis-pacs-connector serves ("manifest 1", root {@code wado_query}), which every Weasis
 * version reads ({@code $dicom:get -w URL}): the patients, studies, series and instances to load, and the
 * WADO-URI service to load them from. For each {@code Instance}, Weasis requests
 * {@code wadoURL?requestType=WADO&studyUID=..&seriesUID=..&objectUID=..&contentType=application/dicom}
 * followed by {@code additionnalParameters} (or only {@code objectUID} when
 * {@code requireOnlySOPInstanceUID} is true), sending each {@code httpTag} as an HTTP header.
 *
 * <p>Attribute names are Weasis's, including its spelling {@code additionnalParameters}. Credentials go
 * only in an {@code httpTag} header, and only a short-lived {@link ViewerToken}.
 *
 * @param wadoUrl                   the WADO-URI endpoint (absolute http(s), no query)
 * @param requireOnlySopInstanceUid whether the WADO service finds instances by SOP Instance UID alone
 * @param additionalParameters      appended to each WADO-URI request (starts with '&amp;'), or empty
 * @param httpHeaders               headers Weasis sends with each request (e.g. Authorization)
 * @param patients                  what to load
 */
public record WeasisManifest(String wadoUrl, boolean requireOnlySopInstanceUid, String additionalParameters,
        Map<String, String> httpHeaders, List<Patient> patients) {
    /** The namespace of manifest 1 documents. */
    public static final String NAMESPACE = "http://www.weasis.org/xsd";
    public static final String MEDIA_TYPE = "application/xml";

    public WeasisManifest {
        Objects.requireNonNull(wadoUrl, "wadoUrl");
        if (!(wadoUrl.startsWith("http://") || wadoUrl.startsWith("https://")) || wadoUrl.contains("@")
                || wadoUrl.contains("?") || wadoUrl.contains("#")) {
            throw new IllegalArgumentException("wadoUrl must be an absolute http(s) URL without credentials or query");
        }
        additionalParameters = additionalParameters == null ? "" : additionalParameters;
        httpHeaders = httpHeaders == null ? Map.of() : new LinkedHashMap<>(httpHeaders);
        patients = List.copyOf(patients);
    }

    /** A manifest whose requests carry the viewer token in the Authorization header. */
    public static WeasisManifest withToken(String wadoUrl, ViewerToken token, List<Patient> patients) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", token.bearer());
        return new WeasisManifest(wadoUrl, false, "", headers, patients);
    }

    public record Patient(String patientId, String issuerOfPatientId, String patientName, String birthDate,
            String sex, List<Study> studies) {
        public Patient {
            Objects.requireNonNull(patientId, "patientId");
            studies = List.copyOf(studies);
        }
    }

    public record Study(String studyInstanceUid, String studyDate, String studyTime, String accessionNumber,
            String studyDescription, List<Series> series) {
        public Study {
            Uids.requireValid(studyInstanceUid);
            series = List.copyOf(series);
        }
    }

    public record Series(String seriesInstanceUid, String modality, Integer seriesNumber, String seriesDescription,
            List<Instance> instances) {
        public Series {
            Uids.requireValid(seriesInstanceUid);
            instances = List.copyOf(instances);
        }
    }

    public record Instance(String sopInstanceUid, Integer instanceNumber) {
        public Instance {
            Uids.requireValid(sopInstanceUid);
        }
    }

    /** The manifest document (UTF-8 XML text). */
    public String toXml() {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            w.writeStartDocument("UTF-8", "1.0");
            w.writeCharacters("\n");
            w.writeStartElement("wado_query");
            w.writeDefaultNamespace(NAMESPACE);
            w.writeNamespace("xsi", "http://www.w3.org/2001/XMLSchema-instance");
            w.writeAttribute("wadoURL", wadoUrl);
            w.writeAttribute("requireOnlySOPInstanceUID", Boolean.toString(requireOnlySopInstanceUid));
            if (!additionalParameters.isEmpty()) {
                w.writeAttribute("additionnalParameters", additionalParameters);
            }
            for (Map.Entry<String, String> h : httpHeaders.entrySet()) {
                w.writeCharacters("\n");
                w.writeEmptyElement("httpTag");
                w.writeAttribute("key", h.getKey());
                w.writeAttribute("value", h.getValue());
            }
            for (Patient p : patients) {
                w.writeCharacters("\n");
                w.writeStartElement("Patient");
                attr(w, "PatientID", p.patientId());
                attr(w, "IssuerOfPatientID", p.issuerOfPatientId());
                attr(w, "PatientName", p.patientName());
                attr(w, "PatientBirthDate", p.birthDate());
                attr(w, "PatientSex", p.sex());
                for (Study st : p.studies()) {
                    w.writeCharacters("\n");
                    w.writeStartElement("Study");
                    attr(w, "StudyInstanceUID", st.studyInstanceUid());
                    attr(w, "StudyDescription", st.studyDescription());
                    attr(w, "StudyDate", st.studyDate());
                    attr(w, "StudyTime", st.studyTime());
                    attr(w, "AccessionNumber", st.accessionNumber());
                    for (Series se : st.series()) {
                        w.writeCharacters("\n");
                        w.writeStartElement("Series");
                        attr(w, "SeriesInstanceUID", se.seriesInstanceUid());
                        attr(w, "SeriesDescription", se.seriesDescription());
                        attr(w, "SeriesNumber", se.seriesNumber() == null ? null : se.seriesNumber().toString());
                        attr(w, "Modality", se.modality());
                        List<Instance> sorted = se.instances().stream()
                                .sorted(Comparator.comparing((Instance i) -> i.instanceNumber() == null
                                        ? Integer.MAX_VALUE : i.instanceNumber())
                                        .thenComparing(Instance::sopInstanceUid))
                                .toList();
                        for (Instance i : sorted) {
                            w.writeCharacters("\n");
                            w.writeEmptyElement("Instance");
                            attr(w, "SOPInstanceUID", i.sopInstanceUid());
                            attr(w, "InstanceNumber", i.instanceNumber() == null ? null
                                    : i.instanceNumber().toString());
                        }
                        w.writeCharacters("\n");
                        w.writeEndElement();
                    }
                    w.writeCharacters("\n");
                    w.writeEndElement();
                }
                w.writeCharacters("\n");
                w.writeEndElement();
            }
            w.writeCharacters("\n");
            w.writeEndElement();
            w.writeCharacters("\n"); // Weasis's parser wants the document to end with a line break
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the Weasis manifest", e);
        }
        return out.toString();
    }

    private static void attr(XMLStreamWriter w, String name, String value) throws XMLStreamException {
        if (value != null && !value.isEmpty()) {
            w.writeAttribute(name, value);
        }
    }
}
