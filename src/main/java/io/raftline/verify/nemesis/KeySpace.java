package io.raftline.verify.nemesis;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The keys clients use: {@code keys} slots, each holding one key at a time ({@code k<slot>.<generation>}), which
 * is retired for a fresh one once {@code opsPerKey} requests were issued on it. Many short key histories rather
 * than a few endless ones keep the checker fast (linearizability is checked per key, and each search grows with
 * the key's history) while every moment of the run still has {@code keys} contended keys. Every key starts
 * absent, as the checker assumes. Thread-safe.
 */
public final class KeySpace {

    private final int opsPerKey;
    private final AtomicIntegerArray issued;
    private final AtomicIntegerArray generation;

    /**
     * Creates the key space.
     *
     * @param keys      slots
     * @param opsPerKey requests per key before it is retired
     */
    public KeySpace(int keys, int opsPerKey) {
        this.opsPerKey = opsPerKey;
        this.issued = new AtomicIntegerArray(keys);
        this.generation = new AtomicIntegerArray(keys);
    }

    /**
     * Picks a key for the next request.
     *
     * @param random the caller's random source
     * @return the key
     */
    public String pick(SplittableRandom random) {
        int slot = random.nextInt(issued.length());
        int gen = generation.get(slot);
        if (issued.incrementAndGet(slot) >= opsPerKey) {
            // Whoever gets here first moves the slot on; the others keep the key they were given.
            if (generation.compareAndSet(slot, gen, gen + 1)) {
                issued.set(slot, 0);
            }
        }
        return "k" + slot + "." + gen;
    }
}
