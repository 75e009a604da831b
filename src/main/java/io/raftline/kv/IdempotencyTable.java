package io.raftline.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The remembered results of requests that carried an idempotency key, bounded by count and by age in log terms,
 * and evicted first-in first-out.
 *
 * <p>A client that times out cannot know whether its write was committed; retrying with the
 * same idempotency key returns the original result instead of writing twice. A record keeps the request's kind and
 * fingerprint besides its result, so that only a retry of the same request gets that result: another request under
 * the same key (another kind, target key, value or precondition) is refused. The order of
 * eviction is the order of first application, which is the log order, so every replica evicts
 * the same keys at the same index. Every recorded result's {@link KvResult#revision()} is the
 * index where it was first applied, and that index is also its place in the FIFO order.
 *
 * <p>Age: a record first applied at index {@code r} answers retries applied at indexes up to {@code r + maxAge}; at
 * the first entry applied after that it is forgotten ({@link #expire}), and a retry is then a new request. The bound is
 * in log entries, not in time, so that every replica forgets the same keys at the same index (a clock would make
 * replicas disagree on whether a retry is applied). The default, {@link #DEFAULT_MAX_AGE_ENTRIES}, is a constant of
 * the state machine, not a setting, for the same reason; snapshots record the capacity, and the age is the default
 * when a table is restored.
 *
 * <p>Immutable and persistent like {@link PersistentSortedMap}, so snapshots capture it in O(1).
 */
final class IdempotencyTable {

    /**
     * The kind of request that first used a key. A retry must be of the same kind: a put answers a put's result
     * (written or a failed precondition), a delete a delete's, and the API a client used can only read its own.
     */
    enum Use {
        /** A put, conditional or not. */
        PUT,
        /** A delete, conditional or not. */
        DELETE,
        /**
         * A failed precondition read from a format-1 snapshot, which did not record the kind: its answer has a shape
         * that both kinds understand, so a request of either kind is answered with it, as before.
         */
        PUT_OR_DELETE;

        /** Whether a request of kind {@code use} may be answered with this record's result. */
        boolean admits(Use use) {
            return this == use || this == PUT_OR_DELETE;
        }

        /** The word for it in messages. */
        String word() {
            return this == DELETE ? "delete" : "put";
        }
    }

    /**
     * A remembered request: its result, its kind and its fingerprint ({@link KvCodec#fingerprint}: the request but
     * its idempotency key).
     *
     * @param result      what the first application answered
     * @param use         the kind of the request
     * @param fingerprint the request's fingerprint; empty for a record read from a snapshot of format 1 or 2, which
     *                    did not keep it (such a record answers any request of its kind, as those formats did)
     */
    record Recorded(KvResult result, Use use, OptionalLong fingerprint) {

        /**
         * Whether a request of kind {@code use} whose fingerprint is {@code fingerprint} is a retry of this one, to be
         * answered with its result: the same kind, and the same request where the record knows it.
         */
        boolean answers(Use use, long fingerprint) {
            return this.use.admits(use)
                    && (this.fingerprint.isEmpty() || this.fingerprint.getAsLong() == fingerprint);
        }
    }

    private static final Comparator<Long> BY_REVISION = Comparator.naturalOrder();

    /** How many log entries after its first application a key is remembered, by default. */
    static final long DEFAULT_MAX_AGE_ENTRIES = 1_000_000;

    private final int capacity;
    private final long maxAge;
    private final PersistentSortedMap<String, Recorded> byKey;
    private final PersistentSortedMap<Long, String> byRevision;

    private IdempotencyTable(int capacity, long maxAge, PersistentSortedMap<String, Recorded> byKey,
                             PersistentSortedMap<Long, String> byRevision) {
        this.capacity = capacity;
        this.maxAge = maxAge;
        this.byKey = byKey;
        this.byRevision = byRevision;
    }

    /** Returns an empty table that remembers at most {@code capacity} keys (0 disables it), for the default age. */
    static IdempotencyTable empty(int capacity) {
        return empty(capacity, DEFAULT_MAX_AGE_ENTRIES);
    }

    /**
     * Returns an empty table that remembers at most {@code capacity} keys (0 disables it), each for {@code maxAge} log
     * entries after its first application.
     */
    static IdempotencyTable empty(int capacity, long maxAge) {
        if (capacity < 0) {
            throw new IllegalArgumentException("idempotency capacity must be >= 0, not " + capacity);
        }
        if (maxAge < 1) {
            throw new IllegalArgumentException("idempotency max age must be >= 1 entry, not " + maxAge);
        }
        return new IdempotencyTable(capacity, maxAge, PersistentSortedMap.empty(Utf8.CODE_POINT_ORDER),
                PersistentSortedMap.empty(BY_REVISION));
    }

    /**
     * Rebuilds a table from its FIFO listing. The caller has checked that keys are unique,
     * revisions strictly increase and there are at most {@code capacity} records.
     */
    static IdempotencyTable ofFifo(int capacity, List<String> keys, List<Recorded> results) {
        List<Long> revisions = new ArrayList<>(results.size());
        results.forEach(r -> revisions.add(r.result().revision()));
        List<Integer> byKeyOrder = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            byKeyOrder.add(i);
        }
        byKeyOrder.sort((a, b) -> Utf8.CODE_POINT_ORDER.compare(keys.get(a), keys.get(b)));
        List<String> sortedKeys = new ArrayList<>(keys.size());
        List<Recorded> sortedResults = new ArrayList<>(keys.size());
        for (int i : byKeyOrder) {
            sortedKeys.add(keys.get(i));
            sortedResults.add(results.get(i));
        }
        return new IdempotencyTable(capacity, DEFAULT_MAX_AGE_ENTRIES,
                PersistentSortedMap.ofSorted(Utf8.CODE_POINT_ORDER, sortedKeys, sortedResults),
                PersistentSortedMap.ofSorted(BY_REVISION, revisions, keys));
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return byKey.size();
    }

    /** Returns what was first recorded for {@code idempotencyKey}, or {@code null}. */
    Recorded lookup(String idempotencyKey) {
        return byKey.get(idempotencyKey);
    }

    /**
     * Returns a table that also remembers {@code result} of a request of kind {@code use} and fingerprint
     * {@code fingerprint} for the new {@code idempotencyKey}, evicting the oldest record if the table would exceed
     * its capacity.
     */
    IdempotencyTable record(String idempotencyKey, Use use, long fingerprint, KvResult result) {
        if (capacity == 0) {
            return this;
        }
        PersistentSortedMap<String, Recorded> keys = byKey.put(idempotencyKey,
                new Recorded(result, use, OptionalLong.of(fingerprint)));
        PersistentSortedMap<Long, String> order = byRevision.put(result.revision(), idempotencyKey);
        if (keys.size() > capacity) {
            Long oldest = order.firstKey();
            keys = keys.remove(order.get(oldest));
            order = order.remove(oldest);
        }
        return new IdempotencyTable(capacity, maxAge, keys, order);
    }

    /**
     * Returns the table as it is when the entry at {@code index} is applied: without the records older than the
     * age bound (first applied at {@code index - maxAge - 1} or before). Amortized O(1) per applied entry: each
     * record is removed once.
     */
    IdempotencyTable expire(long index) {
        if (byRevision.size() == 0 || byRevision.firstKey() >= index - maxAge) {
            return this;
        }
        PersistentSortedMap<String, Recorded> keys = byKey;
        PersistentSortedMap<Long, String> order = byRevision;
        while (order.size() > 0 && order.firstKey() < index - maxAge) {
            Long oldest = order.firstKey();
            keys = keys.remove(order.get(oldest));
            order = order.remove(oldest);
        }
        return new IdempotencyTable(capacity, maxAge, keys, order);
    }

    long maxAge() {
        return maxAge;
    }

    /** Iterates {@code (idempotencyKey, record)} pairs in FIFO order, oldest first. */
    Iterator<Map.Entry<String, Recorded>> fifo() {
        Iterator<Map.Entry<Long, String>> order = byRevision.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return order.hasNext();
            }

            @Override
            public Map.Entry<String, Recorded> next() {
                String key = order.next().getValue();
                return Map.entry(key, byKey.get(key));
            }
        };
    }
}
