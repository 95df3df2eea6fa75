package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.Zips;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A study downloaded from the node: as DICOM media in a ZIP (the DICOMDIR read back by DCMTK names every
 * stored instance at its File ID, and each file is byte for byte the stored object) and as JPEG images (each
 * decodes, at the image's size, under names that carry no patient identifier). Every download is audited.
 */
class StudyDownloadTest extends NodeIntegrationTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern FILE_ID = Pattern.compile("DICOM(/[A-Z0-9_]{1,8}){4}");

    @TempDir
    Path work;

    /** Two CT images, a 3-frame image in a second series, and a JPEG-LS compressed one in a third. */
    private List<TestObjects.Spec> storeStudy() throws Exception {
        TestObjects.Spec ct1 = new TestObjects.Spec();
        ct1.patientId = "DL-" + System.nanoTime();
        ct1.patientName = "Dupont^Élise";
        ct1.rows = 40;
        ct1.columns = 48;
        TestObjects.Spec ct2 = ct1.sameSeries();
        ct2.instanceNumber = 2;
        ct2.seed = 2;
        TestObjects.Spec mf = ct1.sameStudy();
        mf.seriesNumber = 2;
        mf.rows = 32;
        mf.columns = 32;
        mf.frames = 3;
        TestObjects.Spec jls = ct1.sameStudy();
        jls.seriesNumber = 3;
        jls.rows = 24;
        jls.columns = 20;
        List<Path> files = new ArrayList<>();
        for (TestObjects.Spec s : List.of(ct1, ct2, mf)) {
            files.add(TestObjects.write(s, work.resolve(s.sopInstanceUid + ".dcm")));
        }
        Path plain = TestObjects.write(jls, work.resolve("jls-in.dcm"));
        Path packed = work.resolve("jls.dcm");
        Dcmtk.Result c = Dcmtk.run(30, "dcmcjpls", plain.toString(), packed.toString());
        assertThat(c.ok()).as(c.output()).isTrue();
        storescu(files);
        storescu(List.of(packed), "-xt");
        return List.of(ct1, ct2, mf, jls);
    }

    private void storescu(List<Path> files, String... options) throws Exception {
        List<String> cmd = Dcmtk.args("storescu", List.of(options), "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), files.stream().map(Path::toString).toList());
        Dcmtk.Result r = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    @Test
    void the_dicom_zip_holds_every_stored_file_unchanged_and_a_dicomdir_that_dcmtk_reads() throws Exception {
        List<TestObjects.Spec> specs = storeStudy();
        String study = specs.get(0).studyUid;

        HttpResponse<InputStream> rs = get("/viewer/downloads/studies/" + study + "/dicom.zip");
        assertThat(rs.statusCode()).isEqualTo(200);
        assertThat(rs.headers().firstValue("Content-Type")).hasValue("application/zip");
        assertThat(rs.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"study-20260115-dicom.zip\"");
        assertThat(rs.headers().firstValue("Content-Length")).as("streamed, not buffered to learn its length")
                .isEmpty();
        Path media = Files.createDirectories(work.resolve("media"));
        List<String> entries = Zips.unzip(rs.body(), media);
        assertThat(entries).contains("DICOMDIR", "README.TXT");
        List<String> fileIds = entries.stream().filter(e -> e.startsWith("DICOM/")).toList();
        assertThat(fileIds).hasSize(4).allMatch(e -> FILE_ID.matcher(e).matches(), "PS3.10 File IDs");

        // DCMTK reads the DICOMDIR: one patient, one study, three series, four image records
        Dcmtk.Result dump = Dcmtk.run(30, "dcmdump", "-q", media.resolve("DICOMDIR").toString());
        assertThat(dump.ok()).as(dump.output()).isTrue();
        String text = dump.output();
        assertThat(count(text, "\\(0004,1430\\) CS \\[PATIENT")).isEqualTo(1);
        assertThat(count(text, "\\(0004,1430\\) CS \\[STUDY")).isEqualTo(1);
        assertThat(count(text, "\\(0004,1430\\) CS \\[SERIES")).isEqualTo(3);
        assertThat(count(text, "\\(0004,1430\\) CS \\[IMAGE")).isEqualTo(4);
        assertThat(text).contains("=MediaStorageDirectoryStorage", "Dupont^", "[" + study + "]");
        // every link between records names the offset of a record (dcmdump prints where each one starts)
        Matcher link = Pattern.compile("\\(0004,1(?:200|202|400|420)\\) up (\\d+)").matcher(text);
        int links = 0;
        while (link.find()) {
            if (!"0".equals(link.group(1))) {
                assertThat(text).contains("#  offset=$" + link.group(1));
                links++;
            }
        }
        assertThat(links).as("root, lower-level and next-record links").isEqualTo(2 + 5 + 3);
        Map<String, String> fileIdBySop = referencedFiles(text);
        Map<String, InstanceLocation> stored = new LinkedHashMap<>();
        index.locate(List.of(new Condition.SingleValue(IndexAttribute.StudyInstanceUID, study)))
                .forEach(i -> stored.put(i.sopInstanceUid(), i));
        assertThat(fileIdBySop.keySet()).containsExactlyInAnyOrderElementsOf(stored.keySet());
        for (Map.Entry<String, String> e : fileIdBySop.entrySet()) {
            Path file = media.resolve(e.getValue().replace('\\', '/'));
            byte[] expected;
            try (InputStream in = blobs.get(stored.get(e.getKey()).blobKey())) {
                expected = in.readAllBytes();
            }
            assertThat(Files.readAllBytes(file)).as(e.getValue() + " is the stored object").isEqualTo(expected);
        }
        // DCMTK's own DICOMDIR reader follows the record offsets: appending to it works only if they are right
        Dcmtk.Result append = Dcmtk.run(60, "dcmgpdir", "+A", "-Nxc", "+id", media.toString(), "+D",
                media.resolve("DICOMDIR").toString(), "+r", "DICOM");
        assertThat(append.ok()).as(append.output()).isTrue();
        assertThat(append.output()).doesNotContainIgnoringCase("error");

        assertThat(audited(study, "download DICOM zip with DICOMDIR: 4 objects")).isEqualTo(1);
    }

    @Test
    void the_jpeg_zip_holds_one_decodable_picture_per_frame_named_without_patient_identifiers() throws Exception {
        List<TestObjects.Spec> specs = storeStudy();
        TestObjects.Spec ct = specs.get(0);

        HttpResponse<InputStream> rs = get("/viewer/downloads/studies/" + ct.studyUid + "/jpeg.zip");
        assertThat(rs.statusCode()).isEqualTo(200);
        Path out = Files.createDirectories(work.resolve("jpeg"));
        List<String> entries = Zips.unzip(rs.body(), out);
        List<String> images = entries.stream().filter(e -> e.endsWith(".jpg")).toList();
        // 2 CT + 3 frames; the JPEG-LS image is rendered when the toolkit has a decoder, else listed as not included
        assertThat(images).contains("S001_CT/IMG0001.jpg", "S001_CT/IMG0002.jpg", "S002_CT/IMG0001_F001.jpg",
                "S002_CT/IMG0001_F002.jpg", "S002_CT/IMG0001_F003.jpg");
        assertThat(images.size() == 6 || entries.contains("NOT_INCLUDED.TXT")).as(entries.toString()).isTrue();
        for (String name : entries) {
            assertThat(name).doesNotContain(ct.patientId, "Dupont", "Elise", "Élise", ct.studyUid);
        }
        Map<String, int[]> sizes = Map.of("S001_CT/IMG0001.jpg", new int[] {48, 40}, "S002_CT/IMG0001_F002.jpg",
                new int[] {32, 32});
        for (String name : images) {
            BufferedImage img = ImageIO.read(out.resolve(name).toFile());
            assertThat(img).as(name + " decodes").isNotNull();
            if (sizes.containsKey(name)) {
                assertThat(new int[] {img.getWidth(), img.getHeight()}).as(name).isEqualTo(sizes.get(name));
            }
        }
        assertThat(audited(ct.studyUid, "download JPEG zip: %")).isEqualTo(1);
    }

    /** An object lost from the store once the archive is streaming: the download fails, never a zip lacking it. */
    @Test
    void a_zip_that_cannot_be_finished_ends_as_a_failed_download_not_as_a_shorter_archive() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        List<Path> files = new ArrayList<>();
        List<TestObjects.Spec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            s.rows = 256; // 128 KiB each: the first file alone commits the response
            s.columns = 256;
            specs.add(s);
            files.add(TestObjects.write(s, work.resolve("lost" + i + ".dcm")));
            s = s.sameSeries();
        }
        storescu(files);
        String study = specs.get(0).studyUid;
        assertThat(blobs.delete(index.findInstance(specs.get(2).sopInstanceUid).orElseThrow().blobKey())).isTrue();

        HttpResponse<InputStream> rs = get("/viewer/downloads/studies/" + study + "/dicom.zip");
        assertThat(rs.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> {
            try (InputStream body = rs.body()) {
                body.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome = 'failure'"
                + " AND detail LIKE 'download DICOM zip with DICOMDIR interrupted: %'", Integer.class, study))
                .isEqualTo(1);
    }

    @Test
    void a_browser_form_posts_the_token_in_the_body_never_in_the_address_and_unknown_studies_are_404()
            throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        storescu(List.of(TestObjects.write(s, work.resolve("one.dcm"))));
        String path = "/viewer/downloads/studies/" + s.studyUid + "/dicom.zip";
        HttpResponse<InputStream> form = HTTP.send(HttpRequest.newBuilder(url(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("access_token=" + URLEncoder.encode("anything",
                        StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(Zips.unzip(form.body(), Files.createDirectories(work.resolve("form")))).contains("DICOMDIR");
        HttpResponse<InputStream> inAddress = HTTP.send(HttpRequest.newBuilder(url(path + "?access_token=x"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(inAddress.statusCode()).isEqualTo(400);

        assertThat(get("/viewer/downloads/studies/1.2.3.4.5.6.7.404/dicom.zip").statusCode()).isEqualTo(404);
        assertThat(get("/viewer/downloads/studies/not-a-uid/dicom.zip").statusCode()).isEqualTo(400);
        assertThat(get("/viewer/downloads/studies/" + s.studyUid + "/other.zip").statusCode()).isEqualTo(404);
    }

    /** Successful audit events of the study like this detail, once the node wrote them (after the last byte). */
    private int audited(String study, String detailLike) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Integer n = jdbc.queryForObject("SELECT count(*) FROM audit_event WHERE study_uid = ? AND outcome ="
                    + " 'success' AND detail LIKE ?", Integer.class, study, detailLike);
            if (n > 0 || System.nanoTime() > deadline) {
                return n;
            }
            Thread.sleep(50);
        }
    }

    private HttpResponse<InputStream> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** ReferencedSOPInstanceUIDInFile to ReferencedFileID, from a dcmdump of a DICOMDIR. */
    private static Map<String, String> referencedFiles(String dump) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher file = Pattern.compile("\\(0004,1500\\) CS \\[([^\\]]+)\\]").matcher(dump);
        Matcher sop = Pattern.compile("\\(0004,1511\\) UI \\[([^\\]]+)\\]").matcher(dump);
        while (file.find()) {
            assertThat(sop.find(file.end())).isTrue();
            out.put(sop.group(1), file.group(1));
        }
        return out;
    }
}
