package org.imagingnode.bridge.sharing.consumer;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The consumer side of sharing (prefix {@code node.sharing.consumer}): finding a patient's studies held by
 * other nodes through the index, and retrieving them through this node.
 *
 * @param enabled             look remote studies up and proxy them (default true; needs
 *                            {@code node.security.mode=tokens}, since the professional's token is forwarded)
 * @param connectTimeout      connecting to the index or a source node (default 5 s)
 * @param responseTimeout     waiting for the answer's headers (default 30 s); past it the user gets a 504
 * @param retries             further attempts of an idempotent request after a network error, a timeout or a
 *                            502/503/504 (default 2)
 * @param retryDelay          first back-off delay, doubled at each retry up to 8 times it (default 250 ms)
 * @param failuresToOpen      consecutive failures after which a source node counts as down (default 3)
 * @param downFor             how long a source node that counts as down is not asked again: requests fail at
 *                            once (default 30 s), then one trial request decides
 * @param authorizationMemory how long the source's yes for one caller and study is remembered before it is
 *                            asked again (default 5 s): a study the patient hides disappears within that time
 * @param cache               the cache of retrieved instances
 * @param reconcileIdentity   give a remote study sent over DIMSE (C-MOVE, C-GET, portal import) the identity of this
 *                            node: its local patient linked to the study's national identity, else the national
 *                            identity itself; the source's ids go to OtherPatientIDsSequence (default true)
 */
@ConfigurationProperties("node.sharing.consumer")
public record ConsumerProperties(Boolean enabled, Duration connectTimeout, Duration responseTimeout, Integer retries,
        Duration retryDelay, Integer failuresToOpen, Duration downFor, Duration authorizationMemory, Cache cache,
        Boolean reconcileIdentity) {
    public ConsumerProperties {
        enabled = enabled == null || enabled;
        connectTimeout = positive(connectTimeout, Duration.ofSeconds(5), "connect-timeout");
        responseTimeout = positive(responseTimeout, Duration.ofSeconds(30), "response-timeout");
        retries = retries == null ? 2 : retries;
        if (retries < 0 || retries > 10) {
            throw new IllegalArgumentException("node.sharing.consumer.retries must be between 0 and 10");
        }
        retryDelay = positive(retryDelay, Duration.ofMillis(250), "retry-delay");
        failuresToOpen = failuresToOpen == null ? 3 : failuresToOpen;
        if (failuresToOpen < 1) {
            throw new IllegalArgumentException("node.sharing.consumer.failures-to-open must be at least 1");
        }
        downFor = positive(downFor, Duration.ofSeconds(30), "down-for");
        authorizationMemory = authorizationMemory == null ? Duration.ofSeconds(5) : authorizationMemory;
        cache = cache == null ? new Cache(null, null) : cache;
        reconcileIdentity = reconcileIdentity == null || reconcileIdentity;
    }

    /**
     * @param maxSize bytes of retrieved instances kept (default 10 GB); the least recently used go first
     * @param maxAge  an instance retrieved longer ago than this is fetched again (default 7 days)
     */
    public record Cache(DataSize maxSize, Duration maxAge) {
        public Cache {
            maxSize = maxSize == null ? DataSize.ofGigabytes(10) : maxSize;
            maxAge = positive(maxAge, Duration.ofDays(7), "cache.max-age");
            if (maxSize.toBytes() < 0) {
                throw new IllegalArgumentException("node.sharing.consumer.cache.max-size must not be negative");
            }
        }
    }

    static ConsumerProperties defaults() {
        return new ConsumerProperties(null, null, null, null, null, null, null, null, null, null);
    }

    private static Duration positive(Duration d, Duration dflt, String name) {
        if (d == null) {
            return dflt;
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("node.sharing.consumer." + name + " must be positive");
        }
        return d;
    }
}
