package org.imagingnode.bridge.sharing.consumer;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import org.imagingnode.bridge.security.AccessFilter;
import org.imagingnode.bridge.web.RequestIdValve;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * GET requests from this node to other nodes (source nodes and the index), on behalf of a caller: the caller's
 * own Authorization header is forwarded unchanged, and this node proves itself with
 * {@link AccessFilter#NODE_AUTHORIZATION}.
 *
 * <p>Requests are idempotent, so a network error, a timeout or a 502/503/504 is retried with exponential
 * back-off ({@code node.sharing.consumer.retries}, {@code retry-delay}). After
 * {@code failures-to-open} consecutive failures a node counts as down for {@code down-for}: requests to it then
 * fail at once instead of making every user wait for timeouts (a circuit breaker per node, then a trial request
 * decides). Whatever cannot be obtained ends as a {@link SourceUnavailableException} whose message says which
 * node and why.
 */
public class SourceClient {
    private static final Logger log = LoggerFactory.getLogger(SourceClient.class);

    /** Reads a successful (2xx) answer; may fail with IOException, then the whole request is retried. */
    @FunctionalInterface
    public interface BodyReader<T> {
        T read(HttpResponse<InputStream> response) throws IOException;
    }

    /** A 4xx answer: not retried, reported to the caller as the source's own refusal. */
    public static final class RefusedException extends IOException {
        private final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** A server error answer: retried when it is a gateway's (502, 503, 504), not when the node itself failed. */
    private static final class ServerFailure extends IOException {
        final boolean timeout;
        final boolean retryable;

        ServerFailure(String message, boolean timeout, boolean retryable) {
            super(message);
            this.timeout = timeout;
            this.retryable = retryable;
        }
    }

    private final HttpClient http;
    private final ConsumerProperties props;
    private final Function<String, String> nodeAuthorization;
    private final Map<String, CircuitBreaker<Object>> breakers = new ConcurrentHashMap<>();

    /**
     * @param nodeAuthorization this node's token for a target node id, as a header value ({@code Bearer ...});
     *                          null when the node has none
     */
    public SourceClient(ConsumerProperties props, Function<String, String> nodeAuthorization) {
        this.props = props;
        this.nodeAuthorization = nodeAuthorization;
        this.http = HttpClient.newBuilder().connectTimeout(props.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Opens a streamed answer: retried until the answer's status line is in, never after (the body is the
     * caller's to stream and close). Returns 2xx and 4xx answers; the caller checks the status.
     *
     * @param node          who is asked, for messages and logs (a node id)
     * @param authorization the caller's Authorization header, forwarded (may be null)
     */
    public HttpResponse<InputStream> open(String node, URI uri, String authorization, String accept) {
        return run(node, uri, () -> send(node, uri, authorization, accept));
    }

    /** Fetches and reads a 2xx answer, retrying the whole exchange (reading included) when it fails. */
    public <T> T fetch(String node, URI uri, String authorization, String accept, BodyReader<T> reader)
            throws RefusedException {
        try {
            return run(node, uri, () -> {
                HttpResponse<InputStream> rs = send(node, uri, authorization, accept);
                try (InputStream body = rs.body()) {
                    if (rs.statusCode() >= 400) {
                        throw new RefusedException(rs.statusCode(), message(rs, body));
                    }
                    return reader.read(rs);
                }
            });
        } catch (RefusedWrapper w) {
            throw w.refused;
        }
    }

    /** Unchecked carrier of a refusal through Failsafe (which must not retry it). */
    private static final class RefusedWrapper extends RuntimeException {
        final RefusedException refused;

        RefusedWrapper(RefusedException refused) {
            super(refused.getMessage(), null, false, false);
            this.refused = refused;
        }
    }

    private <T> T run(String node, URI uri, dev.failsafe.function.CheckedSupplier<T> call) {
        CircuitBreaker<Object> breaker = breaker(node, uri);
        RetryPolicy<Object> retry = RetryPolicy.builder()
                .handleIf(e -> e instanceof IOException && !(e instanceof ServerFailure f && !f.retryable))
                .abortOn(CircuitBreakerOpenException.class)
                .withBackoff(props.retryDelay(), props.retryDelay().multipliedBy(8))
                .withMaxRetries(props.retries())
                .onRetry(e -> log.info("{} {}: attempt {} failed ({}), retrying", node, uri.getPath(),
                        e.getAttemptCount(), describe(e.getLastException())))
                .build();
        try {
            return Failsafe.with(retry, breaker).get(() -> {
                try {
                    return call.get();
                } catch (RefusedException r) {
                    throw new RefusedWrapper(r);
                }
            });
        } catch (RefusedWrapper w) {
            throw w;
        } catch (CircuitBreakerOpenException e) {
            throw new SourceUnavailableException(false, "node " + node + " is unreachable (it failed "
                    + props.failuresToOpen() + " times in a row); it will be tried again after "
                    + Instant.now().plus(breaker.getRemainingDelay()).truncatedTo(ChronoUnit.SECONDS));
        } catch (FailsafeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof RefusedWrapper w) {
                throw w;
            }
            boolean timeout = cause instanceof HttpTimeoutException
                    || (cause instanceof ServerFailure f && f.timeout);
            log.warn("{} {} failed after {} attempt(s): {}", node, uri.getPath(), props.retries() + 1, describe(cause));
            throw new SourceUnavailableException(timeout, "node " + node + (timeout ? " did not answer in time"
                    : cause instanceof ConnectException ? " could not be reached" : " failed") + ": " + describe(cause));
        }
    }

    /** One breaker per node and origin: a node that is down fails fast for everyone. */
    private CircuitBreaker<Object> breaker(String node, URI uri) {
        String key = node + "|" + uri.getScheme() + "://" + uri.getRawAuthority();
        return breakers.computeIfAbsent(key, k -> CircuitBreaker.builder()
                .handleIf((Object r, Throwable e) -> e != null && !(e instanceof RefusedWrapper))
                .withFailureThreshold(props.failuresToOpen())
                .withDelay(props.downFor())
                .onOpen(e -> log.error("node {} counts as down for {} after {} consecutive failures; requests to it fail"
                        + " at once meanwhile", node, props.downFor(), props.failuresToOpen()))
                .onClose(e -> log.info("node {} answers again", node))
                .build());
    }

    private HttpResponse<InputStream> send(String target, URI uri, String authorization, String accept)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(props.responseTimeout()).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        String node = nodeAuthorization.apply(target);
        if (node != null) {
            b.header(AccessFilter.NODE_AUTHORIZATION, node);
        }
        if (accept != null) {
            b.header("Accept", accept);
        }
        String requestId = MDC.get(RequestIdValve.MDC_KEY);
        if (requestId != null) {
            b.header(RequestIdValve.HEADER, requestId); // the source logs its part under the same id
        }
        HttpResponse<InputStream> rs;
        try {
            rs = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        int status = rs.statusCode();
        if (status >= 300 && status < 400 || status >= 500) {
            String m = message(rs, rs.body());
            rs.body().close();
            boolean gateway = status == 502 || status == 503 || status == 504;
            throw new ServerFailure("answered " + status + (status < 400 ? " (a redirection, not followed)"
                    : m.isEmpty() ? "" : " (" + m + ")"), status == 504, gateway);
        }
        return rs;
    }

    /** The first line of a short plain-text error body, for logs and messages (never patient data: our nodes say none). */
    private static String message(HttpResponse<InputStream> rs, InputStream body) {
        try {
            String type = rs.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("text/plain") && !type.startsWith("application/json")) {
                return "";
            }
            byte[] b = body.readNBytes(300);
            String s = new String(b, StandardCharsets.UTF_8).strip();
            int nl = s.indexOf('\n');
            return (nl >= 0 ? s.substring(0, nl) : s).replaceAll("[\\p{Cntrl}]", " ");
        } catch (IOException e) {
            return "";
        }
    }

    private static String describe(Throwable e) {
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within the timeout";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Whether a node currently counts as down (for health and tests). */
    public boolean isDown(String node, URI uri) {
        return breaker(node, uri).isOpen();
    }
}
