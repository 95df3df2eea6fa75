package org.imagingnode.bridge.throttle;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Limits of the HTTP edge (prefix {@code node.http.limits}); beyond them a client is refused with
 * 413, 429 or 503 and the node stays responsive for the others.
 *
 * @param maxRequestSize       largest declared request body (e.g. a STOW-RS upload); default 4GB
 * @param requestsPerSecond    sustained requests per second per client address; default 1000 (a viewer
 *                             fetching a CT's frames makes hundreds of requests in a second)
 * @param burst                requests a client may send at once above that rate; default 2000
 * @param maxConcurrentRequests requests served at once, all clients together; default 256
 * @param maxJsonBodySize      largest JSON request body (the patient and professional APIs), declared or
 *                             not; default 64KB, so that no JSON document can fill the heap
 */
@ConfigurationProperties("node.http.limits")
public record HttpLimitsProperties(DataSize maxRequestSize, Integer requestsPerSecond, Integer burst,
        Integer maxConcurrentRequests, DataSize maxJsonBodySize) {
    public HttpLimitsProperties {
        maxRequestSize = maxRequestSize == null ? DataSize.ofGigabytes(4) : maxRequestSize;
        requestsPerSecond = requestsPerSecond == null ? 1000 : requestsPerSecond;
        burst = burst == null ? 2000 : burst;
        maxConcurrentRequests = maxConcurrentRequests == null ? 256 : maxConcurrentRequests;
        maxJsonBodySize = maxJsonBodySize == null ? DataSize.ofKilobytes(64) : maxJsonBodySize;
    }
}
