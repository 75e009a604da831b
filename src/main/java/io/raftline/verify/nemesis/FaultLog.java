package io.raftline.verify.nemesis;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the nemesis did: every fault it tried to inject, when, and whether it took. Thread-safe.
 */
public final class FaultLog {

    /**
     * One fault.
     *
     * @param kind        what kind
     * @param description what exactly, e.g. {@code partition [[2], [1, 3]] (isolates leader 2)}
     * @param startNanos  when it was injected (the recorder's clock)
     * @param endNanos    when it was healed, or {@code Long.MAX_VALUE} if it never was
     * @param injected    whether the cluster accepted it
     * @param error       why not, or null
     */
    public record Entry(FaultKind kind, String description, long startNanos, long endNanos, boolean injected,
                        String error) {
    }

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Adds a fault.
     *
     * @param e the fault
     */
    public synchronized void add(Entry e) {
        entries.add(e);
    }

    /**
     * Every fault, in order.
     *
     * @return a copy
     */
    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Faults injected, by kind (every kind present, zero if none).
     *
     * @return the counts
     */
    public synchronized Map<FaultKind, Integer> injectedByKind() {
        Map<FaultKind, Integer> counts = new EnumMap<>(FaultKind.class);
        for (FaultKind k : FaultKind.values()) {
            counts.put(k, 0);
        }
        for (Entry e : entries) {
            if (e.injected()) {
                counts.merge(e.kind(), 1, Integer::sum);
            }
        }
        return counts;
    }
}
