package org.imagingnode.viewer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.threeten.extra.MutableClock;

class WeasisLaunchTest {
    private static final String BASE = "https://node.example.org:8443/dicomweb";
    private static final String STUDY = "1.2.826.0.1.3680043.8.498.10";
    private static final String SERIES = "1.2.826.0.1.3680043.8.498.11";
    private final MutableClock clock = MutableClock.of(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
    private final ViewerTokenService tokens = new ViewerTokenService(ViewerTokenService.randomSecret(),
            "https://node.example.org", Duration.ofMinutes(20), clock);

    @Test
    void a_study_launch_loads_the_study_from_dicomweb_with_the_viewer_token_as_header() throws Exception {
        ViewerToken token = tokens.issue("dr-house", ViewerScope.study("PAT1", "INS", STUDY));

        WeasisLaunch launch = WeasisLaunch.dicomWeb(BASE + "/", token);

        assertThat(launch.uri().getScheme()).isEqualTo("weasis");
        assertThat(launch.uri().toString()).doesNotContain(" ", "+", "\"");
        WeasisCommandLine cmd = WeasisCommandLine.parse(launch.uri());
        assertThat(cmd.command()).isEqualTo("$dicom:rs");
        assertThat(cmd.single("--url")).isEqualTo(BASE);
        assertThat(cmd.single("-r")).isEqualTo("studyUID=" + STUDY);
        String header = cmd.single("-H");
        assertThat(header).startsWith("Authorization: Bearer ");
        ViewerToken carried = tokens.verify(header.substring("Authorization: ".length()));
        assertThat(carried.scope()).isEqualTo(token.scope());
        assertThat(carried.subject()).isEqualTo("dr-house");
        assertThat(launch.expiresAt()).isEqualTo(carried.expiresAt()).isEqualTo(clock.instant().plusSeconds(1200));
        assertThat(cmd.options().keySet()).containsExactly("--url", "-r", "-H");
    }

    @Test
    void the_credential_in_a_launch_uri_stops_working_when_it_expires() throws Exception {
        WeasisLaunch launch = WeasisLaunch.dicomWeb(BASE, tokens.issue("dr-house", ViewerScope.study(null, null, STUDY)));
        String bearer = WeasisCommandLine.parse(launch.uri()).single("-H").substring("Authorization: ".length());
        assertThat(tokens.verify(bearer)).isNotNull();
        clock.add(Duration.ofMinutes(21));
        assertThatThrownBy(() -> tokens.verify(bearer)).isInstanceOf(InvalidViewerTokenException.class);
    }

    @Test
    void series_and_patient_launches_name_their_uids() {
        WeasisLaunch series = WeasisLaunch.dicomWeb(BASE, tokens.issue("u", ViewerScope.series(null, null, STUDY, SERIES)));
        assertThat(WeasisCommandLine.parse(series.uri()).single("-r")).isEqualTo("seriesUID=" + SERIES);

        WeasisLaunch patient = WeasisLaunch.dicomWeb(BASE, tokens.issue("u", ViewerScope.patient("1234567890123",
                "1.2.250.1.213.1.4.8")));
        assertThat(WeasisCommandLine.parse(patient.uri()).single("-r"))
                .isEqualTo("patientID=1234567890123^^^1.2.250.1.213.1.4.8");
        WeasisLaunch local = WeasisLaunch.dicomWeb(BASE, tokens.issue("u", ViewerScope.patient("PAT 7", null)));
        assertThat(WeasisCommandLine.parse(local.uri()).single("-r")).isEqualTo("patientID=PAT 7");
    }

    @Test
    void urls_with_credentials_or_identifiers_that_would_break_the_command_are_refused() {
        ViewerToken t = tokens.issue("u", ViewerScope.study(null, null, STUDY));
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb("https://user:secret@node.example.org/dicomweb", t))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("secret");
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb("ftp://node.example.org/dicomweb", t))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb("https://node.example.org/dicomweb?token=x", t))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb("/dicomweb", t)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb(BASE, tokens.issue("u", ViewerScope.patient("A&studyUID=1", null))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeasisLaunch.dicomWeb(BASE, tokens.issue("u", ViewerScope.patient("A\"B", null))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_manifest_launch_opens_the_manifest_url_with_dicom_get() {
        String url = "https://node.example.org/viewer/weasis/studies/" + STUDY + "/manifest.xml?token=abc.def.ghi";
        WeasisLaunch launch = WeasisLaunch.manifest(url, clock.instant().plusSeconds(60));
        WeasisCommandLine cmd = WeasisCommandLine.parse(launch.uri());
        assertThat(cmd.command()).isEqualTo("$dicom:get");
        assertThat(cmd.single("-w")).isEqualTo(url);
    }
}
