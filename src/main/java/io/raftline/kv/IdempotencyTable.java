package io.raftline.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The remembered results of requests that carried an idempotency key, bounded and evicted
 * first-in first-out.
 *
 * <p>A client that times out cannot know whether its write was committed; retrying with the
 * same idempotency key returns the original result instead of writing twice. The order of
 * eviction is the order of first application, which is the log order, so every replica evicts
 * the same keys at the same index. Every recorded result's {@link KvResult#revision()} is the
 * index where it was first applied, and that index is also its place in the FIFO order.
 *
 * <p>Immutable and persistent like {@link PersistentSortedMap}, so snapshots capture it in O(1).
 */
final class IdempotencyTable {

    private static final Comparator<Long> BY_REVISION = Comparator.naturalOrder();

    private final int capacity;
    private final PersistentSortedMap<String, KvResult> byKey;
    private final PersistentSortedMap<Long, String> byRevision;

    private IdempotencyTable(int capacity, PersistentSortedMap<String, KvResult> byKey,
                             PersistentSortedMap<Long, String> byRevision) {
        this.capacity = capacity;
        this.byKey = byKey;
        this.byRevision = byRevision;
    }

    /** Returns an empty table that remembers at most {@code capacity} keys (0 disables it). */
    static IdempotencyTable empty(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("idempotency capacity must be >= 0, not " + capacity);
        }
        return new IdempotencyTable(capacity, PersistentSortedMap.empty(Utf8.CODE_POINT_ORDER),
                PersistentSortedMap.empty(BY_REVISION));
    }

    /**
     * Rebuilds a table from its FIFO listing. The caller has checked that keys are unique,
     * revisions strictly increase and there are at most {@code capacity} records.
     */
    static IdempotencyTable ofFifo(int capacity, List<String> keys, List<KvResult> results) {
        List<Long> revisions = new ArrayList<>(results.size());
        results.forEach(r -> revisions.add(r.revision()));
        List<Integer> byKeyOrder = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            byKeyOrder.add(i);
        }
        byKeyOrder.sort((a, b) -> Utf8.CODE_POINT_ORDER.compare(keys.get(a), keys.get(b)));
        List<String> sortedKeys = new ArrayList<>(keys.size());
        List<KvResult> sortedResults = new ArrayList<>(keys.size());
        for (int i : byKeyOrder) {
            sortedKeys.add(keys.get(i));
            sortedResults.add(results.get(i));
        }
        return new IdempotencyTable(capacity,
                PersistentSortedMap.ofSorted(Utf8.CODE_POINT_ORDER, sortedKeys, sortedResults),
                PersistentSortedMap.ofSorted(BY_REVISION, revisions, keys));
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return byKey.size();
    }

    /** Returns the result first recorded for {@code idempotencyKey}, or {@code null}. */
    KvResult lookup(String idempotencyKey) {
        return byKey.get(idempotencyKey);
    }

    /**
     * Returns a table that also remembers {@code result} for the new {@code idempotencyKey},
     * evicting the oldest record if the table would exceed its capacity.
     */
    IdempotencyTable record(String idempotencyKey, KvResult result) {
        if (capacity == 0) {
            return this;
        }
        PersistentSortedMap<String, KvResult> keys = byKey.put(idempotencyKey, result);
        PersistentSortedMap<Long, String> order = byRevision.put(result.revision(), idempotencyKey);
        if (keys.size() > capacity) {
            Long oldest = order.firstKey();
            keys = keys.remove(order.get(oldest));
            order = order.remove(oldest);
        }
        return new IdempotencyTable(capacity, keys, order);
    }

    /** Iterates {@code (idempotencyKey, result)} pairs in FIFO order, oldest first. */
    Iterator<Map.Entry<String, KvResult>> fifo() {
        Iterator<Map.Entry<Long, String>> order = byRevision.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return order.hasNext();
            }

            @Override
            public Map.Entry<String, KvResult> next() {
                String key = order.next().getValue();
                return Map.entry(key, byKey.get(key));
            }
        };
    }
}
