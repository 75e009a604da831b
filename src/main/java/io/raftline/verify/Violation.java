package io.raftline.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Evidence that a history is not linearizable, small enough for a person to read.
 *
 * <p>A failed check is only useful if someone can see the anomaly, so a violation names the few
 * operations involved rather than the whole history. There are two kinds, because the checker
 * looks in two places:
 * <ul>
 *   <li>{@link OnKey}: the search on one key found no linearization. It reports the longest
 *       prefix it could linearize, the key's state after it, and the operations that could not
 *       be placed next, each with the model's reason.</li>
 *   <li>{@link Revisions}: revisions are Raft log indexes shared by all keys, so some anomalies
 *       (two writes given the same index, an index going backwards in real time across keys) are
 *       visible only across keys.</li>
 * </ul>
 */
public sealed interface Violation permits Violation.OnKey, Violation.Revisions {

    /** Prefix operations shown by {@link #describe()}; the record holds them all. */
    int PREFIX_SHOWN = 8;

    /**
     * Returns a one-line statement of the anomaly.
     *
     * @return the summary
     */
    String summary();

    /**
     * Returns the small sub-history that shows the anomaly, ordered by invocation.
     *
     * @return the operations
     */
    List<Operation> operations();

    /**
     * Renders the violation as a few lines of text, with times relative to its first operation.
     *
     * @return the text, ending with a newline
     */
    String describe();

    /**
     * An operation the search could not place, with the reason the model gave.
     *
     * @param operation the operation
     * @param reason    why it cannot take effect in the state after the prefix
     */
    record Unplaced(Operation operation, String reason) {
        /**
         * Checks the fields.
         *
         * @param operation the operation
         * @param reason    the model's reason
         */
        public Unplaced {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The operations on {@code key} have no linearization.
     *
     * @param key              the key
     * @param linearizedPrefix the longest sequence the search linearized, in linearization order
     * @param stateAfterPrefix the key's state after it, rendered
     * @param unplaced         the operations that could not come next: first the one whose
     *                         completion the search could not get past, then the others pending
     *                         at that point
     */
    record OnKey(String key, List<Operation> linearizedPrefix, String stateAfterPrefix, List<Unplaced> unplaced)
            implements Violation {

        /**
         * Copies the lists.
         *
         * @param key              the key
         * @param linearizedPrefix the longest linearized prefix
         * @param stateAfterPrefix the rendered state after it
         * @param unplaced         the operations that could not come next
         */
        public OnKey {
            Objects.requireNonNull(key, "key");
            linearizedPrefix = List.copyOf(linearizedPrefix);
            Objects.requireNonNull(stateAfterPrefix, "stateAfterPrefix");
            unplaced = List.copyOf(unplaced);
            if (unplaced.isEmpty()) {
                throw new IllegalArgumentException("a violation has at least one unplaced operation");
            }
        }

        @Override
        public String summary() {
            Unplaced first = unplaced.get(0);
            return "key " + key + ": after " + linearizedPrefix.size() + " linearized operations, #"
                    + first.operation().id() + " " + first.reason();
        }

        /**
         * {@inheritDoc} The tail of the prefix that {@link #describe()} shows, then the unplaced
         * operations.
         */
        @Override
        public List<Operation> operations() {
            List<Operation> ops = new ArrayList<>(shownPrefix());
            for (Unplaced u : unplaced) {
                ops.add(u.operation());
            }
            ops.sort(Histories.BY_INVOCATION);
            return List.copyOf(ops);
        }

        private List<Operation> shownPrefix() {
            int from = Math.max(0, linearizedPrefix.size() - PREFIX_SHOWN);
            return linearizedPrefix.subList(from, linearizedPrefix.size());
        }

        @Override
        public String describe() {
            long origin = Histories.origin(operations());
            StringBuilder sb = new StringBuilder();
            sb.append("key ").append(key).append(": not linearizable\n");
            List<Operation> shown = shownPrefix();
            sb.append("  longest linearizable prefix: ").append(linearizedPrefix.size()).append(" operations");
            if (shown.size() < linearizedPrefix.size()) {
                sb.append(" (last ").append(shown.size()).append(" shown)");
            }
            sb.append(shown.isEmpty() ? "\n" : ", in linearization order:\n");
            for (Operation op : shown) {
                sb.append("    ").append(op.describe(origin)).append('\n');
            }
            sb.append("  then the key is ").append(stateAfterPrefix).append('\n');
            sb.append("  and none of these can come next:\n");
            for (Unplaced u : unplaced) {
                sb.append("    ").append(u.operation().describe(origin)).append('\n');
                sb.append("      ").append(u.reason()).append('\n');
            }
            return sb.toString();
        }
    }

    /**
     * Revisions contradict each other across the history.
     *
     * @param summary    what is wrong
     * @param operations the operations that contradict each other
     */
    record Revisions(String summary, List<Operation> operations) implements Violation {

        /**
         * Copies and orders the operations.
         *
         * @param summary    what is wrong
         * @param operations the operations involved
         */
        public Revisions {
            Objects.requireNonNull(summary, "summary");
            List<Operation> sorted = new ArrayList<>(operations);
            sorted.sort(Histories.BY_INVOCATION);
            operations = List.copyOf(sorted);
        }

        @Override
        public String describe() {
            long origin = Histories.origin(operations);
            StringBuilder sb = new StringBuilder();
            sb.append("revisions: ").append(summary).append('\n');
            for (Operation op : operations) {
                sb.append("    ").append(op.describe(origin)).append('\n');
            }
            return sb.toString();
        }
    }
}
