package org.imagingnode.bridge.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

class OrphanBlobReconcilerTest extends NodeIntegrationTest {

    @TempDir
    Path work;

    @Autowired
    OrphanBlobReconciler reconciler;

    private String putBlob(String key) throws Exception {
        blobs.put(key, new ByteArrayInputStream(new byte[] {1, 2, 3}));
        return key;
    }

    @Test
    void removesBlobsNoIndexRowPointsToAndKeepsIndexedOnes() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        assertThat(Dcmtk.run(30, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(s, work.resolve("a.dcm")).toString()).ok()).isTrue();
        String indexed = index.findInstance(s.sopInstanceUid).orElseThrow().blobKey();
        String staleVersion = putBlob(InstanceBlobKeys.of(s.studyUid, s.seriesUid, s.sopInstanceUid, "ab".repeat(32)));
        String neverIndexed = putBlob(InstanceBlobKeys.of(TestObjects.uid(), TestObjects.uid(), TestObjects.uid(),
                "cd".repeat(32)));
        String notAnInstance = putBlob("exports/readme");

        OrphanBlobReconciler.Report report = reconciler.reconcile(Instant.now().plusSeconds(5));

        assertThat(report.removed()).isGreaterThanOrEqualTo(2);
        assertThat(blobs.stat(indexed)).isPresent();
        assertThat(blobs.stat(staleVersion)).isEmpty();
        assertThat(blobs.stat(neverIndexed)).isEmpty();
        assertThat(blobs.stat(notAnInstance)).as("keys the node did not make are not its to remove").isPresent();
    }

    @Test
    void keepsOrphansYoungerThanTheGracePeriod() throws Exception {
        String inFlight = putBlob(InstanceBlobKeys.of(TestObjects.uid(), TestObjects.uid(), TestObjects.uid(),
                "ef".repeat(32)));
        OrphanBlobReconciler.Report report = reconciler.reconcile(Instant.now().minusSeconds(60));
        assertThat(report.keptTooRecent()).isGreaterThanOrEqualTo(1);
        assertThat(blobs.stat(inFlight)).isPresent();
    }

    @Test
    void instanceKeysNameTheirSopInstance() {
        assertThat(InstanceBlobKeys.sopInstanceUidOf(InstanceBlobKeys.of("1.2", "1.3", "1.4.5", "0123456789abcdef00")))
                .hasValue("1.4.5");
        assertThat(InstanceBlobKeys.sopInstanceUidOf("dicom/1.2/1.4.5")).isEmpty();
        assertThat(InstanceBlobKeys.sopInstanceUidOf("other/1.2/1.3/1.4.5.abc")).isEmpty();
    }
}
