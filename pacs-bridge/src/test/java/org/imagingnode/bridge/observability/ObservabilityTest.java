package org.imagingnode.bridge.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Liveness/readiness probes and Prometheus metrics of ingest and DIMSE. */
class ObservabilityTest extends NodeIntegrationTest {

    @TempDir
    Path work;

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void livenessAndReadinessAreUpWhenDatabaseAndBlobStoreAnswer() throws Exception {
        HttpResponse<String> live = get("/actuator/health/liveness");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"UP\"");
        HttpResponse<String> ready = get("/actuator/health/readiness");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"UP\"");
    }

    @Test
    void prometheusExposesIngestAndDimseMetrics() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        assertThat(Dcmtk.run(30, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(s, work.resolve("m.dcm")).toString()).ok()).isTrue();
        HttpResponse<String> metrics = get("/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("ingest_duration_seconds_count\\{channel=\"DIMSE\",outcome=\"(STORED|UNCHANGED)\"[^}]*\\} [1-9]")
                .containsPattern("dimse_operation_duration_seconds_bucket\\{[^}]*operation=\"C-STORE\"")
                .containsPattern("dimse_associations_total\\{[^}]*outcome=\"accepted\"[^}]*\\} [1-9]")
                .contains("dimse_associations_active")
                .contains("ingest_in_progress");
    }
}
