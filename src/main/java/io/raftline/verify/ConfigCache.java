package io.raftline.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The search's memory of configurations already explored, with subsumption.
 *
 * <p>A configuration is the set of linearized operations plus the model state. Lowe's cache
 * skips a configuration seen before. That is not enough with unknown-outcome operations: each
 * one still pending can be linearized at any later point or never, so every pending one doubles
 * the configurations a failing search must exhaust. Most of those are useless, and this cache
 * recognises them: configuration {@code C'} <em>dominates</em> {@code C} when both have
 * linearized the same known-outcome operations, {@code C'} has linearized a subset of the
 * unknown ones {@code C} has, and {@code C'}'s state is weaker (same value; a floor no higher, or
 * an equal revision if {@code C'} has observed it). Whatever {@code C} can still do, {@code C'}
 * can too: the same operations are candidates there (unknown ones have no return event to
 * block on) and {@link RegisterModel#step} is monotone in the floor. So once {@code C'} is
 * recorded, {@code C} need not be explored: if a linearization existed through {@code C}, the
 * search would find one through {@code C'}. (Induction on the number of known operations
 * linearized: a recorded configuration that can succeed, with the most of them, would reach a
 * recorded one with more.) An unknown write whose value has since been overwritten thus costs
 * nothing more.
 *
 * <p>The cache tracks the current configuration's sets incrementally ({@link #include},
 * {@link #exclude}); {@link #visit} records it unless a recorded one dominates it.
 */
final class ConfigCache {

    private static final long[] NONE = new long[0];

    private final long[] known;
    private final long[] unknown;
    private final long[] zobrist;
    private long hash;
    private final Map<Prefix, List<Seen>> seen = new HashMap<>();
    private final Prefix probe = new Prefix(null, 0, 0);
    private long size;

    /** The known-outcome set and the current value: what must be equal for dominance. */
    private static final class Prefix {
        long[] known;
        int value;
        int hash;

        Prefix(long[] known, int value, int hash) {
            this.known = known;
            this.value = value;
            this.hash = hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix p && hash == p.hash && value == p.value && Arrays.equals(known, p.known);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** What else distinguishes a recorded configuration: the unknown set and the revision facts. */
    private record Seen(long[] unknown, boolean revisionKnown, long floor) {
    }

    /**
     * Creates an empty cache.
     *
     * @param knownOps   operations with a known outcome, numbered from 0
     * @param unknownOps operations with an unknown outcome, numbered from 0
     */
    ConfigCache(int knownOps, int unknownOps) {
        known = new long[words(knownOps)];
        unknown = unknownOps == 0 ? NONE : new long[words(unknownOps)];
        zobrist = new long[knownOps];
        for (int i = 0; i < knownOps; i++) {
            zobrist[i] = mix(i + 0x9E3779B97F4A7C15L);
        }
    }

    private static int words(int bits) {
        return (bits + 63) >>> 6;
    }

    /** Adds an operation to the current configuration's linearized set. */
    void include(int slot, boolean unknownOutcome) {
        if (unknownOutcome) {
            unknown[slot >>> 6] |= 1L << slot;
        } else {
            known[slot >>> 6] |= 1L << slot;
            hash ^= zobrist[slot];
        }
    }

    /** Removes an operation from the current configuration's linearized set. */
    void exclude(int slot, boolean unknownOutcome) {
        if (unknownOutcome) {
            unknown[slot >>> 6] &= ~(1L << slot);
        } else {
            known[slot >>> 6] &= ~(1L << slot);
            hash ^= zobrist[slot];
        }
    }

    /**
     * Records the current linearized set with {@code state}, unless a recorded configuration
     * dominates it.
     *
     * @return {@code true} if it is new and should be explored
     */
    boolean visit(RegisterState state) {
        int h = (int) (hash ^ (hash >>> 32)) * 31 + state.value();
        probe.known = known;
        probe.value = state.value();
        probe.hash = h;
        List<Seen> list = seen.get(probe);
        probe.known = null;
        if (list == null) {
            list = new ArrayList<>(2);
            seen.put(new Prefix(known.clone(), state.value(), h), list);
        } else {
            for (Seen s : list) {
                if (weaker(s.revisionKnown(), s.floor(), state.revisionKnown(), state.floor())
                        && subset(s.unknown(), unknown)) {
                    return false;
                }
            }
            // Drop what the new configuration dominates: anything they dominate, it does.
            int before = list.size();
            list.removeIf(s -> weaker(state.revisionKnown(), state.floor(), s.revisionKnown(), s.floor())
                    && subset(unknown, s.unknown()));
            size -= before - list.size();
        }
        list.add(new Seen(unknown.length == 0 ? NONE : unknown.clone(), state.revisionKnown(), state.floor()));
        size++;
        return true;
    }

    /** Configurations currently recorded. */
    long size() {
        return size;
    }

    /**
     * Whether revision facts {@code (aKnown, aFloor)} allow everything {@code (bKnown, bFloor)}
     * allows, for the same value: an unobserved revision from a lower floor can still become any
     * higher one, an observed revision only itself.
     */
    private static boolean weaker(boolean aKnown, long aFloor, boolean bKnown, long bFloor) {
        return aKnown ? bKnown && aFloor == bFloor : aFloor <= bFloor;
    }

    private static boolean subset(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & ~b[i]) != 0) {
                return false;
            }
        }
        return true;
    }

    /** SplitMix64's finalizer: spreads operation numbers into well-mixed hash keys. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
