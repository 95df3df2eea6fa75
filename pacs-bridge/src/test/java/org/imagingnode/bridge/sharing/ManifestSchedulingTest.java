package org.imagingnode.bridge.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With manifests on, a study gets its manifest by itself once no instance arrived for the quiet period. */
class ManifestSchedulingTest extends NodeIntegrationTest {

    @DynamicPropertySource
    static void quickManifests(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("test.manifests", () -> "true"); // see NodeIntegrationTest
        registry.add("node.sharing.manifest.quiet-period", () -> "1s");
        registry.add("node.sharing.manifest.poll-interval", () -> "200ms");
    }

    @TempDir
    Path work;

    @Test
    void aQuietStudyGetsItsManifest() throws Exception {
        TestObjects.Spec s = new TestObjects.Spec();
        assertThat(Dcmtk.run(30, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(s, work.resolve("q.dcm")).toString()).ok()).isTrue();
        for (int i = 0; i < 100 && index.derivedInstances(s.studyUid, ManifestService.SOURCE).isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertThat(index.derivedInstances(s.studyUid, ManifestService.SOURCE)).singleElement()
                .extracting(uid -> index.findInstance(uid)).extracting(Optional::get)
                .satisfies(m -> assertThat(m.sopClassUid()).isEqualTo(StudyManifest.KEY_OBJECT_SELECTION));
    }
}
