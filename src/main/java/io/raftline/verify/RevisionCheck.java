package io.raftline.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks what revisions say across keys, which the per-key search cannot see.
 *
 * <p>Raftline's revisions are Raft log indexes, one sequence shared by every key. A linearizable
 * run therefore also satisfies, for operations with a known outcome:
 * <ol>
 *   <li>no two writes (PUT, CAS, DELETE) are given the same revision: one index, one entry;</li>
 *   <li>a revision belongs to one key: a read or a 412 that reports revision {@code r} on key
 *       {@code k} cannot meet a write that was given {@code r} on another key, nor another read or 412
 *       that reports {@code r} on another key;</li>
 *   <li>revisions respect real time: if operation A, which saw or created revision {@code x},
 *       completed before write B was invoked, B's own revision is greater than {@code x}, since
 *       the entry {@code x} was committed before B's entry was appended.</li>
 * </ol>
 * Two leaders committing different entries at one index (split brain, a lost committed write)
 * break rule 1 or 3 even when every key, taken alone, looks fine. These are necessary conditions
 * only; together with the per-key search they never report a linearizable history.
 */
final class RevisionCheck {

    /** Violations reported per rule; a broken run could otherwise produce thousands. */
    static final int MAX_PER_RULE = 3;

    private RevisionCheck() {
    }

    /**
     * Finds revision contradictions.
     *
     * @param history the operations
     * @return up to {@link #MAX_PER_RULE} violations per rule, in a deterministic order
     */
    static List<Violation> find(List<Operation> history) {
        List<Operation> writes = new ArrayList<>();
        List<Operation> holders = new ArrayList<>();
        for (Operation op : history) {
            long own = ownRevision(op);
            if (own > 0) {
                writes.add(op);
                holders.add(op);
            } else if (observedRevision(op) > 0) {
                holders.add(op);
            }
        }
        List<Violation> found = new ArrayList<>();
        duplicates(writes, found);
        foreignKeys(writes, holders, found);
        backwards(writes, holders, found);
        return found;
    }

    /** The revision a write with a known outcome was given, or 0. */
    private static long ownRevision(Operation op) {
        return op.kind() != OpKind.GET && op.outcome() instanceof Outcome.Ok ok && ok.revisionReported()
                ? ok.revision() : 0;
    }

    /** The revision of the key's current value that a read or a 412 reported, or 0. */
    private static long observedRevision(Operation op) {
        if (op.kind() == OpKind.GET && op.outcome() instanceof Outcome.Ok ok && ok.revisionReported()) {
            return ok.revision();
        }
        if (op.outcome() instanceof Outcome.Failed f && f.actualRevision() > 0) {
            return f.actualRevision();
        }
        return 0;
    }

    private static long revision(Operation op) {
        long own = ownRevision(op);
        return own > 0 ? own : observedRevision(op);
    }

    private static void duplicates(List<Operation> writes, List<Violation> found) {
        List<Operation> sorted = new ArrayList<>(writes);
        sorted.sort(Comparator.comparingLong(RevisionCheck::ownRevision).thenComparing(Histories.BY_INVOCATION));
        int reported = 0;
        for (int i = 0; i < sorted.size() && reported < MAX_PER_RULE; ) {
            int j = i + 1;
            long r = ownRevision(sorted.get(i));
            while (j < sorted.size() && ownRevision(sorted.get(j)) == r) {
                j++;
            }
            if (j - i > 1) {
                found.add(new Violation.Revisions((j - i) + " writes were given revision " + r
                        + ", but a log index holds one entry", sorted.subList(i, j)));
                reported++;
            }
            i = j;
        }
    }

    private static void foreignKeys(List<Operation> writes, List<Operation> holders, List<Violation> found) {
        Map<Long, Operation> writer = new HashMap<>();
        for (Operation w : writes) {
            writer.putIfAbsent(ownRevision(w), w);
        }
        List<Operation> sorted = new ArrayList<>(holders);
        sorted.sort(Histories.BY_INVOCATION);
        // Revisions seen on a key whose write reported none (its outcome unknown, or a write that reports no
        // revision): two keys seen at one of them cannot both be right either.
        Map<Long, Operation> firstSeen = new HashMap<>();
        int reported = 0;
        for (Operation op : sorted) {
            if (reported == MAX_PER_RULE) {
                break;
            }
            long r = observedRevision(op);
            if (r <= 0) {
                continue;
            }
            Operation w = writer.get(r);
            if (w != null && !w.key().equals(op.key())) {
                found.add(new Violation.Revisions("#" + op.id() + " saw revision " + r + " on key " + op.key()
                        + ", but revision " + r + " is #" + w.id() + "'s write to key " + w.key(), List.of(w, op)));
                reported++;
            } else if (w == null) {
                Operation first = firstSeen.putIfAbsent(r, op);
                if (first != null && !first.key().equals(op.key())) {
                    found.add(new Violation.Revisions("#" + op.id() + " saw revision " + r + " on key " + op.key()
                            + ", but #" + first.id() + " saw revision " + r + " on key " + first.key()
                            + ": one revision is one write, to one key", List.of(first, op)));
                    reported++;
                }
            }
        }
    }

    private static void backwards(List<Operation> writes, List<Operation> holders, List<Violation> found) {
        List<Operation> byCompletion = new ArrayList<>(holders);
        byCompletion.sort(Comparator.comparingLong(Operation::completeNanos).thenComparingLong(Operation::id));
        List<Operation> byInvocation = new ArrayList<>(writes);
        byInvocation.sort(Histories.BY_INVOCATION);
        Operation highest = null;
        int done = 0;
        int reported = 0;
        for (Operation w : byInvocation) {
            while (done < byCompletion.size() && byCompletion.get(done).completeNanos() < w.invokeNanos()) {
                Operation h = byCompletion.get(done++);
                if (highest == null || revision(h) > revision(highest)) {
                    highest = h;
                }
            }
            // Equal revisions are duplicates or foreign keys, reported above or by the key's search.
            if (highest != null && revision(highest) > ownRevision(w) && reported < MAX_PER_RULE) {
                found.add(new Violation.Revisions("#" + w.id() + " was given revision " + ownRevision(w)
                        + ", but #" + highest.id() + " had already completed with revision " + revision(highest)
                        + " before #" + w.id() + " was invoked: revisions went backwards", List.of(highest, w)));
                reported++;
            }
        }
    }
}
