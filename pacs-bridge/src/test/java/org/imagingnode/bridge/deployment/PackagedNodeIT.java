package org.imagingnode.bridge.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executable jar, started with the container's command line (docker/Dockerfile ENTRYPOINT) and
 * configured by environment variables as docker/compose.yml does: it must boot on its embedded
 * defaults, report healthy, and serve DICOM.
 */
class PackagedNodeIT {
    /** Same as the Dockerfile's ENTRYPOINT, with the jar where Maven builds it. */
    static final List<String> START = List.of("java", "-XX:MaxRAMPercentage=75", "-jar", "target/pacs-bridge.jar");

    @TempDir
    Path data;

    @Test
    void theImageStartCommandBootsReportsHealthyAndServesDicom() throws Exception {
        int dimsePort = Dcmtk.freePort();
        int httpPort = Dcmtk.freePort();
        Process node = start(data, "PACKAGED", dimsePort, httpPort, Map.of("NODE_DIMSE_CALLING_AES", "SMOKE=store|query"));
        try {
            awaitHealthy(node, HttpClient.newHttpClient(), httpPort, data.resolve("node.log"));

            String port = Integer.toString(dimsePort);
            TestObjects.Spec s = new TestObjects.Spec();
            Path file = TestObjects.write(s, data.resolve("smoke.dcm"));
            assertThat(Dcmtk.run(30, "echoscu", "-aet", "SMOKE", "-aec", "PACKAGED", "127.0.0.1", port).ok()).isTrue();
            assertThat(Dcmtk.run(30, "storescu", "-aet", "SMOKE", "-aec", "PACKAGED", "127.0.0.1", port,
                    file.toString()).ok()).isTrue();
            Dcmtk.Result found = Dcmtk.run(30, "findscu", "-S", "-aet", "SMOKE", "-aec", "PACKAGED", "127.0.0.1", port,
                    "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + s.patientId, "-k", "StudyInstanceUID");
            assertThat(found.output()).contains(s.studyUid);
        } finally {
            node.destroy();
            node.waitFor();
        }
    }

    /**
     * Starts the packaged node as the container does, configured by environment: data in {@code dir/node},
     * output in {@code dir/node.log}, DIMSE and HTTP on loopback, plus {@code more} settings.
     */
    static Process start(Path dir, String aeTitle, int dimsePort, int httpPort, Map<String, String> more)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(START).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node.log").toFile());
        pb.environment().putAll(Map.of("NODE_DATA_DIR", dir.resolve("node").toString(), "NODE_AE_TITLE", aeTitle,
                "NODE_DIMSE_PORT", Integer.toString(dimsePort), "NODE_DIMSE_BIND_ADDRESS", "127.0.0.1",
                "SERVER_PORT", Integer.toString(httpPort), "SERVER_ADDRESS", "127.0.0.1"));
        pb.environment().putAll(more);
        return pb.start();
    }

    /** Waits until a started node reports healthy; fails with its log if it dies or takes over 90 s. */
    static void awaitHealthy(Process node, HttpClient http, int httpPort, Path log) throws Exception {
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/health"))
                .timeout(Duration.ofSeconds(2)).build();
        String status = null;
        for (int i = 0; i < 180 && node.isAlive(); i++) {
            try {
                HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    status = r.body();
                    break;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(500);
        }
        assertThat(status).as("health; node log:\n%s", Files.readString(log)).contains("\"UP\"");
    }
}
