package org.imagingnode.bridge.dicomweb;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A small thread-safe LRU map bounded by the summed weight of its values (bytes, usually). Values
 * are immutable and derived from content-addressed blobs (the blob key names the content), so an
 * entry never goes stale: it is only evicted.
 */
final class WeightedLruCache<K, V> {
    private final long maxWeight;
    private final ToLongFunction<V> weigher;
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(256, 0.75f, true);
    private long weight;

    WeightedLruCache(long maxWeight, ToLongFunction<V> weigher) {
        this.maxWeight = maxWeight;
        this.weigher = weigher;
    }

    synchronized V get(K key) {
        return map.get(key);
    }

    synchronized void put(K key, V value) {
        long w = weigher.applyAsLong(value);
        if (w > maxWeight) {
            return;
        }
        V old = map.put(key, value);
        if (old != null) {
            weight -= weigher.applyAsLong(old);
        }
        weight += w;
        var it = map.entrySet().iterator();
        while (weight > maxWeight && it.hasNext()) {
            Map.Entry<K, V> eldest = it.next();
            weight -= weigher.applyAsLong(eldest.getValue());
            it.remove();
        }
    }

    synchronized int size() {
        return map.size();
    }
}
