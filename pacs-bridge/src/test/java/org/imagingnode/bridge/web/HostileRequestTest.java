package org.imagingnode.bridge.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.assertj.core.api.SoftAssertions;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.imagingnode.bridge.testing.RawHttp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Header injection and path traversal at the HTTP edge, on DICOMweb, WADO-URI and the viewer
 * routes: requests carrying control characters (CR/LF and others) in what could reach a response
 * header, encoded traversal ({@code ..%2F}, {@code %2e%2e}, {@code %5C}), overlong UIDs and
 * non-UID characters are refused with 400 and a short plain message, before any handler reads
 * them; nothing of them is echoed into a response header.
 */
class HostileRequestTest extends NodeIntegrationTest {
    private static final String OVERLONG_UID = "1.2." + "3".repeat(61); // 65 characters
    private static TestObjects.Spec stored;

    @TempDir
    Path work;

    @BeforeEach
    void storeOneInstance() throws Exception {
        if (stored == null) {
            TestObjects.Spec s = new TestObjects.Spec();
            Dcmtk.Result r = Dcmtk.run(30, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                    TestObjects.write(s, work.resolve("one.dcm")).toString());
            assertThat(r.ok()).as(r.output()).isTrue();
            stored = s;
        }
    }

    private String wado(String study, String series, String object) {
        return "/wado?requestType=WADO&contentType=application/dicom&studyUID=" + study + "&seriesUID=" + series
                + "&objectUID=" + object;
    }

