package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accounts for every acknowledged write against the final reads: a direct statement of "no acknowledged write
 * was lost", next to the checker's verdict (which implies it when the final reads are in the history).
 *
 * <p>Revisions are log indexes, and a key's revision only moves forward, so a write acknowledged at revision
 * {@code r} is accounted for when the key's final state is at least as new: the final read found the key at a
 * revision {@code >= r} (with the write's own value if exactly {@code r}), or found it absent and a delete could
 * have removed it later (an acknowledged delete at a revision above {@code r}, or a delete whose outcome is
 * unknown). An acknowledged delete at {@code r} is accounted for when the key is absent at the end or was
 * written again after {@code r}. A key the final phase could not read accounts for none of its writes.
 */
public final class AcknowledgedWrites {

    private AcknowledgedWrites() {
    }

    /**
     * The accounting.
     *
     * @param acknowledged writes (put, cas, delete) answered 200
     * @param accounted    those the final state accounts for
     * @param keys         keys with operations in the history
     * @param keysRead     keys with a final read
     * @param missing      one line per write not accounted for
     */
    public record Accounting(int acknowledged, int accounted, int keys, int keysRead, List<String> missing) {

        /**
         * Copies the list.
         *
         * @param acknowledged acknowledged writes
         * @param accounted    accounted writes
         * @param keys         keys
         * @param keysRead     keys read at the end
         * @param missing      the writes not accounted for
         */
        public Accounting {
            missing = List.copyOf(missing);
        }

        /**
         * Whether every acknowledged write is accounted for.
         *
         * @return true if none is missing
         */
        public boolean complete() {
            return missing.isEmpty();
        }
    }

    /**
     * Accounts for the acknowledged writes of a history.
     *
     * @param history     the operations, final reads included
     * @param finalClient the client id of the final reads
     * @return the accounting
     */
    public static Accounting check(List<Operation> history, int finalClient) {
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        int acknowledged = 0;
        int accounted = 0;
        int keysRead = 0;
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
            List<Operation> ops = e.getValue();
            Operation last = null;
            for (Operation op : ops) {
                if (op.client() == finalClient && op.kind() == OpKind.GET && op.outcome() instanceof Outcome.Ok
                        && (last == null || op.invokeNanos() > last.invokeNanos())) {
                    last = op;
                }
            }
            if (last != null) {
                keysRead++;
            }
            for (Operation op : ops) {
                if (op.kind() == OpKind.GET || !(op.outcome() instanceof Outcome.Ok ok)) {
                    continue;
                }
                acknowledged++;
                String why = last == null ? "the key could not be read at the end" : unaccounted(op, ok, last, ops);
                if (why == null) {
                    accounted++;
                } else {
                    missing.add(op.describe(op.invokeNanos()) + ": " + why);
                }
            }
        }
        return new Accounting(acknowledged, accounted, byKey.size(), keysRead, missing);
    }

    /** Why the final read does not account for {@code op}, or null if it does. */
    private static String unaccounted(Operation op, Outcome.Ok ok, Operation finalRead, List<Operation> ops) {
        Outcome.Ok end = (Outcome.Ok) finalRead.outcome();
        if (!ok.revisionReported()) {
            return unaccountedByValue(op, end, ops);
        }
        long r = ok.revision();
        if (op.kind() == OpKind.DELETE) {
            if (!end.found() || !end.revisionReported() || end.revision() > r) {
                return null;
            }
            return "deleted at revision " + r + ", but the final read found " + end.value() + " at revision "
                    + end.revision();
        }
        if (end.found()) {
            if (!end.revisionReported() || end.revision() > r
                    || (end.revision() == r && end.value().equals(op.value()))) {
                return null;
            }
            return "written at revision " + r + ", but the final read found " + end.value() + " at revision "
                    + end.revision();
        }
        for (Operation d : ops) {
            if (d.kind() == OpKind.DELETE && (d.outcomeUnknown() || (d.outcome() instanceof Outcome.Ok dk
                    && (!dk.revisionReported() || dk.revision() > r)))) {
                return null;
            }
        }
        return "written at revision " + r + ", but the final read found no key and no later delete explains it";
    }

    /**
     * For a write whose answer reported no revision (every write over the Redis protocol), why the final read does not
     * account for it, or null if it does: it shows the write (its value, or no key after a delete), or another write or
     * delete of the key may have come after it (one whose outcome is unknown, or acknowledged and not ended before this
     * one began). Without revisions that is all the final read can tell; such writes used to count as accounted for
     * without a look, so a Redis run reported every write accounted for whatever the final reads found.
     */
    private static String unaccountedByValue(Operation op, Outcome.Ok end, List<Operation> ops) {
        boolean shown = op.kind() == OpKind.DELETE ? !end.found() : end.found() && end.value().equals(op.value());
        if (shown) {
            return null;
        }
        for (Operation later : ops) {
            // A delete that found no key removed nothing after this write took effect (it would have found its value).
            if (later != op && later.kind() != OpKind.GET && (later.outcomeUnknown()
                    || (later.outcome() instanceof Outcome.Ok ok && later.completeNanos() >= op.invokeNanos()
                    && !(later.kind() == OpKind.DELETE && ok.deleted() == 0)))) {
                return null;
            }
        }
        return (op.kind() == OpKind.DELETE ? "deleted" : "written") + ", but the final read found "
                + (end.found() ? end.value() : "no key") + " and no write or delete that may have come after it"
                + " explains it";
    }
}
