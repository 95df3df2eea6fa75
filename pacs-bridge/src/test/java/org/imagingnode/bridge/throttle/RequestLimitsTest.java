package org.imagingnode.bridge.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.imagingnode.bridge.testing.NodeIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Beyond its limits a client is refused clearly (413, 429, 503 with Retry-After) and the node keeps
 * serving the others. Clients are told apart by address: the tests speak HTTP from several loopback
 * addresses (127.0.0.x).
 */
class RequestLimitsTest extends NodeIntegrationTest {

    @DynamicPropertySource
    static void tightLimits(DynamicPropertyRegistry registry) {
        ownDataDir(registry);
        registry.add("node.http.limits.max-request-size", () -> "1KB");
        registry.add("node.http.limits.requests-per-second", () -> "1");
        registry.add("node.http.limits.burst", () -> "3");
        registry.add("node.http.limits.max-concurrent-requests", () -> "2");
    }

    /** A raw HTTP/1.1 exchange from a chosen loopback address; returns the status line and headers. */
    private List<String> request(String from, String head, String body) throws IOException {
        try (Socket s = open(from)) {
            OutputStream out = s.getOutputStream();
            out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return responseHead(s);
        }
    }

    private Socket open(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", httpPort), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static List<String> responseHead(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            lines.add(line);
        }
        return lines;
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: node\r\nAccept: application/dicom+json\r\nConnection: close\r\n";
    }

    private static String getPlain(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: node\r\nConnection: close\r\n";
    }

    /** The node's own count of requests in progress (from its metrics, which limits never refuse). */
    private double inFlight() throws IOException {
        try (Socket s = open("127.0.0.19")) {
            s.getOutputStream().write((getPlain("/actuator/prometheus") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String line : all.split("\n")) {
                if (line.startsWith("http_requests_in_flight ")) {
                    return Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
                }
            }
            throw new AssertionError("no http_requests_in_flight metric");
        }
    }

    @Test
    void aDeclaredBodyOverTheLimitIsRefusedWith413() throws Exception {
        List<String> rsp = request("127.0.0.11", "POST /dicomweb/studies HTTP/1.1\r\nHost: node\r\nContent-Type: "
                + "multipart/related; type=\"application/dicom\"; boundary=b\r\nContent-Length: 5000\r\n"
                + "Connection: close\r\n", "");
        assertThat(rsp.get(0)).contains(" 413 ");
    }

    @Test
    void aClientOverItsRateGets429WhileAnotherClientIsServed() throws Exception {
        List<String> statuses = new ArrayList<>();
        String retryAfter = null;
        for (int i = 0; i < 8; i++) {
            List<String> rsp = request("127.0.0.12", get("/dicomweb/studies?PatientID=nobody"), "");
            statuses.add(rsp.get(0));
            for (String h : rsp) {
                if (h.toLowerCase().startsWith("retry-after:")) {
                    retryAfter = h.substring(12).strip();
                }
            }
        }
        assertThat(statuses.subList(0, 3)).allMatch(s -> s.contains(" 200 "));
        assertThat(statuses).anyMatch(s -> s.contains(" 429 "));
        assertThat(retryAfter).isNotNull();
        assertThat(Integer.parseInt(retryAfter)).isPositive();
        assertThat(request("127.0.0.13", get("/dicomweb/studies?PatientID=nobody"), "").get(0)).contains(" 200 ");
    }

    @Test
    void whenEverySlotIsTakenNewRequestsGet503AndHealthStillAnswers() throws Exception {
        // two uploads that announce a body and never send it hold both request slots
        String upload = "POST /dicomweb/studies HTTP/1.1\r\nHost: node\r\nContent-Type: "
                + "multipart/related; type=\"application/dicom\"; boundary=b\r\nContent-Length: 900\r\n";
        try (Socket first = open("127.0.0.14"); Socket second = open("127.0.0.15")) {
            for (Socket s : List.of(first, second)) {
                s.getOutputStream().write((upload + "\r\n--b\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            for (int i = 0; i < 100 && inFlight() < 2; i++) {
                Thread.sleep(50);
            }
            assertThat(inFlight()).as("both stalled uploads are being served").isEqualTo(2);
            List<String> rsp = request("127.0.0.16", get("/dicomweb/studies?PatientID=nobody"), "");
            assertThat(rsp.get(0)).contains(" 503 ");
            assertThat(rsp).anyMatch(h -> h.equalsIgnoreCase("Retry-After: 1"));
            assertThat(request("127.0.0.17", getPlain("/actuator/health"), "").get(0)).contains(" 200 ");
        }
        // the slots come back once the stalled uploads are gone
        List<String> rsp = List.of();
        for (int i = 0; i < 50; i++) {
            rsp = request("127.0.0.18", get("/dicomweb/studies?PatientID=nobody"), "");
            if (rsp.get(0).contains(" 200 ")) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(rsp.get(0)).contains(" 200 ");
    }
}