    @Test
    void aRealInstanceIsServedWithASafeFileName() throws Exception {
        RawHttp.Response r = RawHttp.get(httpPort, wado(stored.studyUid, stored.seriesUid, stored.sopInstanceUid));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Disposition")).contains("attachment; filename=\"" + stored.sopInstanceUid + ".dcm\"");
    }

    @Test
    void controlCharactersThatCouldReachAResponseHeaderAreRefused() throws Exception {
        String crlf = "%0D%0AX-Injected:%20yes";
        List<String> targets = List.of(
                wado(stored.studyUid, stored.seriesUid, stored.sopInstanceUid + crlf),
                wado(stored.studyUid + crlf, stored.seriesUid, stored.sopInstanceUid),
                wado(stored.studyUid, stored.seriesUid, stored.sopInstanceUid) + "&transferSyntax=1.2.840.10008.1.2.1" + crlf,
                "/dicomweb/studies/" + stored.studyUid + crlf + "/metadata",
                "/dicomweb/studies/" + stored.studyUid + "/series/" + stored.seriesUid + "%0AX-Injected:%20yes",
                "/dicomweb/studies?PatientID=" + stored.patientId + crlf,
                "/dicomweb/studies?Nonsense" + crlf + "=1", // an unsupported key is named in a Warning header
                "/dicomweb/studies?PatientID=%07bell",
                "/dicomweb/studies?PatientID=nul%00",
                "/viewer/web/studies/" + stored.studyUid + crlf,
                "/viewer/weasis/studies/" + stored.studyUid + crlf + "/manifest.xml",
                "/viewer/weasis/patient?patientID=P1" + crlf,
                "/viewer/?study=" + stored.studyUid + crlf,
                "/viewer/downloads/studies/" + stored.studyUid + "/dicom.zip?x=" + crlf,
                "/me?next=" + crlf); // /me redirects with its query string in Location
        assertAllRefused(targets);
    }

    @Test
    void traversalAndMalformedUidsInRoutesAreRefused() throws Exception {
        List<String> targets = List.of(
                "/dicomweb/studies/..%2F..%2F..%2Fetc%2Fpasswd",
                "/dicomweb/studies/..%2f..%2fetc/metadata",
                "/dicomweb/studies/%2e%2e/%2e%2e/etc/passwd",
                "/dicomweb/studies/" + stored.studyUid + "/series/..%5C..%5Cx/instances",
                "/dicomweb/studies/" + stored.studyUid + "/series/%2E%2E",
                "/dicomweb/studies/" + OVERLONG_UID + "/series",
                "/dicomweb/studies/" + OVERLONG_UID,
                "/dicomweb/studies/1.2.abc/metadata",
                "/dicomweb/studies/1.2.3;jsessionid=x/metadata",
                "/dicomweb/studies/" + stored.studyUid + "/series/" + stored.seriesUid + "/instances/" + OVERLONG_UID,
                "/dicomweb/studies/" + stored.studyUid + "/series/" + stored.seriesUid + "/instances/1.2%20/frames/1",
                wado("..%2F..%2Fetc", stored.seriesUid, stored.sopInstanceUid),
                wado(stored.studyUid, stored.seriesUid, OVERLONG_UID),
                wado(stored.studyUid, stored.seriesUid, "1.2.3/../../x"),
                "/viewer/web/studies/..%2F..%2Fx",
                "/viewer/web/studies/" + OVERLONG_UID,
                "/viewer/weasis/studies/" + OVERLONG_UID + "/manifest.xml",
                "/viewer/weasis/studies/1.2.x/series/1.2",
                "/viewer/downloads/studies/" + OVERLONG_UID + "/dicom.zip",
                "/viewer/downloads/studies/1.2.x/jpeg.zip",
                "/viewer/downloads/studies/..%2F..%2Fx/dicom.zip",
                "/viewer/imports/..%2Fx",
                "/viewer/%2e%2e/%2e%2e/etc/passwd",
                "/viewer/..%2F..%2Fetc%2Fpasswd");
        assertAllRefused(targets);
    }

    @Test
    void onlyAnAllowedOriginIsEchoedForCors() throws Exception {
        String study = "/dicomweb/studies/" + stored.studyUid + "/series";
        RawHttp.Response allowed = RawHttp.get(httpPort, study, "Origin: http://viewer.test");
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.header("Access-Control-Allow-Origin")).contains("http://viewer.test");
        for (String origin : List.of("http://evil.test", "http://viewer.test.evil.test", "http://viewer.test\u000bX",
                "null", "http://viewer.test, http://evil.test")) {
            RawHttp.Response r = RawHttp.get(httpPort, study, "Origin: " + origin);
            assertThat(r.header("Access-Control-Allow-Origin")).as(origin + " -> " + r).isEmpty();
            assertThat(r.status()).as(origin + " -> " + r).isIn(400, 403);
        }
    }

    @Test
    void aRequestIdIsEchoedOnlyWhenItIsAPlainToken() throws Exception {
        RawHttp.Response plain = RawHttp.get(httpPort, "/dicomweb/studies?PatientID=none", "X-Request-Id: abc-123.def_4");
        assertThat(plain.header("X-Request-Id")).contains("abc-123.def_4");
        RawHttp.Response control = RawHttp.get(httpPort, "/dicomweb/studies?PatientID=none", "X-Request-Id: abc\u0007def");
        assertThat(control.status()).as("Tomcat refuses a control character in a header").isEqualTo(400);
        assertThat(String.join("\n", control.headerLines())).doesNotContain("abc");
        for (String hostile : List.of("a\"; b=c", "x".repeat(65), "<script>", "a b", "../x")) {
            RawHttp.Response r = RawHttp.get(httpPort, "/dicomweb/studies?PatientID=none", "X-Request-Id: " + hostile);
            assertThat(r.header("X-Request-Id")).as(hostile + " -> " + r).isPresent().get(InstanceOfAssertFactories.STRING)
                    .matches("r-[0-9a-f]{16}");
        }
    }

    /** Every target refused (all checked, so that a failure lists every request that got through). */
    private void assertAllRefused(List<String> targets) throws Exception {
        SoftAssertions softly = new SoftAssertions();
        for (String target : targets) {
            RawHttp.Response r = RawHttp.get(httpPort, target);
            softly.assertThat(r.status()).as(target + " -> " + r).isEqualTo(400);
            softly.assertThat(String.join("\n", r.headerLines())).as(target + " -> " + r).doesNotContain("X-Injected");
            softly.assertThat(r.text().strip()).as(target + " -> " + r).doesNotContain("Exception").doesNotContain("\tat ")
                    .doesNotContain("<html").doesNotContain("\r").doesNotContain("\n").hasSizeBetween(1, 300);
        }
        softly.assertAll();
    }
}
