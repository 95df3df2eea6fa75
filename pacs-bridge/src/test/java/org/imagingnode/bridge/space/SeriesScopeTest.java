package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A viewer token scoped to one series (a Weasis launch of a series) opens that series on every route: QIDO-RS
 * series and instances, WADO-RS series, instance, frames, metadata, bulk data, rendered and thumbnails,
 * WADO-URI; never the other series of the study, nor the study as a whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeriesScopeTest extends TokensNode {
    TestObjects.Spec shown;
    TestObjects.Spec other;
    String token;

    @BeforeAll
    void launchASeries() throws Exception {
        NationalId zoe = person();
        shown = study("Z-" + zoe.id(), "SITE-A", zoe);
        other = shown.sameStudy();
        other.otherPatientIds.addAll(shown.otherPatientIds);
        other.rows = 16;
        other.columns = 16;
        store(shown, other);
        String pro = professionalToken("88" + System.nanoTime() % 1_000_000_000L, "FINESS-OTHER");
        var launch = get("/viewer/weasis/studies/" + shown.studyUid + "/series/" + shown.seriesUid, pro);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        Matcher m = Pattern.compile("Authorization: (Bearer [A-Za-z0-9_.-]+)").matcher(URLDecoder.decode(
                JSON.readTree(launch.body()).get("weasisUri").asText(), StandardCharsets.UTF_8));
        assertThat(m.find()).isTrue();
        token = m.group(1);
    }

    private static String series(TestObjects.Spec s) {
        return "/dicomweb/studies/" + s.studyUid + "/series/" + s.seriesUid;
    }

    private static String instance(TestObjects.Spec s) {
        return series(s) + "/instances/" + s.sopInstanceUid;
    }

    private static String wadoUri(TestObjects.Spec s, boolean withSeries) {
        return "/wado?requestType=WADO&studyUID=" + s.studyUid + (withSeries ? "&seriesUID=" + s.seriesUid : "")
                + "&objectUID=" + s.sopInstanceUid + "&contentType=application/dicom";
    }

    private static List<String> routes(TestObjects.Spec s) {
        return List.of(series(s), series(s) + "/metadata", series(s) + "/thumbnail", instance(s),
                instance(s) + "/metadata", instance(s) + "/frames/1", instance(s) + "/rendered",
                instance(s) + "/thumbnail", instance(s) + "/frames/1/rendered", instance(s) + "/bulkdata/7FE00010",
                wadoUri(s, true), wadoUri(s, false));
    }

    @Test
    void every_route_of_its_series_is_open() throws Exception {
        for (String path : routes(shown)) {
            assertThat(get(path, token).statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void no_route_of_another_series_of_the_same_study_is_open() throws Exception {
        for (String path : routes(other)) {
            var rs = get(path, token);
            assertThat(rs.statusCode()).as(path).isEqualTo(404);
            assertThat(rs.body()).doesNotContain(other.patientId).doesNotContain("\"Value\"");
        }
    }

    @Test
    void the_web_viewers_series_launch_opens_that_series_only_too() throws Exception {
        String pro = professionalToken("89" + System.nanoTime() % 1_000_000_000L, "FINESS-OTHER");
        var launch = get("/viewer/web/studies/" + shown.studyUid + "/series/" + shown.seriesUid, pro);
        assertThat(launch.statusCode()).as(launch.body()).isEqualTo(200);
        String url = JSON.readTree(launch.body()).get("viewerUrl").asText();
        assertThat(url).contains("/viewer/?study=" + shown.studyUid + "&series=" + shown.seriesUid + "#token=");
        String web = "Bearer " + url.replaceAll(".*#token=", "");
        assertThat(get(instance(shown) + "/frames/1", web).statusCode()).isEqualTo(200);
        assertThat(get(instance(other) + "/frames/1", web).statusCode()).isEqualTo(404);
        assertThat(get("/dicomweb/studies/" + shown.studyUid, web).statusCode()).isEqualTo(404);
    }

    @Test
    void the_study_as_a_whole_is_not_open() throws Exception {
        for (String path : List.of("/dicomweb/studies/" + shown.studyUid, "/dicomweb/studies/" + shown.studyUid
                + "/metadata", "/dicomweb/studies/" + shown.studyUid + "/thumbnail")) {
            assertThat(get(path, token).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void queries_find_its_series_and_its_instances_only() throws Exception {
        var seriesRows = JSON.readTree(get("/dicomweb/studies/" + shown.studyUid + "/series", token).body());
        assertThat(seriesRows).hasSize(1);
        assertThat(seriesRows.get(0).get("0020000E").get("Value").get(0).asText()).isEqualTo(shown.seriesUid);
        var instances = JSON.readTree(get("/dicomweb/studies/" + shown.studyUid + "/instances", token).body());
        assertThat(instances).hasSize(1);
        assertThat(instances.get(0).get("00080018").get("Value").get(0).asText()).isEqualTo(shown.sopInstanceUid);
        assertThat(get(series(other) + "/instances", token).body()).isEqualTo("[]");
        assertThat(get("/dicomweb/series?SeriesInstanceUID=" + other.seriesUid, token).body()).isEqualTo("[]");
        assertThat(studyUids(get("/dicomweb/studies?StudyInstanceUID=" + shown.studyUid, token)))
                .containsExactly(shown.studyUid);
    }
}
