package io.raftline.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The Wing &amp; Gong / Lowe search for a linearization of the operations on one key.
 *
 * <p>The history becomes a doubly linked list of call and return events in time order. The
 * search repeatedly picks an operation whose call precedes the first remaining return (so it is
 * minimal in real-time order), applies it to the model, and removes both its events from the list
 * ("lifts" it). Reaching a return event means its operation should already have taken effect, so
 * the search backtracks. A configuration (set of linearized operations, model state) reached
 * before, or dominated by one reached before, is not explored again ({@link ConfigCache}): that
 * cache is what makes the search fast in practice.
 *
 * <p>Operations with an unknown outcome have a call and no return: they may be linearized
 * anywhere after their invocation, and the search succeeds once every operation with a known
 * outcome is linearized, whatever the unknown ones did. Each of many timed-out writes might have
 * happened at any point, which is what makes such histories expensive; four things keep that in
 * check: at each configuration the known operations are tried first; identical unknown ones are
 * used in invocation order and never-read values are merged ({@link KeyHistory}); the cache
 * subsumes configurations that linearized more unknown operations to the same effect; and a path
 * is abandoned as soon as it passes the deadline of an unknown write that a read proves happened.
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

    private final KeyHistory h;
    private final long deadlineNanos;
    private final boolean[] lifted;

    // Event list: entry 0 is the head sentinel; entry e > 0 belongs to operation entryOp[e].
    private final int[] entryOp;
    private final boolean[] entryIsCall;
    private final int[] next;
    private final int[] prev;
    private final int[] callEntry;
    private final int[] returnEntry;

    // The deepest dead end so far, for the explanation.
    private Frame best;
    private int bestBlocked = -1;
    private int[] bestCandidates;

    /**
     * A linearized operation on the search stack. The stack is a persistent linked list so that
     * the deepest point reached can be kept by reference, for the explanation.
     */
    private record Frame(int op, RegisterState before, boolean unknownPass, Frame parent, int depth) {
    }

    private KeySearch(KeyHistory history, long deadlineNanos) {
        this.h = history;
        this.deadlineNanos = deadlineNanos;
        int n = h.ops.length;
        lifted = new boolean[n];
        int events = 2 * h.knownCount + h.unknownCount;
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
        return new KeySearch(KeyHistory.of(key, ops), deadlineNanos).search();
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
        for (int i = 0; i < h.ops.length; i++) {
            time[e] = h.ops[i].invokeNanos();
            op[e] = i;
            isCall[e++] = true;
            if (!h.unknown[i]) {
                time[e] = h.ops[i].completeNanos();
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
        lifted[op] = true;
        unlink(callEntry[op]);
        if (returnEntry[op] >= 0) {
            unlink(returnEntry[op]);
        }
    }

    private void unlift(int op) {
        lifted[op] = false;
        if (returnEntry[op] >= 0) {
            relink(returnEntry[op]);
        }
        relink(callEntry[op]);
    }

    /** Whether {@code op} may be tried now: in its pass, and after its identical predecessors. */
    private boolean tryable(int op, boolean unknownPass) {
        int twin = h.earlierTwin[op];
        return h.unknown[op] == unknownPass && (twin < 0 || lifted[twin]);
    }

    /** Whether reaching {@code after} leaves a pinned write other than {@code op} unplaceable. */
    private boolean passesDeadline(RegisterState after, int op) {
        for (int w : h.pinned) {
            if (h.deadline[w] > after.floor()) {
                return false;
            }
            if (w != op && !lifted[w]) {
                return true;
            }
        }
        return false;
    }

    private Result search() {
        int remaining = h.knownCount;
        ConfigCache cache = new ConfigCache(h.knownCount, h.unknownCount);
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
                if (tryable(op, unknownPass)) {
                    steps++;
                    RegisterState after = RegisterModel.step(state, h.ops[op], h.searchIds[op]);
                    if (after != null && !passesDeadline(after, op)) {
                        cache.include(h.slot[op], h.unknown[op]);
                        if (cache.visit(after)) {
                            top = new Frame(op, state, unknownPass, top, top == null ? 1 : top.depth() + 1);
                            state = after;
                            lift(op);
                            if (!h.unknown[op]) {
                                remaining--;
                            }
                            unknownPass = false;
                            entry = next[HEAD];
                            continue;
                        }
                        cache.exclude(h.slot[op], h.unknown[op]);
                    }
                }
                entry = next[entry];
                continue;
            }
            // A return event: its operation must have taken effect by now.
            if (!unknownPass && h.unknownCount > 0) {
                unknownPass = true;
                entry = next[HEAD];
                continue;
            }
            remember(top, entry);
            if (top == null) {
                return new Result(Status.VIOLATED, explain(), steps);
            }
            int op = top.op();
            state = top.before();
            unknownPass = top.unknownPass();
            unlift(op);
            cache.exclude(h.slot[op], h.unknown[op]);
            if (!h.unknown[op]) {
                remaining++;
            }
            entry = next[callEntry[op]];
            top = top.parent();
        }
        return new Result(Status.LINEARIZABLE, null, steps);
    }

    /** Keeps the deepest dead end for the explanation: the prefix and who was pending. */
    private void remember(Frame top, int returnEntryReached) {
        int depth = top == null ? 0 : top.depth();
        int bestDepth = best != null ? best.depth() : bestBlocked >= 0 ? 0 : -1;
        if (depth <= bestDepth) {
            return;
        }
        best = top;
        bestBlocked = entryOp[returnEntryReached];
        List<Integer> candidates = new ArrayList<>();
        for (int e = next[HEAD]; e != returnEntryReached; e = next[e]) {
            if (entryIsCall[e] && entryOp[e] != bestBlocked) {
                candidates.add(entryOp[e]);
            }
        }
        // Known outcomes first: they are the ones that had to fit.
        candidates.sort((a, b) -> Boolean.compare(h.unknown[a], h.unknown[b]));
        bestCandidates = candidates.stream().mapToInt(Integer::intValue).toArray();
    }

    private Violation.OnKey explain() {
        List<Integer> prefix = new ArrayList<>();
        for (Frame f = best; f != null; f = f.parent()) {
            prefix.add(f.op());
        }
        Collections.reverse(prefix);
        // Replay with the real values, which the search merged when no read returns them.
        RegisterState state = RegisterState.INITIAL;
        List<Operation> linearized = new ArrayList<>(prefix.size());
        for (int op : prefix) {
            state = RegisterModel.step(state, h.ops[op], h.valueIds[op]);
            linearized.add(h.ops[op]);
        }
        List<Violation.Unplaced> unplaced = new ArrayList<>();
        unplaced.add(unplaced(state, bestBlocked));
        int shown = Math.min(bestCandidates.length, MAX_UNPLACED);
        for (int i = 0; i < shown; i++) {
            unplaced.add(unplaced(state, bestCandidates[i]));
        }
        String described = RegisterModel.describe(state, h.values);
        if (bestCandidates.length > shown) {
            described += "; " + (bestCandidates.length - shown) + " more pending operations not listed";
        }
        return new Violation.OnKey(h.key, linearized, described, unplaced);
    }

    private Violation.Unplaced unplaced(RegisterState state, int op) {
        String why = RegisterModel.whyNot(state, h.ops[op], h.valueIds[op], h.values);
        if (why == null) {
            why = h.unknown[op]
                    ? "may take effect here, but that does not help: nothing placed after it leads anywhere"
                    : "fits here, but then no order of the remaining operations works";
        }
        return new Violation.Unplaced(h.ops[op], why);
    }
}
