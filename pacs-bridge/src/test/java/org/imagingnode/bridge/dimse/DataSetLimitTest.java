package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A C-STORE larger than node.dimse.max-data-set-size is cut off, stores nothing, and the node serves on. */
class DataSetLimitTest extends NodeIntegrationTest {

    @DynamicPropertySource
    static void limit(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.dimse.max-data-set-size", () -> "1MB");
    }

    @TempDir
    Path work;

    @Test
    void anOversizedDataSetIsRefusedAndASmallOneStillPasses() throws Exception {
        TestObjects.Spec big = new TestObjects.Spec();
        big.frames = 4; // 2 MB of pixels
        Dcmtk.Result refused = Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(big, work.resolve("big.dcm")).toString());
        assertThat(refused.ok()).isFalse();
        assertThat(index.findInstance(big.sopInstanceUid)).isEmpty();

        TestObjects.Spec small = new TestObjects.Spec();
        small.rows = 256;
        small.columns = 256;
        assertThat(Dcmtk.run(60, "storescu", "-aet", "STORESCU", "-aec", NODE_AE, "127.0.0.1", dimsePort(),
                TestObjects.write(small, work.resolve("small.dcm")).toString()).ok()).isTrue();
        assertThat(index.findInstance(small.sopInstanceUid)).isPresent();
    }
}
