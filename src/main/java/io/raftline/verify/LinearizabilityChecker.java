package io.raftline.verify;

import io.raftline.shard.KeyGroups;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether a client history recorded against Raftline is linearizable.
 *
 * <p>Raft promises that the store behaves like a single copy applying one request at a time, each
 * at some instant between its request and its answer. Tests and the {@code verify} command record
 * what clients saw under faults and hand it here; a Raft bug (a stale read, a lost or doubled
 * write, two leaders) shows up as a history no sequential run could produce.
 *
 * <p>How it decides:
 * <ul>
 *   <li>Keys are independent objects, and linearizability is compositional (P-compositionality,
 *       Horn &amp; Kroening), so each key's operations are searched separately with the
 *       Wing &amp; Gong / Lowe algorithm and its configuration cache (see {@code KeySearch}),
 *       against the model of one key in {@code RegisterModel}. Large histories stay fast as long
 *       as each key's concurrency is modest.</li>
 *   <li>Revisions are log indexes shared by all keys, so a separate pass checks them across keys
 *       (see {@code RevisionCheck}).</li>
 * </ul>
 * Every key is assumed absent when the history starts: record histories against fresh keys.
 * Reads must be linearizable or lease reads ({@code consistency=linearizable}, the default, or
 * {@code consistency=lease}: with bounded clock drift a leader lease promises linearizability
 * too); stale reads make a weaker promise and do not belong in a history checked here.
 *
 * <p>Deterministic and single-threaded; the budget only decides when to stop trying. Each
 * check is independent, so several may run on different threads.
 */
public final class LinearizabilityChecker {

    /** The budget {@link #check(Collection)} uses. */
    public static final Duration DEFAULT_BUDGET = Duration.ofMinutes(1);

    /** The least time a key gets in the first, fair-share pass. */
    private static final long MIN_SHARE_NANOS = 10_000_000;

    private LinearizabilityChecker() {
    }

    /**
     * Checks {@code history} within {@link #DEFAULT_BUDGET}.
     *
     * @param history the operations, in any order
     * @return the verdict and its evidence
     * @throws IllegalArgumentException if two operations share an id
     */
    public static CheckResult check(Collection<Operation> history) {
        return check(history, DEFAULT_BUDGET);
    }

    /**
     * Checks {@code history}, giving up on the keys still undecided once {@code budget} has
     * passed. Keys are searched in key order, first each with an equal share of the budget,
     * then those that needed more with the time left; a key not decided in time counts as
     * undecided. Only which keys end up undecided depends on timing, never a verdict on a key.
     *
     * @param history the operations, in any order
     * @param budget  how long to search, at most
     * @return the verdict and its evidence
     * @throws IllegalArgumentException if two operations share an id, or the budget is negative
     */
    public static CheckResult check(Collection<Operation> history, Duration budget) {
        return check(history, budget, KeyGroups.ONE);
    }

    /**
     * As {@link #check(Collection, Duration)}, for a cluster sharded over Raft groups: revisions are log indexes of
     * the group that owns the key, so the checks across keys ({@code RevisionCheck}) hold within each group, and two
     * keys of different groups may carry the same revision.
     *
     * @param history the operations, in any order
     * @param budget  how long to search, at most
     * @param groups  how the cluster maps keys to groups ({@link KeyGroups#ONE} for one group)
     * @return the verdict and its evidence
     * @throws IllegalArgumentException if two operations share an id, or the budget is negative
     */
    public static CheckResult check(Collection<Operation> history, Duration budget, KeyGroups groups) {
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(budget, "budget");
        if (budget.isNegative()) {
            throw new IllegalArgumentException("budget must not be negative, not " + budget);
        }
        long start = System.nanoTime();
        long deadline = start + saturatedNanos(budget);
        List<Operation> ops = List.copyOf(history);
        Set<Long> ids = new HashSet<>();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : ops) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("two operations have id " + op.id());
            }
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        Map<String, Violation> violated = new TreeMap<>();
        List<String> undecided = new ArrayList<>();
        long steps = 0;
        // First a fair share of the budget for every key, so that one hard key cannot keep the
        // others (and the violations they may show) from being checked; then the keys that ran
        // out try again with all the time left. A retry repeats work, never changes an answer.
        long share = Math.max(MIN_SHARE_NANOS, saturatedNanos(budget) / Math.max(1, byKey.size()));
        List<String> retry = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
            long now = System.nanoTime();
            long keyDeadline = deadline - now < share ? deadline : now + share;
            KeySearch.Result result = KeySearch.run(e.getKey(), e.getValue(), keyDeadline);
            steps += result.steps();
            switch (result.status()) {
                case VIOLATED -> violated.put(e.getKey(), result.violation());
                case TIMED_OUT -> retry.add(e.getKey());
                case LINEARIZABLE -> { }
            }
        }
        for (String key : retry) {
            if (System.nanoTime() - deadline > 0) {
                undecided.add(key);
                continue;
            }
            KeySearch.Result result = KeySearch.run(key, byKey.get(key), deadline);
            steps += result.steps();
            switch (result.status()) {
                case VIOLATED -> violated.put(key, result.violation());
                case TIMED_OUT -> undecided.add(key);
                case LINEARIZABLE -> { }
            }
        }
        List<Violation> violations = new ArrayList<>(violated.values());
        Map<Integer, List<Operation>> byGroup = new TreeMap<>();
        for (Operation op : ops) {
            byGroup.computeIfAbsent(groups.groupOf(op.key()), g -> new ArrayList<>()).add(op);
        }
        for (List<Operation> group : byGroup.values()) {
            violations.addAll(RevisionCheck.find(group));
        }
        Verdict verdict = !violations.isEmpty() ? Verdict.NOT_LINEARIZABLE
                : !undecided.isEmpty() ? Verdict.UNKNOWN : Verdict.LINEARIZABLE;
        return new CheckResult(verdict, violations, undecided, ops.size(), byKey.size(), steps);
    }

    private static long saturatedNanos(Duration budget) {
        try {
            return Math.min(budget.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
