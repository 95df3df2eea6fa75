package org.imagingnode.bridge.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** File ID components of the DICOM ZIP (PS3.10 8.2: at most 8 characters of A-Z, 0-9 and _). */
class DicomZipTest {

    @Test
    void components_are_eight_legal_characters_and_never_repeat() {
        assertThat(DicomZip.component("IMG", 1)).isEqualTo("IMG00001");
        assertThat(DicomZip.component("IMG", 99_999)).isEqualTo("IMG99999");
        Set<String> seen = new HashSet<>();
        for (int n = 1; n <= 2_000_000; n += n < 200_000 ? 1 : 997) {
            String c = DicomZip.component("IMG", n);
            assertThat(c).hasSize(8).matches("[A-Z0-9_]{8}");
            assertThat(seen.add(c)).as("component of %d", n).isTrue();
        }
    }
}
