package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.testing.TokensNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Malformed credentials and query strings, generated from a fixed seed, against every protected edge of the
 * running node: never a 500, never a byte of patient data. Broken tokens are always 401; malformed queries
 * with a valid patient token are 200 (with only the patient's own studies), 400 or 404.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenFuzzTest extends TokensNode {
    private static final long SEED = 20261124L;
    private final Random random = new Random(SEED);
    private final NationalId owner = person();
    private final NationalId other = person();
    private TestObjects.Spec mine;
    private TestObjects.Spec theirs;
    private String ownerToken;

    @BeforeAll
    void storeTwoPatients() throws Exception {
        mine = study("F-" + owner.id(), "SITE-F", owner);
        mine.patientName = "Fuzzowner^Alice";
        theirs = study("F-" + other.id(), "SITE-F", other);
        theirs.patientName = "Secretperson^Bob";
        store(mine, theirs);
        ownerToken = patientToken(owner);
    }

    private List<String> endpoints(TestObjects.Spec s) {
        return List.of("/dicomweb/studies", "/dicomweb/studies/" + s.studyUid + "/metadata",
                "/dicomweb/studies/" + s.studyUid + "/series/" + s.seriesUid + "/instances/" + s.sopInstanceUid,
                "/wado?requestType=WADO&studyUID=" + s.studyUid + "&seriesUID=" + s.seriesUid + "&objectUID="
                        + s.sopInstanceUid,
                "/api/patient/studies", "/api/patient/history", "/viewer/weasis/studies/" + s.studyUid);
    }

    private void assertNoLeak(HttpResponse<String> rs, String what) {
        assertThat(rs.statusCode()).as(what).isNotEqualTo(500);
        assertThat(rs.body()).as(what).doesNotContain("Secretperson").doesNotContain("Exception")
                .doesNotContain("at org.");
        if (!what.contains(theirs.patientId)) { // an error message may quote the request itself
            assertThat(rs.body()).as(what).doesNotContain(theirs.patientId);
        }
    }

    /** Tokens that are broken in many ways, all derived from a real one. */
    private List<String> brokenTokens() throws Exception {
        String real = ownerToken.substring("Bearer ".length());
        String[] p = real.split("\\.");
        List<String> t = new ArrayList<>(List.of("", "Bearer ", "bearer", "Bearer  ", "Bearer .", "Bearer ..",
                "Bearer ...", "Bearer " + p[0], "Bearer " + p[0] + "." + p[1], "Bearer " + p[0] + "." + p[1] + ".",
                "Bearer " + p[0] + "." + p[1] + "." + p[2] + ".x", "Bearer " + real.substring(0, real.length() - 3),
                "Bearer eyJhbGciOiJub25lIn0." + p[1] + ".", "Bearer sl.", "Bearer sl..", "Bearer sl.x.y",
                "Bearer " + "A".repeat(6_000), "Token " + real, real, "Bearer " + real + " extra",
                "Bearer {\"alg\":\"none\"}", "Bearer %00%0a", "Bearer ' OR 1=1 --"));
        // header swapped to other algorithms, payload re-encoded with another patient, random bytes
        for (String alg : new String[] {"none", "HS256", "RS512", "ES256", "", "null"}) {
            String h = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    ("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8));
            t.add("Bearer " + h + "." + p[1] + "." + p[2]);
        }
        String payload = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8)
                .replace(owner.id(), other.id());
        t.add("Bearer " + p[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.getBytes(StandardCharsets.UTF_8)) + "." + p[2]);
        for (int i = 0; i < 40; i++) {
            char[] c = real.toCharArray();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int k = random.nextInt(c.length);
                c[k] = (char) ('!' + random.nextInt(94));
            }
            t.add("Bearer " + new String(c));
            byte[] b = new byte[1 + random.nextInt(300)];
            random.nextBytes(b);
            t.add("Bearer " + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
        }
        t.removeIf(s -> s.equals("Bearer " + real));
        return t;
    }

    @Test
    void malformed_forged_or_truncated_tokens_are_always_401_and_never_show_data() throws Exception {
        int requests = 0;
        for (String token : brokenTokens()) {
            for (String path : endpoints(random.nextBoolean() ? mine : theirs)) {
                HttpResponse<String> rs = get(path, token.isEmpty() ? null : token);
                assertNoLeak(rs, path + " with " + abbreviate(token));
                assertThat(rs.statusCode()).as(path + " with " + abbreviate(token)).isEqualTo(401);
                assertThat(rs.body()).doesNotContain("Fuzzowner");
                requests++;
            }
        }
        assertThat(requests).isGreaterThan(500);
    }

    @Test
    void forged_mutated_or_replayed_thumbnail_links_are_401_and_never_an_image() throws Exception {
        String link = null;
        for (var n : JSON.readTree(get("/api/patient/studies", ownerToken).body())) {
            link = n.get("thumbnailUrl").asText();
        }
        String real = link.substring(link.indexOf("?token=") + 7);
        List<String> tokens = new ArrayList<>(List.of("", "th.", "th...", "th.1.2.3", "th.-1.a.b", "th.9999999999.."
                + "x", real + ".", real.replace("th.", "sl."), "th." + "9".repeat(40) + ".a.b", "%00", "th.%0a.x.y"));
        for (int i = 0; i < 60; i++) {
            char[] c = real.toCharArray();
            int k = 3 + random.nextInt(c.length - 3);
            c[k] = (char) ('0' + random.nextInt(75));
            tokens.add(new String(c));
        }
        tokens.removeIf(real::equals);
        List<String> paths = List.of("/dicomweb/studies/" + mine.studyUid + "/thumbnail",
                "/dicomweb/studies/" + theirs.studyUid + "/thumbnail");
        for (String t : tokens) {
            for (String path : paths) {
                HttpResponse<String> rs = get(path + "?token=" + encodeLoosely(t), null);
                assertNoLeak(rs, path + " with " + abbreviate(t));
                assertThat(rs.statusCode()).as(path + " with " + abbreviate(t)).isIn(400, 401);
                assertThat(rs.headers().firstValue("Content-Type").orElse("")).doesNotStartWith("image/");
            }
        }
        // the real link: only on its own study's thumbnail
        for (String path : List.of("/dicomweb/studies/" + theirs.studyUid + "/thumbnail",
                "/dicomweb/studies/" + theirs.studyUid + "/metadata", "/dicomweb/studies",
                "/dicomweb/studies/" + mine.studyUid + "/series/" + mine.seriesUid + "/instances/" + mine.sopInstanceUid,
                "/wado?requestType=WADO&studyUID=" + mine.studyUid + "&seriesUID=" + mine.seriesUid + "&objectUID="
                        + mine.sopInstanceUid)) {
            HttpResponse<String> rs = get(path + (path.contains("?") ? "&" : "?") + "token=" + real, null);
            assertNoLeak(rs, path);
            assertThat(rs.statusCode()).as(path).isEqualTo(401);
        }
        assertThat(get(link, null).statusCode()).isEqualTo(200);
    }

    @Test
    void malformed_query_strings_with_a_valid_token_are_refused_cleanly_and_never_reach_another_patient()
            throws Exception {
        String[] keys = {"PatientID", "PatientName", "StudyInstanceUID", "StudyDate", "ModalitiesInStudy", "limit",
                "offset", "includefield", "fuzzymatching", "00100020", "0020000D", "", "%", "x[]", "PatientID%00"};
        String[] values = {"*", "?", "**", "\\", "'", "' OR '1'='1", "%27%3B--", "%", "%%", "%zz", "20260101-", "-",
                "1-2-3", "99999999999999999999", "-1", "abc", "1.2.abc", theirs.patientId, theirs.studyUid, "*" + other.id()
                        + "*", "Secret*", "%E2%82%AC", "%C0%AF", "a".repeat(3000), "", "null", "[]", "{}"};
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            StringBuilder q = new StringBuilder();
            int n = 1 + random.nextInt(3);
            for (int k = 0; k < n; k++) {
                q.append(k == 0 ? "?" : "&").append(encodeLoosely(keys[random.nextInt(keys.length)])).append('=')
                        .append(encodeLoosely(values[random.nextInt(values.length)]));
            }
            String base = switch (random.nextInt(6)) {
                case 0 -> "/dicomweb/studies";
                case 1 -> "/dicomweb/series";
                case 2 -> "/dicomweb/instances";
                case 3 -> "/dicomweb/studies/" + theirs.studyUid + "/series";
                case 4 -> "/api/patient/history";
                default -> "/api/patient/studies";
            };
            paths.add(base + q);
        }
        paths.addAll(List.of("/api/patient/history?limit=abc", "/api/patient/studies?for=garbage",
                "/api/patient/studies?for=" + enc(other.cx()), "/dicomweb/studies/%2e%2e/metadata",
                "/dicomweb/studies/" + theirs.studyUid + "%00/metadata", "/wado?requestType=WADO",
                "/wado?requestType=WADO&studyUID=x&seriesUID=y&objectUID=z", "/viewer/weasis/studies/%27"));
        for (String path : paths) {
            HttpResponse<String> rs = get(path, ownerToken);
            assertNoLeak(rs, path);
            assertThat(rs.statusCode()).as(path).isIn(200, 400, 403, 404, 406);
            if (rs.statusCode() == 200 && path.startsWith("/dicomweb/")) {
                assertThat(rs.body()).as(path).doesNotContain(theirs.studyUid);
            }
        }
    }

    @Test
    void malformed_api_bodies_are_400_and_the_dev_issuer_refuses_relayed_requests() throws Exception {
        String pro = professionalToken("86" + System.nanoTime() % 1_000_000_000L, "FINESS-OTHER");
        String[] bodies = {"", "{", "[]", "null", "\"x\"", "{\"nationalId\": {}}", "{\"nationalId\": [1,2]}",
                "{\"lifetimeSeconds\": \"abc\"}", "{\"lifetimeSeconds\": 1e400}", "{\"lifetimeSeconds\": -5}",
                "{\"lifetimeSeconds\": 99999999999999999999}", "{\"nationalId\": \"" + "9".repeat(500) + "\"}",
                "{\"nationalId\": \"a^b\", \"reason\": \"x\"}", "{\"nationalId\": \"1\u0000\", \"reason\": \"x\"}",
                "{\"minor\": 5, \"guardian\": \"x\"}", "\u00ff\u00fe garbage"};
        String[][] targets = {{"POST", "/api/break-glass", pro}, {"POST", "/api/patient/minors", ownerToken},
                {"POST", "/api/patient/trusted-persons", ownerToken},
                {"POST", "/api/patient/studies/" + mine.studyUid + "/share-links", ownerToken},
                {"PUT", "/api/site/links", pro}, {"POST", "/api/site/guardianships", pro}};
        for (String[] t : targets) {
            for (String body : bodies) {
                if (t[1].endsWith("/share-links") && !body.contains("lifetimeSeconds")) {
                    continue; // no lifetime asked for: a link with the default lifetime, a valid request
                }
                HttpResponse<String> rs = HTTP.send(HttpRequest.newBuilder(
                        URI.create(url(t[1]))).header("Authorization", t[2])
                        .header("Content-Type", "application/json")
                        .method(t[0], HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertNoLeak(rs, t[1] + " " + body);
                assertThat(rs.statusCode()).as(t[1] + " " + body).isIn(400, 403, 415);
            }
        }
        HttpResponse<String> relayed = HTTP.send(HttpRequest.newBuilder(
                URI.create(url("/dev/tokens"))).header("Content-Type", "application/json")
                .header("X-Forwarded-For", "203.0.113.7")
                .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"x\",\"patientId\":\"1\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(relayed.statusCode()).isEqualTo(404);
        assertThat(relayed.body()).doesNotContain("eyJ");
    }

    /** Percent-encodes what java.net.URI refuses, leaving well-formed escapes in the value as they are. */
    private static String encodeLoosely(String v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean escape = c == '%' && i + 2 < v.length() + 0 && i + 2 <= v.length() - 1 + 0
                    && Character.digit(v.charAt(i + 1), 16) >= 0 && Character.digit(v.charAt(i + 2), 16) >= 0;
            if (Character.isLetterOrDigit(c) && c < 128 || "-._~*".indexOf(c) >= 0 || escape) {
                sb.append(c);
            } else {
                for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(String.format("%02X", b));
                }
            }
        }
        return sb.toString();
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
