package io.raftline.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Wing &amp; Gong / Lowe search for a linearization of the operations on one key, with
 * Lowe's cache of visited configurations.
 *
 * <p>The history becomes a doubly linked list of call and return events in time order. The
 * search repeatedly picks an operation whose call precedes the first remaining return (so it is
 * minimal in real-time order), applies it to the model, and removes both its events from the list
 * ("lifts" it). Reaching a return event means its operation should already have taken effect, so
 * the search backtracks. A configuration (set of linearized operations, model state) that was
 * reached before is not explored again: that cache is what makes the search fast in practice.
 *
 * <p>Operations with an unknown outcome have a call and no return: they may be linearized
 * anywhere after their invocation, and the search succeeds once every operation with a known
 * outcome is linearized, whatever the unknown ones did. At each configuration the known ones are
 * tried first, because a linearizable history rarely needs an unknown write to have happened
 * early, and unknown writes whose effect nothing could ever observe are removed beforehand (see
 * {@link #prune}); both keep the search from exploring when each of many timed-out writes might
 * have happened.
 *
 * <p>Single-threaded and deterministic: the only input besides the operations is a deadline,
 * which can turn an answer into {@link Status#TIMED_OUT} but never change it.
 */
final class KeySearch {

    /** How a search ended. */
    enum Status { LINEARIZABLE, VIOLATED, TIMED_OUT }

    /**
     * The outcome of one key's search.
     *
     * @param status    how it ended
     * @param violation the explanation when {@link Status#VIOLATED}, else {@code null}
     * @param steps     model steps taken
     */
    record Result(Status status, Violation.OnKey violation, long steps) {
    }

    /** Unplaced operations listed in a violation besides the blocked one. */
    private static final int MAX_UNPLACED = 12;

    /** Loop iterations between two looks at the clock. */
    private static final int CLOCK_STRIDE = 1024;

    private static final int HEAD = 0;

    private final String key;
    private final Operation[] ops;
    private final int[] valueIds;
    private final List<Value> values;
    private final boolean[] unknown;
    private final long[] zobrist;

    // Event list: entry 0 is the head sentinel; entry e > 0 belongs to operation entryOp[e].
    private final int[] entryOp;
    private final boolean[] entryIsCall;
    private final int[] next;
    private final int[] prev;
    private final int[] callEntry;
    private final int[] returnEntry;

    private final long deadlineNanos;

    private Frame best;
    private RegisterState bestState;
    private int bestBlocked = -1;
    private int[] bestCandidates;

    /**
     * A linearized operation on the search stack. The stack is a persistent linked list so that
     * the deepest point reached can be kept by reference, for the explanation.
     */
    private record Frame(int op, RegisterState before, boolean unknownPass, Frame parent, int depth) {
    }

    /** A visited configuration: the set of linearized operations and the model state. */
    private static final class Config {
        private final long[] linearized;
        private final RegisterState state;
        private final int hash;

        Config(long[] linearized, long zobrist, RegisterState state) {
            this.linearized = linearized;
            this.state = state;
            this.hash = (int) (zobrist ^ (zobrist >>> 32)) * 31 + state.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && hash == c.hash && state.equals(c.state)
                    && Arrays.equals(linearized, c.linearized);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private KeySearch(String key, List<Operation> kept, long deadlineNanos) {
        this.key = key;
        this.deadlineNanos = deadlineNanos;
        int n = kept.size();
        ops = kept.toArray(new Operation[0]);
        Arrays.sort(ops, Histories.BY_INVOCATION);
        Interned interned = intern(Arrays.asList(ops));
        valueIds = interned.ids;
        values = interned.values;
        unknown = new boolean[n];
        zobrist = new long[n];
        int events = 0;
        for (int i = 0; i < n; i++) {
            unknown[i] = ops[i].outcomeUnknown();
            zobrist[i] = mix(i + 0x9E3779B97F4A7C15L);
            events += unknown[i] ? 1 : 2;
        }
        entryOp = new int[events + 1];
        entryIsCall = new boolean[events + 1];
        next = new int[events + 1];
        prev = new int[events + 1];
        callEntry = new int[n];
        returnEntry = new int[n];
        buildEventList(events);
    }

    /**
     * Searches for a linearization of {@code ops}, which all act on {@code key}.
     *
     * @param key           the key
     * @param ops           its operations, in any order
     * @param deadlineNanos {@code System.nanoTime()} value after which to give up
     * @return the result
     */
    static Result run(String key, List<Operation> ops, long deadlineNanos) {
        return new KeySearch(key, prune(ops), deadlineNanos).search();
    }

    /**
     * Drops what cannot constrain the search: rejected requests, reads with an unknown outcome,
     * and unknown-outcome writes that nothing could ever observe.
     *
     * <p>An unknown write matters only if some operation could tell that it happened: a read of
     * its value, or, since its presence and revision are visible too, a 412, a delete that found
     * the key, or an {@code ifRevision} naming a revision no known write or read accounts for. If
     * the key has none of the latter, a linearization that uses a write whose value nobody read
     * stays valid without it (whatever came between that write and the next one could not have
     * seen it), so dropping such writes loses no linearizations and saves the search from trying
     * each of them at every point.
     */
    static List<Operation> prune(List<Operation> ops) {
        List<Operation> kept = new ArrayList<>(ops.size());
        Set<Value> read = new HashSet<>();
        Set<Long> explained = new HashSet<>();
        for (Operation op : ops) {
            if (op.outcome() instanceof Outcome.Failed f && f.cause() == Outcome.Cause.REJECTED) {
                continue;
            }
            if (op.kind() == OpKind.GET && op.outcomeUnknown()) {
                continue;
            }
            kept.add(op);
            if (op.outcome() instanceof Outcome.Ok ok && ok.revisionReported()
                    && (op.kind() == OpKind.PUT || op.kind() == OpKind.CAS || op.kind() == OpKind.GET)) {
                explained.add(ok.revision());
            }
            if (op.kind() == OpKind.GET && op.outcome() instanceof Outcome.Ok ok && ok.found()) {
                read.add(ok.value());
            }
        }
        boolean unknownWritesVisible = false;
        for (Operation op : kept) {
            boolean visible = op.outcome() instanceof Outcome.Failed
                    || op.kind() == OpKind.DELETE && op.outcome() instanceof Outcome.Ok ok && ok.deleted() == 1
                    || op.kind() == OpKind.CAS && op.expectedRevision() > 0
                            && !explained.contains(op.expectedRevision());
            if (visible) {
                unknownWritesVisible = true;
                break;
            }
        }
        if (unknownWritesVisible) {
            return kept;
        }
        kept.removeIf(op -> op.outcomeUnknown() && op.value() != null && !read.contains(op.value()));
        return kept;
    }

    private record Interned(int[] ids, List<Value> values) {
    }

    private static Interned intern(List<Operation> ops) {
        Map<Value, Integer> index = new HashMap<>();
        List<Value> values = new ArrayList<>();
        int[] ids = new int[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            Value v = op.value();
            if (v == null && op.outcome() instanceof Outcome.Ok ok) {
                v = ok.value();
            }
            if (v == null) {
                ids[i] = RegisterState.ABSENT;
            } else {
                Integer id = index.get(v);
                if (id == null) {
                    id = values.size();
                    index.put(v, id);
                    values.add(v);
                }
                ids[i] = id;
            }
        }
        return new Interned(ids, List.copyOf(values));
    }

    /**
     * Lays the events out in time order. At equal times calls come before returns, so operations
     * whose intervals only touch count as concurrent: the checker never relies on a clock
     * resolution finer than it has.
     */
    private void buildEventList(int events) {
        long[] time = new long[events];
        int[] op = new int[events];
        boolean[] isCall = new boolean[events];
        int e = 0;
        for (int i = 0; i < ops.length; i++) {
            time[e] = ops[i].invokeNanos();
            op[e] = i;
            isCall[e++] = true;
            if (!unknown[i]) {
                time[e] = ops[i].completeNanos();
                op[e] = i;
                isCall[e++] = false;
            }
        }
        Integer[] order = new Integer[events];
        for (int i = 0; i < events; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(time[a], time[b]);
            if (c != 0) {
                return c;
            }
            if (isCall[a] != isCall[b]) {
                return isCall[a] ? -1 : 1;
            }
            return Integer.compare(op[a], op[b]);
        });
        Arrays.fill(returnEntry, -1);
        int last = HEAD;
        for (int i = 0; i < events; i++) {
            int entry = i + 1;
            int src = order[i];
            entryOp[entry] = op[src];
            entryIsCall[entry] = isCall[src];
            if (isCall[src]) {
                callEntry[op[src]] = entry;
            } else {
                returnEntry[op[src]] = entry;
            }
            next[last] = entry;
            prev[entry] = last;
            last = entry;
        }
        next[last] = -1;
    }

    private void unlink(int entry) {
        next[prev[entry]] = next[entry];
        if (next[entry] >= 0) {
            prev[next[entry]] = prev[entry];
        }
    }

    private void relink(int entry) {
        next[prev[entry]] = entry;
        if (next[entry] >= 0) {
            prev[next[entry]] = entry;
        }
    }

    private void lift(int op) {
        unlink(callEntry[op]);
        if (returnEntry[op] >= 0) {
            unlink(returnEntry[op]);
        }
    }

    private void unlift(int op) {
        if (returnEntry[op] >= 0) {
            relink(returnEntry[op]);
        }
        relink(callEntry[op]);
    }

    private Result search() {
        int remaining = 0;
        boolean anyUnknown = false;
        for (boolean u : unknown) {
            if (u) {
                anyUnknown = true;
            } else {
                remaining++;
            }
        }
        long[] linearized = new long[(ops.length + 63) / 64];
        long hash = 0;
        Set<Config> seen = new HashSet<>();
        RegisterState state = RegisterState.INITIAL;
        Frame top = null;
        long steps = 0;
        int sinceClock = 0;
        // Pass one tries the known-outcome operations at this configuration, pass two the unknown.
        boolean unknownPass = false;
        int entry = next[HEAD];
        while (remaining > 0) {
            if (++sinceClock == CLOCK_STRIDE) {
                sinceClock = 0;
                if (System.nanoTime() - deadlineNanos > 0) {
                    return new Result(Status.TIMED_OUT, null, steps);
                }
            }
            if (entryIsCall[entry]) {
                int op = entryOp[entry];
                if (unknown[op] == unknownPass) {
                    steps++;
                    RegisterState after = RegisterModel.step(state, ops[op], valueIds[op]);
                    if (after != null) {
                        linearized[op >>> 6] |= 1L << op;
                        long h = hash ^ zobrist[op];
                        if (seen.add(new Config(linearized.clone(), h, after))) {
                            top = new Frame(op, state, unknownPass, top, top == null ? 1 : top.depth() + 1);
                            state = after;
                            hash = h;
                            lift(op);
                            if (!unknown[op]) {
                                remaining--;
                            }
                            unknownPass = false;
                            entry = next[HEAD];
                            continue;
                        }
                        linearized[op >>> 6] &= ~(1L << op);
                    }
                }
                entry = next[entry];
                continue;
            }
            // A return event: its operation must have taken effect by now.
            if (!unknownPass && anyUnknown) {
                unknownPass = true;
                entry = next[HEAD];
                continue;
            }
            remember(top, state, entry);
            if (top == null) {
                return new Result(Status.VIOLATED, explain(), steps);
            }
            int op = top.op();
            state = top.before();
            unknownPass = top.unknownPass();
            unlift(op);
            linearized[op >>> 6] &= ~(1L << op);
            hash ^= zobrist[op];
            if (!unknown[op]) {
                remaining++;
            }
            entry = next[callEntry[op]];
            top = top.parent();
        }
        return new Result(Status.LINEARIZABLE, null, steps);
    }

    /** Keeps the deepest dead end for the explanation: the prefix, the state, who was pending. */
    private void remember(Frame top, RegisterState state, int returnEntryReached) {
        int depth = top == null ? 0 : top.depth();
        int bestDepth = best == null ? (bestBlocked < 0 ? -1 : 0) : best.depth();
        if (depth <= bestDepth) {
            return;
        }
        best = top;
        bestState = state;
        bestBlocked = entryOp[returnEntryReached];
        List<Integer> candidates = new ArrayList<>();
        for (int e = next[HEAD]; e != returnEntryReached; e = next[e]) {
            if (entryIsCall[e] && entryOp[e] != bestBlocked) {
                candidates.add(entryOp[e]);
            }
        }
        // Known outcomes first: they are the ones that had to fit.
        candidates.sort((a, b) -> Boolean.compare(unknown[a], unknown[b]));
        bestCandidates = candidates.stream().mapToInt(Integer::intValue).toArray();
    }

    private Violation.OnKey explain() {
        List<Operation> prefix = new ArrayList<>();
        for (Frame f = best; f != null; f = f.parent()) {
            prefix.add(ops[f.op()]);
        }
        Collections.reverse(prefix);
        List<Violation.Unplaced> unplaced = new ArrayList<>();
        unplaced.add(unplaced(bestBlocked));
        int shown = Math.min(bestCandidates.length, MAX_UNPLACED);
        for (int i = 0; i < shown; i++) {
            unplaced.add(unplaced(bestCandidates[i]));
        }
        String state = RegisterModel.describe(bestState, values);
        if (bestCandidates.length > shown) {
            state += "; " + (bestCandidates.length - shown) + " more pending operations not listed";
        }
        return new Violation.OnKey(key, prefix, state, unplaced);
    }

    private Violation.Unplaced unplaced(int op) {
        String why = RegisterModel.whyNot(bestState, ops[op], valueIds[op], values);
        if (why == null) {
            why = unknown[op]
                    ? "may take effect here, but that does not help: nothing placed after it leads anywhere"
                    : "fits here, but then no order of the remaining operations works";
        }
        return new Violation.Unplaced(ops[op], why);
    }

    /** SplitMix64's finalizer: spreads operation indexes into well-mixed hash keys. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
