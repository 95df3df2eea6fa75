package org.imagingnode.bridge.sharing.nodeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.imagingnode.bridge.NodeApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * A trusted node's DICOMweb base ({@code node.sharing.auth.trusted-nodes.<id>.dicomweb-url}), the only address a
 * caller's token is sent to for that node's studies: compared after normalisation, and a node does not start with
 * one that is not a plain absolute http(s) URL.
 */
class DicomWebBaseTest {

    @Test
    void theSameBaseWrittenDifferentlyIsTheSameBase() {
        DicomWebBase base = DicomWebBase.parse("https://a.example/dicomweb/").orElseThrow();
        assertThat(base.url()).isEqualTo("https://a.example/dicomweb");
        assertThat(base.isNamedBy("https://a.example/dicomweb")).isTrue();
        assertThat(base.isNamedBy("HTTPS://A.Example:443/dicomweb//")).isTrue();
        assertThat(DicomWebBase.parse("http://a.example:80").orElseThrow().isNamedBy("http://a.example/")).isTrue();
    }

    @Test
    void anotherSchemeHostPortOrPathIsAnotherBase() {
        DicomWebBase base = DicomWebBase.parse("https://a.example/dicomweb").orElseThrow();
        assertThat(base.isNamedBy("http://a.example/dicomweb")).isFalse();
        assertThat(base.isNamedBy("https://a.example.evil.test/dicomweb")).isFalse();
        assertThat(base.isNamedBy("https://a.example:8443/dicomweb")).isFalse();
        assertThat(base.isNamedBy("https://a.example/dicomweb/../other")).isFalse();
        assertThat(base.isNamedBy("https://a.example/other/dicomweb")).isFalse();
        assertThat(base.isNamedBy("https://a.example/dicomweb?x=1")).isFalse();
        assertThat(base.isNamedBy("https://someone@a.example/dicomweb")).isFalse();
        assertThat(base.isNamedBy("not a url")).isFalse();
        assertThat(base.isNamedBy(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.example/dicomweb", "/dicomweb", "ftp://a.example/dicomweb",
            "https://user:pw@a.example/dicomweb", "https://a.example/dicomweb?x=1", "https://a.example/dicomweb#top",
            "https:///dicomweb", "https://a.example/dicom web"})
    void aTrustedNodeWithAMalformedDicomWebUrlIsRefused(String url) {
        assertThatThrownBy(() -> new NodeAuthProperties.TrustedNode(null, "https://a.example/node/jwks.json", url))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dicomweb-url");
    }

    @Test
    void aNodeDoesNotStartWithAMalformedDicomWebUrl() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "malformed-dicomweb-url");
        assertThatThrownBy(() -> new SpringApplicationBuilder(NodeApplication.class).run(
                "--node.data-dir=" + dir, "--server.port=0", "--server.address=127.0.0.1", "--node.dimse.port=0",
                "--node.dimse.bind-address=127.0.0.1",
                "--node.sharing.auth.trusted-nodes.site-a.jwks-uri=https://a.example/node/jwks.json",
                "--node.sharing.auth.trusted-nodes.site-a.dicomweb-url=https://a.example/dicomweb?token=1").close())
                .rootCause().hasMessageContaining("dicomweb-url 'https://a.example/dicomweb?token=1' is not an absolute"
                        + " http(s) URL without user info, query or fragment");
    }
}
