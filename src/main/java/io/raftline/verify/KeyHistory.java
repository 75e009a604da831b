package io.raftline.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One key's operations, prepared for {@link KeySearch}: filtered, numbered, with values interned
 * and the facts that let the search skip hopeless or redundant branches worked out up front.
 *
 * <p>Everything here is derived from the operations alone, so that the search loop only looks
 * up arrays. Each reduction loses no linearization; the reasons are given where they are
 * computed. Operations are numbered by invocation time (then id), which is also the order the
 * search tries them in, so results do not depend on the order of the input.
 */
final class KeyHistory {

    /** The key. */
    final String key;
    /** The operations that constrain the search, by invocation time. */
    final Operation[] ops;
    /** Each operation's value (written or read) as an index into {@link #values}, or ABSENT. */
    final int[] valueIds;
    /** The distinct values, for explanations. */
    final List<Value> values;
    /**
     * The value ids the search uses: {@link #valueIds}, except that every value no read returns
     * becomes the single id {@code values.size()}. Only reads compare values, so such values are
     * indistinguishable, and merging them lets the configuration cache and the twin rule treat
     * writes of never-read values alike. Explanations replay with the real ids.
     */
    final int[] searchIds;
    /** Whether each operation's outcome is unknown. */
    final boolean[] unknown;
    /** An operation's number among those with the same kind of outcome, for {@link ConfigCache}. */
    final int[] slot;
    /** Operations with a known outcome. */
    final int knownCount;
    /** Operations with an unknown outcome. */
    final int unknownCount;
    /**
     * For an unknown-outcome operation, the previous one (by invocation) that is identical to it
     * (same kind, search value and precondition), or -1. Identical ones are used in invocation
     * order: swapping two of them in a linearization gives another, since the earlier one was
     * invoked in time for either place. Without this, k pending unknown deletes on a key would be
     * tried as all their subsets.
     */
    final int[] earlierTwin;
    /**
     * Unknown-outcome writes that must take effect, sorted by {@link #deadline}. A write must take
     * effect when a read with a known outcome saw its value and no other operation writes that
     * value.
     */
    final int[] pinned;
    /**
     * For a {@link #pinned} write, the floor at which it can no longer take effect: the revision
     * {@code r} a read saw its value at (it is the entry at {@code r}, so everything before it is
     * below {@code r}), or {@code e + 1} for a CAS on revision {@code e} (its precondition needs
     * the current revision to be {@code e}), whichever is lower. Floors only grow along a search
     * path, so reaching the deadline with the write unplaced means the path is dead.
     */
    final long[] deadline;

    private KeyHistory(String key, List<Operation> kept) {
        this.key = key;
        int n = kept.size();
        ops = kept.toArray(new Operation[0]);
        Arrays.sort(ops, Histories.BY_INVOCATION);
        values = new ArrayList<>();
        valueIds = intern();
        searchIds = mergeUnreadValues();
        unknown = new boolean[n];
        slot = new int[n];
        int known = 0;
        int unknowns = 0;
        for (int i = 0; i < n; i++) {
            unknown[i] = ops[i].outcomeUnknown();
            slot[i] = unknown[i] ? unknowns++ : known++;
        }
        knownCount = known;
        unknownCount = unknowns;
        earlierTwin = twins();
        deadline = new long[n];
        pinned = pin();
    }

    /**
     * Prepares {@code ops}, which all act on {@code key}. Rejected requests and reads with an
     * unknown outcome are left out: the first changed nothing and observed nothing, the second
     * changed nothing and their output is unconstrained.
     *
     * @param key the key
     * @param ops its operations, in any order
     * @return the prepared history
     */
    static KeyHistory of(String key, List<Operation> ops) {
        List<Operation> kept = new ArrayList<>(ops.size());
        for (Operation op : ops) {
            boolean rejected = op.outcome() instanceof Outcome.Failed f && f.cause() == Outcome.Cause.REJECTED;
            if (!rejected && !(op.kind() == OpKind.GET && op.outcomeUnknown())) {
                kept.add(op);
            }
        }
        return new KeyHistory(key, kept);
    }

    /** The value an operation writes, or reads if it is a successful GET. */
    private static Value valueOf(Operation op) {
        if (op.value() != null) {
            return op.value();
        }
        return op.outcome() instanceof Outcome.Ok ok ? ok.value() : null;
    }

    private int[] intern() {
        Map<Value, Integer> index = new HashMap<>();
        int[] ids = new int[ops.length];
        for (int i = 0; i < ops.length; i++) {
            Value v = valueOf(ops[i]);
            if (v == null) {
                ids[i] = RegisterState.ABSENT;
            } else {
                ids[i] = index.computeIfAbsent(v, x -> {
                    values.add(x);
                    return values.size() - 1;
                });
            }
        }
        return ids;
    }

    private boolean[] readValues() {
        boolean[] read = new boolean[values.size()];
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].kind() == OpKind.GET && valueIds[i] != RegisterState.ABSENT) {
                read[valueIds[i]] = true;
            }
        }
        return read;
    }

    private int[] mergeUnreadValues() {
        boolean[] read = readValues();
        int unread = values.size();
        int[] ids = new int[ops.length];
        for (int i = 0; i < ops.length; i++) {
            int id = valueIds[i];
            ids[i] = id == RegisterState.ABSENT || read[id] ? id : unread;
        }
        return ids;
    }

    private record Twin(OpKind kind, int value, long expectedRevision) {
    }

    private int[] twins() {
        int[] twin = new int[ops.length];
        Map<Twin, Integer> last = new HashMap<>();
        for (int i = 0; i < ops.length; i++) {
            Integer previous = unknown[i]
                    ? last.put(new Twin(ops[i].kind(), searchIds[i], ops[i].expectedRevision()), i)
                    : null;
            twin[i] = previous == null ? -1 : previous;
        }
        return twin;
    }

    private int[] pin() {
        boolean[] read = readValues();
        int[] writers = new int[values.size()];
        int[] writer = new int[values.size()];
        long[] seenAt = new long[values.size()];
        Arrays.fill(seenAt, Long.MAX_VALUE);
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].value() != null) {
                writers[valueIds[i]]++;
                writer[valueIds[i]] = i;
            } else if (ops[i].outcome() instanceof Outcome.Ok ok && ok.found() && ok.revisionReported()) {
                seenAt[valueIds[i]] = Math.min(seenAt[valueIds[i]], ok.revision());
            }
        }
        List<Integer> found = new ArrayList<>();
        for (int v = 0; v < values.size(); v++) {
            int w = writer[v];
            if (writers[v] != 1 || !read[v] || !unknown[w]) {
                continue;
            }
            long expected = ops[w].expectedRevision();
            deadline[w] = Math.min(seenAt[v], expected > 0 ? expected + 1 : Long.MAX_VALUE);
            if (deadline[w] != Long.MAX_VALUE) {
                found.add(w);
            }
        }
        found.sort((a, b) -> Long.compare(deadline[a], deadline[b]));
        return found.stream().mapToInt(Integer::intValue).toArray();
    }
}
