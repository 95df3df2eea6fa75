package org.imagingnode.bridge.dicomweb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * DICOMweb (QIDO-RS, WADO-RS, STOW-RS, WADO-URI) over real HTTP against the running node, with data
 * stored by DCMTK's storescu (DIMSE) and by STOW-RS.
 */
class DicomWebTest extends NodeIntegrationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path work;

    @Autowired
    AuditLog audit;

    /** A CT study of three instances with a German name, stored through DIMSE. */
    static TestObjects.Spec ct;
    static List<Path> ctFiles = new ArrayList<>();
    /** A three-frame MR, stored through DIMSE. */
    static TestObjects.Spec mf;
    static Path mfFile;
    /** A JPEG lossless copy of a CT image (dcmcjpeg), stored through DIMSE. */
    static TestObjects.Spec jpegSpec;
    static Path jpegFile;
    private static boolean loaded;

    @BeforeEach
    void loadOnce() throws Exception {
        synchronized (DicomWebTest.class) {
            if (loaded) {
                return;
            }
            ct = new TestObjects.Spec();
            ct.patientName = "Müller^Jürgen=ミュラー^ユルゲン";
            ct.studyDate = "20250310";
            TestObjects.Spec s = ct;
            for (int i = 0; i < 3; i++) {
                s.rows = 64;
                s.columns = 64;
                ctFiles.add(TestObjects.write(s, work.resolve("ct" + i + ".dcm")));
                s = s.sameSeries();
            }
            mf = new TestObjects.Spec();
            mf.modality = "MR";
            mf.sopClassUid = TestObjects.MR_IMAGE;
            mf.frames = 3;
            mf.rows = 32;
            mf.columns = 48;
            mfFile = TestObjects.write(mf, work.resolve("mf.dcm"));
            jpegSpec = new TestObjects.Spec();
            jpegSpec.rows = 64;
            jpegSpec.columns = 64;
            Path raw = TestObjects.write(jpegSpec, work.resolve("raw.dcm"));
            jpegFile = work.resolve("jpeg.dcm");
            assertThat(Dcmtk.run(60, "dcmcjpeg", raw.toString(), jpegFile.toString()).ok()).isTrue();
            List<Path> all = new ArrayList<>(ctFiles);
            all.add(mfFile);
            all.add(jpegFile);
            Dcmtk.Result r = storescu(all);
            assertThat(r.ok()).as(r.output()).isTrue();
            loaded = true;
        }
    }

    Dcmtk.Result storescu(List<Path> files) throws Exception {
        List<String> cmd = Dcmtk.args("storescu", "-xs", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                files.stream().map(Path::toString).toList());
        return Dcmtk.run(60, cmd.toArray(String[]::new));
    }

    // ------------------------------------------------------------------ HTTP helpers

    String base() {
        return "http://127.0.0.1:" + httpPort + "/dicomweb";
    }

    HttpResponse<byte[]> get(String pathAndQuery, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pathAndQuery.startsWith("http") ? pathAndQuery
                : base() + pathAndQuery)).timeout(Duration.ofSeconds(30)).GET();
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    JsonNode json(String pathAndQuery) throws Exception {
        HttpResponse<byte[]> r = get(pathAndQuery, "application/dicom+json");
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/dicom+json");
        return JSON.readTree(r.body());
    }

    HttpResponse<byte[]> stow(String path, List<Path> files) throws Exception {
        Object[] body = Multipart.dicomBody(files);
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", (String) body[0]).header("Accept", "application/dicom+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray((byte[]) body[1])).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String str(JsonNode obj, String tag) {
        JsonNode v = obj.path(tag).path("Value");
        return v.isMissingNode() || v.isEmpty() ? null : v.get(0).asText();
    }

    static String study(TestObjects.Spec s) {
        return "/studies/" + s.studyUid;
    }

    static String instance(TestObjects.Spec s) {
        return "/studies/" + s.studyUid + "/series/" + s.seriesUid + "/instances/" + s.sopInstanceUid;
    }

    // ------------------------------------------------------------------ QIDO-RS

    @Test
    void qidoFindsStudyByPatientIdWithDefaultAttributes() throws Exception {
        JsonNode studies = json("/studies?PatientID=" + q(ct.patientId));
        assertThat(studies).hasSize(1);
        JsonNode st = studies.get(0);
        assertThat(str(st, "0020000D")).isEqualTo(ct.studyUid);
        assertThat(st.path("00100010").path("vr").asText()).isEqualTo("PN");
        JsonNode name = st.path("00100010").path("Value").get(0);
        assertThat(name.path("Alphabetic").asText()).isEqualTo("Müller^Jürgen");
        assertThat(name.path("Ideographic").asText()).isEqualTo("ミュラー^ユルゲン");
        assertThat(st.path("00201208").path("Value").get(0).asInt()).isEqualTo(3);
        assertThat(st.path("00201206").path("Value").get(0).asInt()).isEqualTo(1);
        assertThat(str(st, "00080061")).isEqualTo("CT");
        assertThat(str(st, "00080020")).isEqualTo("20250310");
        assertThat(str(st, "00080005")).isEqualTo("ISO_IR 192");
        assertThat(str(st, "00081190")).isEqualTo(base() + study(ct));
    }

    @Test
    void qidoMatchesNamesWildcardsDatesModalitiesUidListsAndPages() throws Exception {
        assertThat(json("/studies?PatientName=" + q("müller*") + "&PatientID=" + q(ct.patientId))).hasSize(1);
        assertThat(json("/studies?PatientName=" + q("MÜLLER^JÜRGEN=ミュラー^ユルゲン") + "&PatientID=" + q(ct.patientId))).hasSize(1);
        assertThat(json("/studies?PatientName=" + q("Mül?er*") + "&fuzzymatching=false&PatientID=" + q(ct.patientId)))
                .hasSize(1);
        assertThat(json("/studies?PatientID=" + q(ct.patientId) + "&StudyDate=20250301-20250331")).hasSize(1);
        assertThat(json("/studies?PatientID=" + q(ct.patientId) + "&StudyDate=-20241231")).isEmpty();
        assertThat(json("/studies?PatientID=" + q(ct.patientId) + "&ModalitiesInStudy=CT")).hasSize(1);
        assertThat(json("/studies?PatientID=" + q(ct.patientId) + "&ModalitiesInStudy=MR")).isEmpty();
        assertThat(json("/studies?AccessionNumber=" + q(ct.accession))).hasSize(1);
        JsonNode two = json("/studies?StudyInstanceUID=" + ct.studyUid + "," + mf.studyUid);
        assertThat(two).hasSize(2);
        assertThat(json("/studies?StudyInstanceUID=" + ct.studyUid + "&StudyInstanceUID=" + mf.studyUid)).hasSize(2);
        // tags work as well as keywords
        assertThat(json("/studies?00100020=" + q(ct.patientId))).hasSize(1);
        // limit / offset page through the same stable order
        JsonNode first = json("/studies?StudyInstanceUID=" + ct.studyUid + "," + mf.studyUid + "&limit=1");
        JsonNode second = json("/studies?StudyInstanceUID=" + ct.studyUid + "," + mf.studyUid + "&limit=1&offset=1");
        assertThat(first).hasSize(1);
        assertThat(second).hasSize(1);
        assertThat(str(first.get(0), "0020000D")).isNotEqualTo(str(second.get(0), "0020000D"));
    }

    @Test
    void qidoSeriesAndInstancesCountMatchWhatWasStored() throws Exception {
        JsonNode series = json(study(ct) + "/series");
        assertThat(series).hasSize(1);
        assertThat(str(series.get(0), "0020000E")).isEqualTo(ct.seriesUid);
        assertThat(series.get(0).path("00201209").path("Value").get(0).asInt()).isEqualTo(3);
        assertThat(str(series.get(0), "00080060")).isEqualTo("CT");
        JsonNode instances = json(study(ct) + "/series/" + ct.seriesUid + "/instances");
        assertThat(instances).hasSize(3);
        assertThat(instances).extracting(i -> i.path("00200013").path("Value").get(0).asInt()).containsExactly(1, 2, 3);
        assertThat(json(study(ct) + "/instances")).hasSize(3);
        assertThat(json("/series?PatientID=" + q(ct.patientId) + "&Modality=CT")).hasSize(1);
        JsonNode all = json("/instances?SOPInstanceUID=" + mf.sopInstanceUid + "&includefield=all");
        assertThat(all).hasSize(1);
        assertThat(all.get(0).path("00280008").path("Value").get(0).asInt()).isEqualTo(3);
        assertThat(str(all.get(0), "00100020")).isEqualTo(mf.patientId); // study/patient attributes included
    }

    @Test
    void qidoEmptyAnswerIs200WithEmptyArray() throws Exception {
        HttpResponse<byte[]> r = get("/studies?PatientID=NOBODY-" + System.nanoTime(), null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body())).isEmpty();
    }

    @Test
    void qidoBadQueriesAre400WithAReadableMessage() throws Exception {
        HttpResponse<byte[]> badDate = get("/studies?StudyDate=2025-13-45", null);
        assertThat(badDate.statusCode()).isEqualTo(400);
        assertThat(new String(badDate.body(), StandardCharsets.UTF_8)).contains("StudyDate");
        HttpResponse<byte[]> unknown = get("/studies?NotAnAttribute=1", null);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(new String(unknown.body(), StandardCharsets.UTF_8)).contains("NotAnAttribute");
        assertThat(get("/studies?limit=-1", null).statusCode()).isEqualTo(400);
        assertThat(get("/studies?StudyInstanceUID=not.a..uid", null).statusCode()).isEqualTo(400);
        assertThat(get("/studies/" + ct.studyUid + "/series?SOPInstanceUID=1.2.3", null).statusCode()).isEqualTo(400);
        assertThat(get("/studies?PatientID=x", "multipart/related; type=\"application/dicom+xml\"").statusCode())
                .isEqualTo(406);
        // a known attribute the index cannot match on is ignored, with a Warning
        HttpResponse<byte[]> warned = get("/studies?PatientID=" + q(ct.patientId) + "&PatientWeight=70", null);
        assertThat(warned.statusCode()).isEqualTo(200);
        assertThat(warned.headers().firstValue("Warning").orElse("")).contains("PatientWeight");
    }

    // ------------------------------------------------------------------ WADO-RS

    @Test
    void studyRetrieveStreamsEveryInstanceWithByteIdenticalPixelData() throws Exception {
        HttpResponse<byte[]> r = get(study(ct), "multipart/related; type=\"application/dicom\"");
        assertThat(r.statusCode()).isEqualTo(200);
        String ct0 = r.headers().firstValue("Content-Type").orElseThrow();
        assertThat(ct0).startsWith("multipart/related").contains("application/dicom");
        List<Multipart.Part> parts = Multipart.parse(r.body(), ct0);
        assertThat(parts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Path got = work.resolve("got-ct" + i + ".dcm");
            Files.write(got, parts.get(i).body());
            assertThat(parts.get(i).contentType()).startsWith("application/dicom");
            assertThat(TestObjects.pixelData(got)).isEqualTo(TestObjects.pixelData(ctFiles.get(i)));
        }
        // series and single instance
        HttpResponse<byte[]> series = get(study(ct) + "/series/" + ct.seriesUid, null);
        assertThat(Multipart.parse(series.body(), series.headers().firstValue("Content-Type").orElseThrow())).hasSize(3);
        HttpResponse<byte[]> one = get(instance(ct), "application/dicom");
        assertThat(one.statusCode()).isEqualTo(200);
        Path single = work.resolve("single.dcm");
        Files.write(single, one.body());
        assertThat(TestObjects.pixelData(single)).isEqualTo(TestObjects.pixelData(ctFiles.get(0)));
    }

    /**
     * A retrieve that fails once its 200 and first parts are on the wire (here the third object is gone from the
     * blob store) reaches the client as a broken transfer, never as a well-formed answer lacking part of the study;
     * the same loss found before anything is sent is an error status. Either way the access is audited as failed.
     */
    @Test
    void aRetrieveThatFailsAfterItsFirstPartsIsCutOffNotEndedAsComplete() throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        TestObjects.Spec s = first;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            s.rows = 256; // 128 KiB each: the first part alone commits the response
            s.columns = 256;
            files.add(TestObjects.write(s, work.resolve("cut" + i + ".dcm")));
            if (i < 2) {
                s = s.sameSeries();
            }
        }
        TestObjects.Spec third = s;
        Dcmtk.Result stored = storescu(files);
        assertThat(stored.ok()).as(stored.output()).isTrue();
        assertThat(blobs.delete(index.findInstance(third.sopInstanceUid).orElseThrow().blobKey())).isTrue();

        assertThatThrownBy(() -> get(study(first), "multipart/related; type=\"application/dicom\""))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> get(study(first) + "/series/" + first.seriesUid, null))
                .isInstanceOf(IOException.class);
        HttpResponse<byte[]> alone = get(instance(third), "application/dicom");
        assertThat(alone.statusCode()).isEqualTo(500);
        assertThat(text(alone)).isEqualTo("storage read error");

        assertThat(audit.forStudy(first.studyUid, 10)).filteredOn(e -> "failure".equals(e.outcome()))
                .extracting(AuditEvent::detail).hasSize(3)
                .anySatisfy(d -> assertThat(d).startsWith("WADO-RS study retrieve, 3 instance(s)").endsWith("interrupted"))
                .anySatisfy(d -> assertThat(d).startsWith("WADO-RS series retrieve, 3 instance(s)"));
    }

    @Test
    void compressedObjectsTravelAsStoredAndAre406WhenAnotherSyntaxIsDemanded() throws Exception {
        HttpResponse<byte[]> r = get(instance(jpegSpec), "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        assertThat(r.statusCode()).isEqualTo(200);
        List<Multipart.Part> parts = Multipart.parse(r.body(), r.headers().firstValue("Content-Type").orElseThrow());
        assertThat(parts.get(0).contentType()).contains("transfer-syntax=1.2.840.10008.1.2.4.70");
        Path got = work.resolve("got-jpeg.dcm");
        Files.write(got, parts.get(0).body());
        assertThat(TestObjects.pixelData(got)).isEqualTo(TestObjects.pixelData(jpegFile));
        assertThat(get(instance(jpegSpec), "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1")
                .statusCode()).isEqualTo(406);
        assertThat(get(instance(ct), "image/gif").statusCode()).isEqualTo(406);
    }

    @Test
    void unknownUidsAre404() throws Exception {
        assertThat(get("/studies/1.2.3.4.5.6.7.404", null).statusCode()).isEqualTo(404);
        assertThat(get(study(ct) + "/series/1.2.3.404", null).statusCode()).isEqualTo(404);
        assertThat(get(study(ct) + "/series/" + ct.seriesUid + "/instances/1.2.3.404/metadata", null).statusCode())
                .isEqualTo(404);
        assertThat(get("/studies/1.2.3.4.5.6.7.404/metadata", null).statusCode()).isEqualTo(404);
        assertThat(get("/studies/not-a-uid", null).statusCode()).isEqualTo(400);
    }

    @Test
    void metadataCarriesTheObjectsValuesAndPixelDataAsBulkDataUri() throws Exception {
        JsonNode md = json(study(ct) + "/metadata");
        assertThat(md).hasSize(3);
        JsonNode first = md.get(0);
        assertThat(str(first, "00080018")).isEqualTo(ct.sopInstanceUid);
        assertThat(first.path("00100010").path("Value").get(0).path("Alphabetic").asText()).isEqualTo("Müller^Jürgen");
        assertThat(first.path("00280010").path("Value").get(0).asInt()).isEqualTo(64);
        assertThat(first.path("00280100").path("vr").asText()).isEqualTo("US");
        assertThat(first.path("00281050").path("Value").get(0).asDouble()).isEqualTo(1024.0);
        String bulk = first.path("7FE00010").path("BulkDataURI").asText();
        assertThat(bulk).isEqualTo(base() + instance(ct) + "/bulkdata/7FE00010");
        assertThat(first.has("00020010")).isFalse(); // no file meta in metadata
        // the bulk data URI serves the pixel data bytes exactly
        HttpResponse<byte[]> px = get(bulk, "multipart/related; type=\"application/octet-stream\"");
        assertThat(px.statusCode()).isEqualTo(200);
        List<Multipart.Part> parts = Multipart.parse(px.body(), px.headers().firstValue("Content-Type").orElseThrow());
        assertThat(parts.get(0).body()).isEqualTo(TestObjects.pixelData(ctFiles.get(0)));
        // series and instance metadata
        assertThat(json(study(ct) + "/series/" + ct.seriesUid + "/metadata")).hasSize(3);
        assertThat(json(instance(mf) + "/metadata").get(0).path("00280008").path("Value").get(0).asInt()).isEqualTo(3);
    }

    @Test
    void framesOfUncompressedPixelDataAreTheirExactByteRanges() throws Exception {
        byte[] all = TestObjects.pixelData(mfFile);
        int frameSize = 32 * 48 * 2;
        HttpResponse<byte[]> r = get(instance(mf) + "/frames/2,3", "multipart/related; type=\"application/octet-stream\"");
        assertThat(r.statusCode()).isEqualTo(200);
        List<Multipart.Part> parts = Multipart.parse(r.body(), r.headers().firstValue("Content-Type").orElseThrow());
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0).body()).isEqualTo(Arrays.copyOfRange(all, frameSize, 2 * frameSize));
        assertThat(parts.get(1).body()).isEqualTo(Arrays.copyOfRange(all, 2 * frameSize, 3 * frameSize));
        assertThat(parts.get(0).contentType()).startsWith("application/octet-stream");
        assertThat(get(instance(mf) + "/frames/4", null).statusCode()).isEqualTo(404);
        assertThat(get(instance(mf) + "/frames/0", null).statusCode()).isEqualTo(400);
        assertThat(get(instance(mf) + "/frames/1", "multipart/related; type=\"image/jpeg\"").statusCode()).isEqualTo(406);
    }

    @Test
    void framesOfCompressedPixelDataAreTheStoredFragmentsWithTheirMediaType() throws Exception {
        HttpResponse<byte[]> r = get(instance(jpegSpec) + "/frames/1", "multipart/related; type=\"image/jpeg\"");
        assertThat(r.statusCode()).isEqualTo(200);
        List<Multipart.Part> parts = Multipart.parse(r.body(), r.headers().firstValue("Content-Type").orElseThrow());
        assertThat(parts.get(0).contentType()).startsWith("image/jpeg").contains("1.2.840.10008.1.2.4.70");
        assertThat(parts.get(0).body()).isEqualTo(TestObjects.pixelData(jpegFile));
        assertThat(parts.get(0).body()[0] & 0xFF).isEqualTo(0xFF);
        assertThat(parts.get(0).body()[1] & 0xFF).isEqualTo(0xD8);
        // what a viewer asks for: anything, as stored
        HttpResponse<byte[]> asStored = get(instance(jpegSpec) + "/frames/1",
                "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*");
        assertThat(asStored.statusCode()).isEqualTo(200);
        // uncompressed octet-stream cannot be produced from JPEG without transcoding
        assertThat(get(instance(jpegSpec) + "/frames/1", "multipart/related; type=\"application/octet-stream\"")
                .statusCode()).isEqualTo(406);
    }

    @Test
    void renderedAndThumbnailsAreImagesInTheAcceptedFormat() throws Exception {
        HttpResponse<byte[]> jpeg = get(instance(ct) + "/rendered", "image/jpeg");
        assertThat(jpeg.statusCode()).isEqualTo(200);
        assertThat(jpeg.headers().firstValue("Content-Type").orElse("")).isEqualTo("image/jpeg");
        var image = ImageIO.read(new ByteArrayInputStream(jpeg.body()));
        assertThat(image.getWidth()).isEqualTo(64);
        HttpResponse<byte[]> png = get(instance(mf) + "/frames/3/rendered?viewport=24,24", "image/png");
        assertThat(png.statusCode()).isEqualTo(200);
        var small = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertThat(small.getWidth()).isEqualTo(24);
        assertThat(small.getHeight()).isEqualTo(16);
        HttpResponse<byte[]> thumb = get(study(ct) + "/thumbnail", null);
        assertThat(thumb.statusCode()).isEqualTo(200);
        assertThat(ImageIO.read(new ByteArrayInputStream(thumb.body())).getWidth()).isLessThanOrEqualTo(128);
        assertThat(get(study(ct) + "/series/" + ct.seriesUid + "/thumbnail", "image/png").statusCode()).isEqualTo(200);
        assertThat(get(instance(mf) + "/frames/9/rendered", "image/jpeg").statusCode()).isEqualTo(404);
        assertThat(get(instance(ct) + "/rendered", "application/pdf").statusCode()).isEqualTo(406);
        assertThat(get(instance(ct) + "/rendered?window=40,400", "image/jpeg").statusCode()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ STOW-RS

    @Test
    void stowStoresThroughTheIngestPipelineAndListsWhatWasStored() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.characterSet = "ISO_IR 100";
        s.patientName = "Dupré^Hélène";
        s.rows = 32;
        s.columns = 32;
        Path a = TestObjects.write(s, work.resolve("stow-a.dcm"));
        TestObjects.Spec s2 = s.sameSeries();
        Path b = TestObjects.write(s2, work.resolve("stow-b.dcm"));
        HttpResponse<byte[]> r = stow("/studies", List.of(a, b));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("00081199").path("Value")).hasSize(2);
        assertThat(str(body.path("00081199").path("Value").get(0), "00081155")).isEqualTo(s.sopInstanceUid);
        assertThat(str(body, "00081190")).isEqualTo(base() + study(s));
        assertThat(body.has("00081198")).isFalse();

        // found by QIDO, names decoded from ISO_IR 100 and matched
        JsonNode found = json("/studies?PatientName=" + q("dupré*") + "&PatientID=" + q(s.patientId));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).path("00100010").path("Value").get(0).path("Alphabetic").asText()).isEqualTo("Dupré^Hélène");
        assertThat(json(study(s) + "/metadata").get(0).path("00100010").path("Value").get(0).path("Alphabetic").asText())
                .isEqualTo("Dupré^Hélène");
        // retrieved pixel data is byte-identical
        HttpResponse<byte[]> back = get(instance(s), "application/dicom");
        Path got = work.resolve("stow-back.dcm");
        Files.write(got, back.body());
        assertThat(TestObjects.pixelData(got)).isEqualTo(TestObjects.pixelData(a));

        // same bytes again: idempotent; and through DIMSE too (the normalised file is the same)
        String sha = index.findInstance(s.sopInstanceUid).orElseThrow().sha256();
        assertThat(stow("/studies", List.of(a)).statusCode()).isEqualTo(200);
        assertThat(storescu(List.of(a)).ok()).isTrue();
        assertThat(index.findInstance(s.sopInstanceUid).orElseThrow().sha256()).isEqualTo(sha);
        assertThat(json(study(s) + "/instances")).hasSize(2);
        assertThat(audit.forStudy(s.studyUid, 20)).anySatisfy(e -> {
            assertThat(e.channel()).isEqualTo("DICOMweb");
            assertThat(e.action()).isEqualTo("store");
        });
    }

    @Test
    void stowReportsFailuresWithReasonsAnd202Or409() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        Path good = TestObjects.write(s, work.resolve("stow-good.dcm"));
        Path garbage = work.resolve("garbage.dcm");
        Files.write(garbage, "this is not DICOM at all".repeat(10).getBytes(StandardCharsets.US_ASCII));
        Path truncated = work.resolve("truncated.dcm");
        TestObjects.Spec t = new TestObjects.Spec();
        byte[] full = Files.readAllBytes(TestObjects.write(t, work.resolve("full.dcm")));
        Files.write(truncated, Arrays.copyOf(full, full.length - 1000));

        HttpResponse<byte[]> mixed = stow("/studies", List.of(good, garbage, truncated));
        assertThat(mixed.statusCode()).isEqualTo(202);
        JsonNode body = JSON.readTree(mixed.body());
        assertThat(body.path("00081199").path("Value")).hasSize(1);
        JsonNode failed = body.path("00081198").path("Value");
        assertThat(failed).hasSize(2);
        assertThat(failed.get(0).path("00081197").path("Value").get(0).asInt()).isEqualTo(0xC000);
        assertThat(str(failed.get(1), "00081155")).isEqualTo(t.sopInstanceUid);
        assertThat(failed.get(1).path("00081197").path("Value").get(0).asInt()).isEqualTo(0xC000);

        // an instance of another study than the one addressed
        TestObjects.Spec other = new TestObjects.Spec();
        Path otherFile = TestObjects.write(other, work.resolve("other.dcm"));
        HttpResponse<byte[]> wrongStudy = stow(study(s), List.of(otherFile));
        assertThat(wrongStudy.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(wrongStudy.body()).path("00081198").path("Value").get(0).path("00081197")
                .path("Value").get(0).asInt()).isEqualTo(0xC409);
        assertThat(get("/studies/" + other.studyUid, null).statusCode()).isEqualTo(404);

        // not multipart/related: 415
        HttpResponse<byte[]> plain = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies"))
                .header("Content-Type", "application/dicom").POST(HttpRequest.BodyPublishers.ofByteArray(full)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(plain.statusCode()).isEqualTo(415);
    }

    @Test
    void stowOfAMalformedBodyIs400WithWhatIsWrongAndStoresNothingAfterIt() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        byte[] good = Files.readAllBytes(TestObjects.write(s, work.resolve("malformed-good.dcm")));
        String open = "--m\r\nContent-Type: application/dicom\r\n\r\n";

        assertThat(rawStow("no delimiter at all")).isEqualTo("400 malformed multipart body: no boundary delimiter in the body");
        assertThat(rawStow(open + "the body ends inside a part")).startsWith("400 ").contains("truncated inside a part");
        assertThat(rawStow("--m\r\nX-Huge: " + "h".repeat(9000) + "\r\n\r\n")).startsWith("400 ").contains("more than 8192 bytes");
        assertThat(rawStow("--m\r\nContent-Type: application dicom\r\n\r\nx\r\n--m--")).startsWith("400 ")
                .contains("not a media type");

        // a good part, then the body breaks: the part is stored and the rest is one failed entry
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(open.getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(good);
        body.writeBytes(("\r\n" + open + "cut").getBytes(StandardCharsets.US_ASCII));
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies"))
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=m")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode answer = JSON.readTree(r.body());
        assertThat(str(answer.path("00081199").path("Value").get(0), "00081155")).isEqualTo(s.sopInstanceUid);
        assertThat(answer.path("00081198").path("Value").get(0).path("00081197").path("Value").get(0).asInt())
                .isEqualTo(0xC000);
    }

    /** A STOW-RS of a hand-made body with boundary "m": "status message". */
    private String rawStow(String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies"))
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=m")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.ISO_8859_1)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    @Test
    void stowOfManyPartsAnswersForEachInTheOrderSentAndStoresThemAll() throws Exception {
        // more parts than the node ingests at once, with a refused one in the middle
        TestObjects.Spec first = new TestObjects.Spec();
        first.rows = 16;
        first.columns = 16;
        List<Path> parts = new ArrayList<>();
        List<String> sent = new ArrayList<>();
        TestObjects.Spec spec = first;
        for (int i = 0; i < 11; i++) {
            if (i == 5) {
                Path garbage = work.resolve("many-garbage.dcm");
                Files.write(garbage, "not DICOM".repeat(20).getBytes(StandardCharsets.US_ASCII));
                parts.add(garbage);
                continue;
            }
            parts.add(TestObjects.write(spec, work.resolve("many-" + i + ".dcm")));
            sent.add(spec.sopInstanceUid);
            spec = spec.sameSeries();
        }

        HttpResponse<byte[]> r = stow("/studies", parts);

        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode body = JSON.readTree(r.body());
        List<String> referenced = new ArrayList<>();
        body.path("00081199").path("Value").forEach(item -> referenced.add(str(item, "00081155")));
        assertThat(referenced).containsExactlyElementsOf(sent);
        assertThat(body.path("00081198").path("Value")).hasSize(1);
        assertThat(json(study(first) + "/instances")).hasSize(sent.size());
    }

    // ------------------------------------------------------------------ WADO-URI, CORS, audit

    @Test
    void wadoUriServesTheObjectAndRenderings() throws Exception {
        String query = "/wado?requestType=WADO&studyUID=" + ct.studyUid + "&seriesUID=" + ct.seriesUid + "&objectUID="
                + ct.sopInstanceUid;
        String root = "http://127.0.0.1:" + httpPort;
        HttpResponse<byte[]> dicom = get(root + query + "&contentType=application/dicom", null);
        assertThat(dicom.statusCode()).isEqualTo(200);
        Path got = work.resolve("wado-uri.dcm");
        Files.write(got, dicom.body());
        assertThat(TestObjects.pixelData(got)).isEqualTo(TestObjects.pixelData(ctFiles.get(0)));
        HttpResponse<byte[]> jpeg = get(root + query, null);
        assertThat(jpeg.statusCode()).isEqualTo(200);
        assertThat(jpeg.headers().firstValue("Content-Type").orElse("")).isEqualTo("image/jpeg");
        assertThat(ImageIO.read(new ByteArrayInputStream(jpeg.body())).getWidth()).isEqualTo(64);
        assertThat(get(root + query + "&contentType=image/png&rows=32", null).statusCode()).isEqualTo(200);
        assertThat(get(root + "/wado?requestType=WADO&studyUID=" + ct.studyUid, null).statusCode()).isEqualTo(400);
        assertThat(get(root + "/wado?requestType=WADO&studyUID=" + ct.studyUid + "&objectUID=1.2.3.404", null)
                .statusCode()).isEqualTo(404);
        assertThat(audit.forStudy(ct.studyUid, 50)).anySatisfy(e -> assertThat(e.channel()).isEqualTo("WADO-URI"));
    }

    @Test
    void corsLetsTheConfiguredBrowserOriginCallAndPreflight() throws Exception {
        HttpResponse<byte[]> preflight = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://viewer.test")
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization, accept").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://viewer.test");
        HttpResponse<byte[]> call = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies?PatientID=x"))
                .header("Origin", "http://viewer.test").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(call.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://viewer.test");
        HttpResponse<byte[]> stranger = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/studies?PatientID=x"))
                .header("Origin", "http://evil.test").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(stranger.statusCode()).isEqualTo(403);
        assertThat(stranger.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void everyAccessIsAuditedWithoutPatientNames() throws Exception {
        json(study(mf) + "/metadata");
        get(instance(mf) + "/frames/1", null);
        List<AuditEvent> events = audit.forStudy(mf.studyUid, 50);
        assertThat(events).filteredOn(e -> "DICOMweb".equals(e.channel()) && "retrieve".equals(e.action()))
                .hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(e -> {
                    assertThat(e.patientId()).isEqualTo(mf.patientId);
                    assertThat(e.outcome()).isEqualTo("success");
                    assertThat(e.actor()).isEqualTo("anonymous");
                    assertThat(e.detail()).doesNotContain("Doe");
                });
    }

    // ------------------------------------------------------------------ a viewer's flow

    /** What OHIF-like viewers do: find the study, list series, read metadata, then fetch every frame. */
    @Test
    void aViewerLoadsAStudyThroughQidoMetadataAndFrames() throws Exception {
        JsonNode studies = json("/studies?PatientID=" + q(ct.patientId) + "&includefield=00081030,00080060");
        String studyUid = str(studies.get(0), "0020000D");
        JsonNode series = json("/studies/" + studyUid + "/series");
        int frames = 0;
        for (JsonNode se : series) {
            String seriesUid = str(se, "0020000E");
            JsonNode metadata = json("/studies/" + studyUid + "/series/" + seriesUid + "/metadata");
            for (JsonNode md : metadata) {
                String sop = str(md, "00080018");
                int n = md.path("00280008").path("Value").path(0).asInt(1);
                int rows = md.path("00280010").path("Value").get(0).asInt();
                int cols = md.path("00280011").path("Value").get(0).asInt();
                for (int f = 1; f <= n; f++) {
                    HttpResponse<byte[]> r = get("/studies/" + studyUid + "/series/" + seriesUid + "/instances/" + sop
                            + "/frames/" + f, "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*");
                    assertThat(r.statusCode()).isEqualTo(200);
                    List<Multipart.Part> parts = Multipart.parse(r.body(),
                            r.headers().firstValue("Content-Type").orElseThrow());
                    assertThat(parts.get(0).body()).hasSize(rows * cols * 2);
                    frames++;
                }
            }
        }
        assertThat(frames).isEqualTo(3);
    }

    static String text(HttpResponse<byte[]> r) throws IOException {
        return new String(r.body(), StandardCharsets.UTF_8);
    }
}
