package org.imagingnode.bridge.viewer;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dicomweb.Multipart;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerTokenService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The web viewer in a real browser: Debian's headless Chromium, driven by playwright-core
 * (viewer-launcher/src/main/frontend/e2e/viewer-check.mjs), opens the viewer link the node hands out for a
 * study stored with storescu, scrolls the series, drags the window/level and picks a preset. The image
 * canvas must be drawn (not blank, at the size of its element) and change with each step.
 */
class WebViewerBrowserTest extends NodeIntegrationTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FRONTEND = Path.of("..", "viewer-launcher", "src", "main", "frontend");
    private static final int IMAGES = 10;

    @Autowired
    ViewerTokenService tokens;

    @TempDir
    Path work;

    @Test
    void a_study_opens_scrolls_and_windows_in_headless_chromium() throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        first.rows = 128;
        first.columns = 160;
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= IMAGES; i++) {
            TestObjects.Spec s = i == 1 ? first : first.sameSeries();
            s.instanceNumber = i;
            s.seed = i;
            files.add(TestObjects.write(s, work.resolve("ct" + i + ".dcm")));
        }
        storeAll(files);

        // the page and its bundled assets are served by the node (no CDN)
        HttpResponse<String> page = get("/viewer/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"viewport\"").doesNotContain("://cdn", "unpkg.com", "jsdelivr");
        Matcher script = Pattern.compile("src=\"(/viewer/assets/[^\"]+\\.js)\"").matcher(page.body());
        assertThat(script.find()).isTrue();
        assertThat(get(script.group(1)).statusCode()).isEqualTo(200);
        assertThat(get("/viewer?study=1.2.3").headers().firstValue("Location")).hasValue("/viewer/?study=1.2.3");

        // the link the node hands out carries a study-scoped viewer token in its fragment
        HttpResponse<String> launch = get("/viewer/web/studies/" + first.studyUid);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        String viewerUrl = JSON.readTree(launch.body()).get("viewerUrl").asText();
        assertThat(viewerUrl).startsWith("http://127.0.0.1:" + httpPort + "/viewer/?study=" + first.studyUid + "#token=");
        assertThat(tokens.verify(viewerUrl.substring(viewerUrl.indexOf("#token=") + 7)).scope())
                .isEqualTo(ViewerScope.study(first.patientId, first.issuer, first.studyUid));

        JsonNode r = runBrowser(viewerUrl, "interactions");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        Files.writeString(Path.of("target", "viewer-browser-test", "interactions", "result.json"), r.toPrettyString());
        JsonNode firstImage = r.at("/steps/first");
        assertThat(firstImage.get("count").asInt()).isEqualTo(IMAGES);
        assertThat(firstImage.get("index").asInt()).isEqualTo(0);
        for (String step : List.of("first", "scrolled", "windowed", "preset")) {
            JsonNode s = r.at("/steps/" + step);
            // drawn at the size of its element, and not blank
            assertThat(s.get("canvasWidth").asInt()).as(step).isEqualTo(
                    Math.round(s.get("cssWidth").asInt() * s.get("dpr").asDouble())).isGreaterThan(300);
            assertThat(s.get("canvasHeight").asInt()).as(step).isEqualTo(
                    Math.round(s.get("cssHeight").asInt() * s.get("dpr").asDouble())).isGreaterThan(200);
            assertThat(s.get("litFraction").asDouble()).as(step).isGreaterThan(0.05);
            assertThat(s.get("stddev").asDouble()).as(step).isGreaterThan(2.0);
            BufferedImage shot = ImageIO.read(Path.of(s.get("screenshot").asText()).toFile());
            assertThat(shot.getWidth()).as(step).isEqualTo(s.get("cssWidth").asInt());
            assertThat(shot.getHeight()).as(step).isEqualTo(s.get("cssHeight").asInt());
            assertThat(distinctColours(shot)).as(step + " screenshot colours").isGreaterThan(16);
        }
        JsonNode scrolled = r.at("/steps/scrolled");
        assertThat(scrolled.get("index").asInt()).isEqualTo(3);
        assertThat(scrolled.get("hash").asLong()).isNotEqualTo(firstImage.get("hash").asLong());
        assertThat(differingPixels(r.at("/steps/first/screenshot").asText(), scrolled.get("screenshot").asText()))
                .isGreaterThan(0.05);

        JsonNode windowed = r.at("/steps/windowed");
        assertThat(windowed.get("voi")).isNotEqualTo(scrolled.get("voi"));
        assertThat(windowed.get("hash").asLong()).isNotEqualTo(scrolled.get("hash").asLong());
        assertThat(differingPixels(scrolled.get("screenshot").asText(), windowed.get("screenshot").asText()))
                .isGreaterThan(0.05);
        JsonNode preset = r.at("/steps/preset");
        assertThat(preset.get("voi").get("center").asInt()).isEqualTo(300);
        assertThat(preset.get("voi").get("width").asInt()).isEqualTo(1500);
        assertThat(preset.get("hash").asLong()).isNotEqualTo(windowed.get("hash").asLong());

        JsonNode zoomed = r.at("/steps/zoomed");
        assertThat(zoomed.at("/camera/parallelScale").asDouble())
                .isLessThan(preset.at("/camera/parallelScale").asDouble() * 0.8);
        assertThat(zoomed.get("hash").asLong()).isNotEqualTo(preset.get("hash").asLong());

        JsonNode measured = r.at("/steps/measured");
        assertThat(measured.get("tool").asText()).isEqualTo("Length");
        assertThat(measured.get("measurements")).hasSize(1);
        assertThat(measured.at("/measurements/0/length").asDouble()).isGreaterThan(10);
        assertThat(differingPixels(zoomed.get("screenshot").asText(), measured.get("screenshot").asText()))
                .as("the measured line is drawn").isGreaterThan(0.0005);
    }

    @Test
    void keyboard_shortcuts_full_screen_and_the_french_english_switch_work() throws Exception {
        String viewerUrl = storeSeries(6, "extras");
        JsonNode r = runBrowser(viewerUrl.replace("#token=", "&lang=en#token="), "extras", "--extras");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        JsonNode steps = r.get("steps");
        assertThat(steps.at("/end/index").asInt()).as("End: last image").isEqualTo(5);
        assertThat(steps.at("/home/index").asInt()).as("Home: first image").isZero();
        assertThat(steps.at("/keys/invert").asBoolean()).as("I inverts").isTrue();
        assertThat(steps.at("/keys/tool").asText()).as("P selects pan").isEqualTo("Pan");
        assertThat(steps.get("helpOpen").asBoolean()).as("? opens the shortcuts").isTrue();
        assertThat(steps.get("helpText").asText()).contains("F: full screen");
        assertThat(steps.at("/fullscreen/element").asText()).isEqualTo("HTML");
        assertThat(steps.at("/fullscreenDrawn/litFraction").asDouble()).isGreaterThan(0.05);
        assertThat(steps.get("startLang").asText()).isEqualTo("en");
        JsonNode fr = steps.get("switched");
        assertThat(fr.get("lang").asText()).isEqualTo("fr");
        assertThat(fr.get("fullscreenTitle").asText()).isEqualTo("Plein écran (F)");
        assertThat(fr.get("help").asText()).contains("F : plein écran");
        assertThat(fr.get("address").asText()).contains("lang=fr").doesNotContain("token");
        assertThat(fr.get("state").asText()).isEqualTo("ready");
        JsonNode en = steps.get("switchedBack");
        assertThat(en.get("lang").asText()).isEqualTo("en");
        assertThat(en.get("fullscreenTitle").asText()).isEqualTo("Full screen (F)");
    }

    @Test
    void on_a_phone_one_finger_swipes_through_the_series_and_two_fingers_pinch_to_zoom() throws Exception {
        String viewerUrl = storeSeries(10, "touch");
        JsonNode r = runBrowser(viewerUrl, "phone-touch", "--touch", "--width", "390", "--height", "844");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        JsonNode swiped = r.at("/steps/swiped");
        assertThat(swiped.get("index").asInt()).as("a swipe down moves on in the series")
                .isGreaterThan(swiped.get("before").asInt());
        assertThat(swiped.get("hash").asLong()).isNotEqualTo(r.at("/steps/first/hash").asLong());
        JsonNode pinched = r.at("/steps/pinched");
        assertThat(pinched.at("/camera/parallelScale").asDouble()).as("spreading two fingers zooms in")
                .isLessThan(pinched.get("scaleBefore").asDouble() * 0.9);
        assertThat(pinched.get("litFraction").asDouble()).isGreaterThan(0.05);
    }

    /** Stores a series of that many CT images and returns the viewer link the node hands out for its study. */
    private String storeSeries(int images, String name) throws Exception {
        TestObjects.Spec first = new TestObjects.Spec();
        first.rows = 128;
        first.columns = 128;
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= images; i++) {
            TestObjects.Spec s = i == 1 ? first : first.sameSeries();
            s.instanceNumber = i;
            s.seed = i * 7;
            files.add(TestObjects.write(s, work.resolve(name + i + ".dcm")));
        }
        storeAll(files);
        HttpResponse<String> launch = get("/viewer/web/studies/" + first.studyUid);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        return JSON.readTree(launch.body()).get("viewerUrl").asText();
    }

    @Test
    void a_multi_frame_image_scrolls_frame_by_frame_on_a_phone_sized_screen() throws Exception {
        TestObjects.Spec mf = new TestObjects.Spec();
        mf.rows = 64;
        mf.columns = 64;
        mf.frames = 4;
        store(TestObjects.write(mf, work.resolve("multiframe.dcm")));

        JsonNode r = runBrowser("http://127.0.0.1:" + httpPort + "/viewer/?study=" + mf.studyUid, "phone-multiframe",
                "--width", "390", "--height", "844");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        JsonNode first = r.at("/steps/first");
        assertThat(first.get("count").asInt()).as("one image per frame").isEqualTo(4);
        assertThat(first.get("seriesBelowImage").asBoolean()).as("series strip under the image on a phone").isTrue();
        assertThat(first.get("cssWidth").asInt()).isBetween(300, 390);
        assertThat(first.get("litFraction").asDouble()).isGreaterThan(0.05);
        JsonNode scrolled = r.at("/steps/scrolled");
        assertThat(scrolled.get("index").asInt()).isEqualTo(3);
        assertThat(scrolled.get("hash").asLong()).as("frame 4 differs from frame 1")
                .isNotEqualTo(first.get("hash").asLong());
    }

    @Test
    void compressed_series_are_decoded_in_the_browser_into_the_same_image_as_uncompressed() throws Exception {
        TestObjects.Spec raw = new TestObjects.Spec();
        raw.rows = 96;
        raw.columns = 120;
        raw.seed = 5;
        store(TestObjects.write(raw, work.resolve("raw.dcm")));
        // the same pixels, compressed losslessly into syntaxes modalities send, stored as compressed: by DCMTK
        // (storescu proposes the matching syntax: -xs JPEG lossless, -xt JPEG-LS lossless, -xr RLE), by OpenJPEG
        // (-xv JPEG 2000 lossless) and by OpenJPH (HTJ2K, which DCMTK 3.6.7 does not know: sent by STOW-RS; lossless
        // 4.201, lossless RPCL 4.202, and 4.203, which allows lossy coding, here with a lossless code stream in
        // another progression order)
        Map<String, String> seriesByCodec = new LinkedHashMap<>();
        int n = 2;
        for (String[] codec : List.of(new String[] {"dcmcjpeg", "-xs"}, new String[] {"dcmcjpls", "-xt"},
                new String[] {"dcmcrle", "-xr"}, new String[] {"opj_compress", "-xv"},
                new String[] {"ojph_compress", "STOW-RS"}, new String[] {"ojph_compress:4.202", "STOW-RS"},
                new String[] {"ojph_compress:4.203", "STOW-RS"})) {
            TestObjects.Spec s = raw.sameStudy();
            s.rows = raw.rows;
            s.columns = raw.columns;
            s.seed = raw.seed;
            s.seriesNumber = n++;
            Path plain = TestObjects.write(s, work.resolve(codec[0] + "-in.dcm"));
            Path packed = work.resolve(codec[0] + ".dcm");
            byte[] codeStream = null;
            switch (codec[0]) {
                case "opj_compress" -> encapsulated(plain, s, packed, TransferSyntax.JPEG_2000_LOSSLESS, "opj_compress");
                case "ojph_compress" -> codeStream = encapsulated(plain, s, packed, TransferSyntax.HTJ2K_LOSSLESS,
                        "ojph_compress", "-reversible", "true");
                case "ojph_compress:4.202" -> encapsulated(plain, s, packed, TransferSyntax.HTJ2K_LOSSLESS_RPCL,
                        "ojph_compress", "-reversible", "true", "-prog_order", "RPCL");
                case "ojph_compress:4.203" -> encapsulated(plain, s, packed, TransferSyntax.HTJ2K,
                        "ojph_compress", "-reversible", "true", "-prog_order", "LRCP");
                default -> {
                    Dcmtk.Result c = Dcmtk.run(30, codec[0], plain.toString(), packed.toString());
                    assertThat(c.ok()).as(c.output()).isTrue();
                }
            }
            assertThat(Files.size(packed)).as(codec[0]).isLessThan(Files.size(plain));
            if (codec[1].equals("STOW-RS")) {
                stow(packed);
            } else {
                store(packed, codec[1]);
            }
            seriesByCodec.put(codec[0], s.seriesUid);
            if (codec[0].equals("ojph_compress")) {
                // stored as received: the frame comes back as the HTJ2K code stream that was sent
                HttpResponse<byte[]> frame = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/dicomweb/studies/" + s.studyUid + "/series/" + s.seriesUid + "/instances/"
                        + s.sopInstanceUid + "/frames/1"))
                        .header("Accept", "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*")
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(frame.statusCode()).isEqualTo(200);
                Multipart.Part part = Multipart.parse(frame.body(), frame.headers().firstValue("Content-Type")
                        .orElseThrow()).get(0);
                assertThat(part.contentType()).endsWith("transfer-syntax=" + TransferSyntax.HTJ2K_LOSSLESS);
                assertThat(part.body()).isEqualTo(codeStream);
                // an HTJ2K code stream: SOC, SIZ, then the CAP marker (FF50) that Part 15 code streams carry
                assertThat(Arrays.copyOf(part.body(), 6)).isEqualTo(new byte[] {-1, 0x4F, -1, 0x51, 0, 0x29});
                assertThat(Arrays.copyOfRange(part.body(), 4 + 0x29, 4 + 0x29 + 2)).isEqualTo(new byte[] {-1, 0x50});
            }
        }

        String base = "http://127.0.0.1:" + httpPort + "/viewer/?study=" + raw.studyUid + "&series=";
        JsonNode reference = runBrowser(base + raw.seriesUid, "codec-raw", "--only-first");
        assertThat(reference.get("ok").asBoolean()).as(reference.toString()).isTrue();
        JsonNode ref = reference.at("/steps/first");
        assertThat(ref.get("series").asText()).isEqualTo(raw.seriesUid);
        assertThat(ref.get("stddev").asDouble()).isGreaterThan(2.0);
        for (Map.Entry<String, String> e : seriesByCodec.entrySet()) {
            JsonNode r = runBrowser(base + e.getValue(), "codec-" + e.getKey(), "--only-first");
            assertThat(r.get("ok").asBoolean()).as(e.getKey() + ": " + r).isTrue();
            JsonNode first = r.at("/steps/first");
            assertThat(first.get("series").asText()).isEqualTo(e.getValue());
            assertThat(first.get("hash").asLong()).as(e.getKey() + " draws the same pixels as uncompressed")
                    .isEqualTo(ref.get("hash").asLong());
        }
    }

    @Test
    void a_jpeg_baseline_image_is_decoded_and_drawn() throws Exception {
        // lossy 8-bit JPEG, as a camera or a secondary capture sends it: DCMTK's img2dcm wraps a JPEG file as is
        TestObjects.Spec study = new TestObjects.Spec();
        study.rows = 16;
        study.columns = 16;
        Path template = TestObjects.write(study, work.resolve("template.dcm"));
        BufferedImage picture = new BufferedImage(160, 120, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < picture.getHeight(); y++) {
            for (int x = 0; x < picture.getWidth(); x++) {
                picture.getRaster().setSample(x, y, 0, (x * 255 / 160 + (y / 20 % 2) * 60) % 256);
            }
        }
        Path jpeg = work.resolve("picture.jpg");
        assertThat(ImageIO.write(picture, "jpeg", jpeg.toFile())).isTrue();
        Path dcm = work.resolve("jpeg-baseline.dcm");
        Dcmtk.Result wrapped = Dcmtk.run(30, "img2dcm", "-stf", template.toString(), jpeg.toString(), dcm.toString());
        assertThat(wrapped.ok()).as(wrapped.output()).isTrue();
        assertThat(TestObjects.read(dcm).getString(Tag.SOPClassUID)).isNotNull();
        store(dcm, "-xy");
        String series = TestObjects.read(dcm).getString(Tag.SeriesInstanceUID);

        JsonNode r = runBrowser("http://127.0.0.1:" + httpPort + "/viewer/?study=" + study.studyUid + "&series="
                + series, "codec-jpeg-baseline", "--only-first");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        JsonNode first = r.at("/steps/first");
        assertThat(first.get("series").asText()).isEqualTo(series);
        assertThat(first.get("litFraction").asDouble()).as("drawn").isGreaterThan(0.2);
        assertThat(first.get("stddev").asDouble()).as("the gradient, not a flat image").isGreaterThan(10.0);
        BufferedImage shot = ImageIO.read(Path.of(first.get("screenshot").asText()).toFile());
        assertThat(distinctColours(shot)).isGreaterThan(32);
    }

    /**
     * The object's pixels as a JPEG 2000 family code stream made by {@code encoder} (OpenJPEG's opj_compress or
     * OpenJPH's ojph_compress, from a 16-bit PGM; the encoder's own options follow), encapsulated (PS3.5 A.4:
     * empty offset table, one fragment) in a copy of the object in {@code transferSyntax}. Returns the fragment.
     */
    private byte[] encapsulated(Path plain, TestObjects.Spec s, Path out, String transferSyntax, String... encoder)
            throws Exception {
        byte[] pixels = TestObjects.pixelData(plain); // little endian 16-bit
        Path pgm = work.resolve("j2k-in.pgm");
        byte[] header = ("P5\n" + s.columns + " " + s.rows + "\n4095\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i += 2) { // PGM is big endian
            body[i] = pixels[i + 1];
            body[i + 1] = pixels[i];
        }
        Files.write(pgm, concat(header, body));
        Path j2k = work.resolve(encoder[0] + "-out.j2k");
        List<String> command = new ArrayList<>(List.of(encoder[0], "-i", pgm.toString(), "-o", j2k.toString()));
        command.addAll(List.of(encoder).subList(1, encoder.length));
        Dcmtk.Result c = Dcmtk.run(30, command.toArray(String[]::new));
        assertThat(c.ok()).as(c.output()).isTrue();
        byte[] code = Files.readAllBytes(j2k);
        if (code.length % 2 == 1) {
            code = Arrays.copyOf(code, code.length + 1);
        }
        byte[] file = Files.readAllBytes(plain);
        long datasetOffset;
        try (InputStream in = Files.newInputStream(plain)) {
            datasetOffset = Part10.skipHeader(in);
        }
        int pixelElement = file.length - pixels.length - 12; // PixelData OW is the last element
        assertThat(Arrays.copyOfRange(file, pixelElement, pixelElement + 6))
                .isEqualTo(new byte[] {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'W'});
        ByteArrayOutputStream encapsulated = new ByteArrayOutputStream();
        encapsulated.writeBytes(new byte[] {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, -1, -1, -1, -1});
        encapsulated.writeBytes(new byte[] {-2, -1, 0x00, -32, 0, 0, 0, 0}); // empty Basic Offset Table
        encapsulated.writeBytes(new byte[] {-2, -1, 0x00, -32, (byte) code.length, (byte) (code.length >>> 8),
            (byte) (code.length >>> 16), (byte) (code.length >>> 24)});
        encapsulated.writeBytes(code);
        encapsulated.writeBytes(new byte[] {-2, -1, -35, -32, 0, 0, 0, 0});
        Files.write(out, concat(Part10.header(s.sopClassUid, s.sopInstanceUid, transferSyntax),
                Arrays.copyOfRange(file, (int) datasetOffset, pixelElement), encapsulated.toByteArray()));
        return code;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void the_portal_finds_a_patient_and_opens_the_study_in_weasis_and_in_the_web_viewer() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        s.patientName = "Lefèvre^Anaïs";
        s.studyDescription = "IRM genou";
        s.modality = "MR";
        s.sopClassUid = TestObjects.MR_IMAGE;
        s.rows = 64;
        s.columns = 64;
        store(TestObjects.write(s, work.resolve("portal.dcm")));

        Path out = Files.createDirectories(Path.of("target", "viewer-browser-test", "portal"));
        String url = "http://127.0.0.1:" + httpPort + "/portal?lang=fr&PatientID=" + s.patientId;
        assertThat(get("/portal?lang=fr").headers().firstValue("Location")).hasValue("/viewer/portal.html?lang=fr");
        // open-dev: nobody signs in, and there is no dev sign-in (the dev token endpoint does not exist)
        assertThat(JSON.readTree(get("/viewer/login-options").body()))
                .isEqualTo(JSON.readTree("{\"mode\":\"open-dev\",\"devLogin\":false}"));
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/dev/tokens"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        Process p = new ProcessBuilder("node", FRONTEND.resolve("e2e").resolve("portal-check.mjs").toString(),
                url.replace("/portal?", "/viewer/portal.html?"), out.toString())
                .redirectError(work.resolve("portal.log").toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(stdout, StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(text + Files.readString(work.resolve("portal.log"))).isEqualTo(0);
        JsonNode r = JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();

        assertThat(r.get("heading").asText()).isEqualTo("Portail d’imagerie");
        assertThat(r.get("rows")).hasSize(1);
        assertThat(r.at("/rows/0/study").asText()).isEqualTo(s.studyUid);
        assertThat(r.at("/rows/0/text").asText()).contains("LEFÈVRE Anaïs", "MR", "IRM genou");
        assertThat(r.get("buttons").toString()).contains("Ouvrir dans Weasis", "Visionneuse web");

        Map<String, String> weasis = Weasis.options(URI.create(r.get("weasisUri").asText()),
                "$dicom:rs");
        assertThat(weasis.get("-r")).isEqualTo("studyUID=" + s.studyUid);
        assertThat(tokens.verify(weasis.get("-H").substring("Authorization: ".length())).scope().studyInstanceUid())
                .isEqualTo(s.studyUid);

        JsonNode viewer = r.get("viewer");
        assertThat(viewer.get("state").asText()).isEqualTo("ready");
        assertThat(viewer.get("study").asText()).isEqualTo(s.studyUid);
        assertThat(viewer.get("addressHasToken").asBoolean()).as("token removed from the address bar").isFalse();
        assertThat(viewer.get("count").asInt()).isEqualTo(1);
        assertThat(viewer.get("litFraction").asDouble()).isGreaterThan(0.05);
    }

    private void storeAll(List<Path> files) throws Exception {
        List<String> cmd = Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                files.stream().map(Path::toString).toList());
        Dcmtk.Result stored = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(stored.ok()).as(stored.output()).isTrue();
    }

    private void store(Path file, String... options) throws Exception {
        List<String> cmd = Dcmtk.args("storescu", List.of(options), "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1",
                dimsePort(), file.toString());
        Dcmtk.Result stored = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(stored.ok()).as(stored.output()).isTrue();
        assertThat(stored.output()).doesNotContain("unable to convert");
    }

    private void stow(Path file) throws Exception {
        Object[] body = Multipart.dicomBody(List.of(file));
        HttpResponse<String> stored = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/dicomweb/studies")).header("Content-Type", (String) body[0]).header("Accept", "application/dicom+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray((byte[]) body[1])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    }

    private JsonNode runBrowser(String viewerUrl, String name, String... options) throws Exception {
        // kept under target/ for a person to look at after a run
        Path out = Files.createDirectories(Path.of("target", "viewer-browser-test", name));
        Path log = work.resolve(name + "-browser.log");
        List<String> command = new ArrayList<>(List.of("node", FRONTEND.resolve("e2e").resolve("viewer-check.mjs")
                .toString(), viewerUrl, out.toString()));
        command.addAll(List.of(options));
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("browser check did not finish; log:\n" + Files.readString(log));
        }
        String text = new String(stdout, StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(text + "\n" + Files.readString(log)).isEqualTo(0);
        return JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int distinctColours(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                colours.add(img.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return colours.size();
    }

    /** Fraction of pixels that differ between two screenshots of the same size. */
    private static double differingPixels(String a, String b) throws Exception {
        BufferedImage ia = ImageIO.read(Path.of(a).toFile());
        BufferedImage ib = ImageIO.read(Path.of(b).toFile());
        assertThat(ib.getWidth()).isEqualTo(ia.getWidth());
        assertThat(ib.getHeight()).isEqualTo(ia.getHeight());
        long diff = 0;
        for (int y = 0; y < ia.getHeight(); y++) {
            for (int x = 0; x < ia.getWidth(); x++) {
                if (ia.getRGB(x, y) != ib.getRGB(x, y)) {
                    diff++;
                }
            }
        }
        return diff / (double) (ia.getWidth() * ia.getHeight());
    }
}
