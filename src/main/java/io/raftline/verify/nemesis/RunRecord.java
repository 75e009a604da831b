package io.raftline.verify.nemesis;

import io.raftline.verify.Operation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a run recorded, ready to be checked and reported by {@link RunReport}: the history and what
 * surrounds it. A crafted history goes through exactly the same path with {@link #ofHistory}.
 *
 * @param title         what was run, for the report's heading
 * @param settings      the run's settings as name → value, in display order
 * @param history       the operations, final reads included
 * @param finalClient   the client id of the final reads, or -1 if there are none
 * @param faults        the faults the nemesis injected
 * @param answers       how requests ended, by {@code "<kind> <label>"} (see {@link HistoryRecorder#answers()})
 * @param retries       retries of writes whose outcome was unknown
 * @param startNanos    when the run started (the history's clock)
 * @param healedAtNanos when the nemesis healed everything, or -1
 * @param convergence   whether the replicas ended identical
 * @param notes         anything else the reader should know (one line each)
 * @param opNotes       what the history format has no room for, by operation id (e.g. "lease read sent to node 2,
 *                      served by node 2"), shown beside an operation a violation names
 */
public record RunRecord(String title, Map<String, String> settings, List<Operation> history, int finalClient,
                        List<FaultLog.Entry> faults, Map<String, Long> answers, long retries, long startNanos,
                        long healedAtNanos, Convergence convergence, List<String> notes, Map<Long, String> opNotes) {

    /**
     * Whether the replicas ended in the same state.
     *
     * @param checked      whether the hashes could be compared (every node answered at one applied index)
     * @param agreed       whether they were equal
     * @param appliedIndex the applied index they were compared at
     * @param hashes       node id → state hash
     * @param note         what happened, in words
     */
    public record Convergence(boolean checked, boolean agreed, long appliedIndex, Map<Integer, String> hashes,
                              String note) {
        /** Nothing was compared (a crafted history). */
        public static final Convergence NOT_CHECKED = new Convergence(false, false, 0, Map.of(), "not checked");

        /**
         * Copies the map.
         *
         * @param checked      compared
         * @param agreed       equal
         * @param appliedIndex index
         * @param hashes       hashes
         * @param note         words
         */
        public Convergence {
            hashes = Map.copyOf(hashes);
            Objects.requireNonNull(note, "note");
        }

        /**
         * Whether the replicas leave the run clean: compared and equal, or {@link #NOT_CHECKED} (a record of nothing
         * but a history, with no cluster to compare). A run whose replicas could not be compared is not clean: a
         * replica stuck for good after healing shows as exactly that (the nodes never reach one applied index), and
         * such a run exited 0 with "no anomalies".
         *
         * @return true if nothing about the replicas is wrong or unknown
         */
        public boolean sound() {
            return checked ? agreed : equals(NOT_CHECKED);
        }
    }

    /**
     * Copies the collections.
     *
     * @param title         title
     * @param settings      settings
     * @param history       operations
     * @param finalClient   final reader's client id
     * @param faults        faults
     * @param answers       answer counts
     * @param retries       retries
     * @param startNanos    start
     * @param healedAtNanos heal time
     * @param convergence   replica convergence
     * @param notes         notes
     * @param opNotes       notes on operations
     */
    public RunRecord {
        Objects.requireNonNull(title, "title");
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        history = List.copyOf(history);
        faults = List.copyOf(faults);
        answers = Map.copyOf(answers);
        Objects.requireNonNull(convergence, "convergence");
        notes = List.copyOf(notes);
        opNotes = Map.copyOf(opNotes);
    }

    /**
     * A record without notes on operations.
     *
     * @param title         title
     * @param settings      settings
     * @param history       operations
     * @param finalClient   final reader's client id
     * @param faults        faults
     * @param answers       answer counts
     * @param retries       retries
     * @param startNanos    start
     * @param healedAtNanos heal time
     * @param convergence   replica convergence
     * @param notes         notes
     */
    public RunRecord(String title, Map<String, String> settings, List<Operation> history, int finalClient,
                     List<FaultLog.Entry> faults, Map<String, Long> answers, long retries, long startNanos,
                     long healedAtNanos, Convergence convergence, List<String> notes) {
        this(title, settings, history, finalClient, faults, answers, retries, startNanos, healedAtNanos, convergence,
                notes, Map.of());
    }

    /**
     * A record of nothing but a history (crafted, or read from a file).
     *
     * @param title       what it is
     * @param history     the operations
     * @param finalClient the client id of the final reads, or -1
     * @return the record
     */
    public static RunRecord ofHistory(String title, List<Operation> history, int finalClient) {
        long start = Long.MAX_VALUE;
        for (Operation op : history) {
            start = Math.min(start, op.invokeNanos());
        }
        return new RunRecord(title, Map.of(), history, finalClient, List.of(), Map.of(), 0,
                start == Long.MAX_VALUE ? 0 : start, -1, Convergence.NOT_CHECKED, List.of());
    }
}
