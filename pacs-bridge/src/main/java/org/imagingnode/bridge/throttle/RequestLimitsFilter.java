package org.imagingnode.bridge.throttle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Back-pressure on the HTTP edge, before authorisation and any work: a declared body over the size
 * limit (a smaller one for JSON bodies, which are read whole) gets 413, a client (by address) over its rate gets 429, and when the node already serves
 * its maximum of requests, 503; the last two with Retry-After. Health and metrics endpoints are
 * exempt, so monitoring still sees an overloaded node.
 */
public class RequestLimitsFilter extends OncePerRequestFilter {
    /** Idle clients' buckets are dropped past this many, so the map cannot grow without bound. */
    private static final int MAX_TRACKED_CLIENTS = 100_000;

    private final HttpLimitsProperties limits;
    private final Semaphore slots;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final MeterRegistry meters;

    public RequestLimitsFilter(HttpLimitsProperties limits, MeterRegistry meters) {
        this.limits = limits;
        this.slots = new Semaphore(limits.maxConcurrentRequests());
        this.meters = meters;
        meters.gauge("http.requests.in.flight", slots, s -> limits.maxConcurrentRequests() - s.availablePermits());
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return request.getRequestURI().startsWith(request.getContextPath() + "/actuator");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean json = CappedBodyRequest.isJson(request);
        long maxBody = (json ? limits.maxJsonBodySize() : limits.maxRequestSize()).toBytes();
        if (request.getContentLengthLong() > maxBody) {
            refuse(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, null, "too-large",
                    "request body larger than " + maxBody + " bytes");
            return;
        }
        if (json) {
            request = new CappedBodyRequest(request, maxBody); // a body sent without its length stops there too
        }
        ConsumptionProbe probe = bucketOf(request.getRemoteAddr()).tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds());
            refuse(response, 429, seconds, "rate", "too many requests from this client");
            return;
        }
        if (!slots.tryAcquire()) {
            refuse(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, 1L, "busy", "the node is busy");
            return;
        }
        boolean releaseHere = true;
        try {
            chain.doFilter(request, response);
            if (request.isAsyncStarted()) {
                // a streamed answer (e.g. WADO-RS) holds its slot until it is written
                request.getAsyncContext().addListener(new Release());
                releaseHere = false;
            }
        } finally {
            if (releaseHere) {
                slots.release();
            }
        }
    }

    private Bucket bucketOf(String client) {
        if (buckets.size() > MAX_TRACKED_CLIENTS) {
            buckets.clear();
        }
        return buckets.computeIfAbsent(client, c -> Bucket.builder()
                .addLimit(l -> l.capacity(limits.burst()).refillGreedy(limits.requestsPerSecond(), Duration.ofSeconds(1)))
                .build());
    }

    private void refuse(HttpServletResponse response, int status, Long retryAfterSeconds, String reason, String text)
            throws IOException {
        meters.counter("http.refused", "reason", reason).increment();
        response.setStatus(status);
        if (retryAfterSeconds != null) {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Gives the slot back when an asynchronous (streamed) response ends, however it ends. */
    private final class Release implements AsyncListener {
        private boolean done;

        private synchronized void release() {
            if (!done) {
                done = true;
                slots.release();
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            release();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            release();
        }

        @Override
        public void onError(AsyncEvent event) {
            release();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // the same request goes on
        }
    }
}
