package org.imagingnode.bridge.sharing.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.imagingnode.bridge.testing.Dcmtk;
import org.imagingnode.bridge.web.RequestIdValve;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * Requests to other nodes against a real HTTP server on loopback that misbehaves on purpose: gateway errors are
 * retried with back-off, refusals are not, a node that keeps failing counts as down and fails fast, and every
 * failure ends in a message that names the node and says what happened.
 */
class SourceClientTest {
    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<String> nodeHeaders = new CopyOnWriteArrayList<>();
    private final List<String> userHeaders = new CopyOnWriteArrayList<>();
    private final List<String> requestIds = new CopyOnWriteArrayList<>();
    private volatile Handler handler;

    private interface Handler {
        void handle(HttpExchange x, int call) throws IOException;
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            nodeHeaders.add(x.getRequestHeaders().getFirst("X-Node-Authorization"));
            userHeaders.add(x.getRequestHeaders().getFirst("Authorization"));
            requestIds.add(String.valueOf(x.getRequestHeaders().getFirst("X-Request-Id")));
            try {
                handler.handle(x, calls.incrementAndGet());
            } finally {
                x.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/dicomweb/studies");
    }

    private static SourceClient client(int retries, int failuresToOpen, Duration responseTimeout) {
        ConsumerProperties props = new ConsumerProperties(true, Duration.ofSeconds(2), responseTimeout, retries,
                Duration.ofMillis(20), failuresToOpen, Duration.ofSeconds(30), null, null, null);
        return new SourceClient(props, target -> "Bearer node-token-for-" + target);
    }

    private static void answer(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private static String read(HttpResponse<InputStream> rs) throws IOException {
        return new String(rs.body().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void forwardsTheCallersTokenAndProvesItselfAsANode() throws Exception {
        handler = (x, n) -> answer(x, 200, "application/json", "[]");
        String body = client(0, 3, Duration.ofSeconds(5)).fetch("NODE-A", uri(), "Bearer professional", null,
                SourceClientTest::read);
        assertThat(body).isEqualTo("[]");
        assertThat(userHeaders).containsExactly("Bearer professional");
        assertThat(nodeHeaders).containsExactly("Bearer node-token-for-NODE-A");
    }

    @Test
    void theRequestIdOfTheCallersRequestGoesToTheSourceWithEveryAttempt() throws Exception {
        handler = (x, n) -> answer(x, n == 1 ? 503 : 200, "application/json", "[]");
        MDC.put(RequestIdValve.MDC_KEY, "r-0123456789abcdef");
        try {
            client(3, 10, Duration.ofSeconds(5)).fetch("NODE-A", uri(), null, null, SourceClientTest::read);
        } finally {
            MDC.remove(RequestIdValve.MDC_KEY);
        }
        client(0, 10, Duration.ofSeconds(5)).fetch("NODE-A", uri(), null, null, SourceClientTest::read);
        // both attempts of the first request carry its id; a request made outside any request carries none
        assertThat(requestIds).containsExactly("r-0123456789abcdef", "r-0123456789abcdef", "null");
    }

    @Test
    void retriesGatewayErrorsAndBrokenAnswersWithBackOff() throws Exception {
        handler = (x, n) -> {
            if (n == 1) {
                answer(x, 503, "text/plain", "busy");
            } else if (n == 2) {
                x.sendResponseHeaders(200, 1000); // announces 1000 bytes, sends 10, hangs up
                x.getResponseBody().write(new byte[10]);
            } else {
                answer(x, 200, "application/json", "[1]");
            }
        };
        long t0 = System.nanoTime();
        String body = client(3, 10, Duration.ofSeconds(5)).fetch("NODE-A", uri(), null, null, SourceClientTest::read);
        assertThat(body).isEqualTo("[1]");
        assertThat(calls).hasValue(3);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(20 + 40));
    }

    @Test
    void doesNotRetryARefusal() {
        handler = (x, n) -> answer(x, 404, "text/plain", "no study 1.2.3");
        assertThatThrownBy(() -> client(3, 10, Duration.ofSeconds(5)).fetch("NODE-A", uri(), null, null,
                SourceClientTest::read))
                .isInstanceOfSatisfying(SourceClient.RefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.getMessage()).isEqualTo("no study 1.2.3");
                });
        assertThat(calls).hasValue(1);
    }

    @Test
    void aNodeThatIsDownGivesAClearBadGatewayThenFailsFast() throws Exception {
        int port = Dcmtk.freePort(); // nothing listens there
        URI down = URI.create("http://127.0.0.1:" + port + "/dicomweb/studies");
        SourceClient client = client(1, 2, Duration.ofSeconds(5));

        assertThatThrownBy(() -> client.open("NODE-A", down, null, null))
                .isInstanceOfSatisfying(SourceUnavailableException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.getMessage()).isEqualTo("node NODE-A could not be reached: connection refused");
                });
        assertThat(client.isDown("NODE-A", down)).isTrue();
        // fails fast: the node is not even tried while it counts as down, though something now listens there
        try (ConnectionCounter listening = new ConnectionCounter(port)) {
            assertThatThrownBy(() -> client.open("NODE-A", down, null, null))
                    .isInstanceOfSatisfying(SourceUnavailableException.class, e -> {
                        assertThat(e.status()).isEqualTo(502);
                        assertThat(e.getMessage()).startsWith("node NODE-A is unreachable (it failed 2 times in a row)");
                    });
            assertThat(listening.connections()).isZero();
        }
    }

    @Test
    void aNodeThatDoesNotAnswerInTimeIsAGatewayTimeout() {
        handler = (x, n) -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(x, 200, "application/json", "[]");
        };
        assertThatThrownBy(() -> client(0, 5, Duration.ofMillis(300)).open("NODE-A", uri(), null, null))
                .isInstanceOfSatisfying(SourceUnavailableException.class, e -> {
                    assertThat(e.status()).isEqualTo(504);
                    assertThat(e.getMessage()).isEqualTo("node NODE-A did not answer in time: no answer within the timeout");
                });
    }

    @Test
    void aServerErrorOfTheNodeItselfIsReportedNotRetried() {
        handler = (x, n) -> answer(x, 500, "text/plain", "storage read error");
        assertThatThrownBy(() -> client(3, 10, Duration.ofSeconds(5)).open("NODE-A", uri(), null, null))
                .isInstanceOfSatisfying(SourceUnavailableException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.getMessage()).isEqualTo("node NODE-A failed: answered 500 (storage read error)");
                });
        assertThat(calls).hasValue(1);
    }
}
