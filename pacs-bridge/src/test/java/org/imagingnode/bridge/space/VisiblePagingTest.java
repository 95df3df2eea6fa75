package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * QIDO-RS pages over what the caller may see: the policy's visibility is part of the query, so that
 * {@code limit}/{@code offset} never answer a short or empty page while more visible matches exist. Lea's
 * studies are interleaved with Max's (who blocked the professional) and some of Lea's are hidden, so that a page
 * filtered after the fact would come back short.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VisiblePagingTest extends TokensNode {
    final NationalId lea = person();
    final NationalId max = person();
    final String site = "SITE-PAGING-" + System.nanoTime();
    final String rpps = "86" + System.nanoTime() % 1_000_000_000L;
    final List<String> leaStudies = new ArrayList<>();
    final List<String> leaShown = new ArrayList<>();

    @BeforeAll
    void storeInterleavedStudies() throws Exception {
        List<TestObjects.Spec> specs = new ArrayList<>();
        List<String> maxStudies = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            TestObjects.Spec s = study("L-" + lea.id(), site, lea);
            specs.add(s);
            leaStudies.add(s.studyUid);
            if (k % 3 == 0) {
                TestObjects.Spec m = study("M-" + max.id(), site, max);
                specs.add(m);
                maxStudies.add(m.studyUid);
            }
        }
        store(specs.toArray(TestObjects.Spec[]::new));
        String leaToken = patientToken(lea);
        for (int k = 0; k < leaStudies.size(); k++) {
            if (k % 4 == 1 || k == 2) {
                assertThat(send("PUT", "/api/patient/studies/" + leaStudies.get(k) + "/hidden", leaToken, null)
                        .statusCode()).isEqualTo(204);
            } else {
                leaShown.add(leaStudies.get(k));
            }
        }
        assertThat(send("PUT", "/api/patient/blocked-professionals/" + rpps, patientToken(max), null).statusCode())
                .isEqualTo(204);
        assertThat(maxStudies).hasSize(4);
    }

    /** Every page of every size, until an empty one: each page is full but the last, and together they are {@code expected}. */
    private void assertPagesOfEverySize(String query, String token, List<String> expected) throws Exception {
        for (int limit = 1; limit <= expected.size() + 1; limit++) {
            List<String> seen = new ArrayList<>();
            for (int offset = 0; ; offset += limit) {
                List<String> page = studyUids(get(query + (query.contains("?") ? "&" : "?") + "limit=" + limit
                        + "&offset=" + offset, token));
                assertThat(page).as("page at offset %d of size %d", offset, limit)
                        .hasSize(Math.max(0, Math.min(limit, expected.size() - offset)));
                if (page.isEmpty()) {
                    break;
                }
                seen.addAll(page);
            }
            assertThat(seen).as("pages of %d", limit).containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    @Test
    void a_patient_pages_over_exactly_their_studies_hidden_ones_included() throws Exception {
        assertPagesOfEverySize("/dicomweb/studies", patientToken(lea), leaStudies);
    }

    @Test
    void a_professional_pages_over_the_studies_not_hidden_from_them_and_never_over_a_blocking_patients()
            throws Exception {
        String pro = professionalToken(rpps, "FINESS-OTHER");
        assertPagesOfEverySize("/dicomweb/studies?IssuerOfPatientID=" + site, pro, leaShown);
        // the same at the series and instance levels (one series, one instance per study here)
        List<String> series = new ArrayList<>();
        for (var n : JSON.readTree(get("/dicomweb/series?IssuerOfPatientID=" + site + "&limit=2&offset=3", pro).body())) {
            series.add(n.get("0020000D").get("Value").get(0).asText());
        }
        assertThat(series).hasSize(2).isSubsetOf(leaShown);
    }

    @Test
    void a_share_link_pages_over_its_one_study() throws Exception {
        String link = "Bearer " + JSON.readTree(send("POST", "/api/patient/studies/" + leaStudies.get(5) + "/share-links",
                patientToken(lea), map("lifetimeSeconds", 600)).body()).get("token").asText();
        assertPagesOfEverySize("/dicomweb/studies", link, List.of(leaStudies.get(5)));
    }
}
