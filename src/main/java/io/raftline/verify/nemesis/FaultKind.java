package io.raftline.verify.nemesis;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The faults the nemesis injects, one at a time, each followed by its healing.
 */
public enum FaultKind {
    /** The network splits: the current leader alone against the others, or the nodes into two random halves. */
    PARTITION,
    /** A node (the leader half of the time) stops at once and later restarts from its log store; a SIGKILL of its
     *  process in process mode. */
    CRASH,
    /** A node (the leader half of the time) freezes: no ticks, its messages lost, clients refused; then resumes. */
    PAUSE,
    /**
     * A node (the leader three times in four) stops as under {@code SIGSTOP} or a long GC pause while wall time
     * runs on: nothing is refused or lost, its messages and client requests wait, and it handles them when it
     * continues. The stall tests what PAUSE cannot: a node coming back with stale beliefs, above all a former
     * leader answering queued lease reads after another leader committed newer values. SIGSTOP/SIGCONT of the
     * node's process in process mode, admin {@code freeze}/{@code thaw} in this JVM.
     */
    STALL,
    /** Every message is delayed by a random time in a range (which reorders them). */
    DELAY,
    /** A fraction of all messages is lost. */
    DROP,
    /** A fraction of all messages is delivered twice. */
    DUPLICATE,
    /**
     * A voter (the leader half of the time: it hands over first) is removed from the membership through the HTTP
     * API ({@code DELETE /v1/members/{id}}) while it keeps running, then added back under its id as a learner and
     * promoted once it caught up: the membership changes under load, with the removed node still answering
     * clients. Its data directory is intact, which is what makes coming back under the same id safe.
     */
    MEMBERSHIP;

    /**
     * The faults a run injects when none are named: every kind but duplication and membership changes (both opt-in,
     * so that the default runs, and the seeds that reproduce them, stay what they were).
     */
    public static final Set<FaultKind> DEFAULTS = EnumSet.of(PARTITION, CRASH, PAUSE, STALL, DELAY, DROP);

    /**
     * The name on the command line and in reports.
     *
     * @return the lower-case name
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a comma-separated list such as {@code partition,crash,pause,stall,delay,drop,membership}; {@code none} or an empty
     * text is no fault at all, {@code all} every kind.
     *
     * @param text the list
     * @return the kinds, in declaration order
     * @throws IllegalArgumentException naming the unknown kind
     */
    public static Set<FaultKind> parseList(String text) {
        Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty() || t.equals("none")) {
            return kinds;
        }
        if (t.equals("all")) {
            return EnumSet.allOf(FaultKind.class);
        }
        for (String part : t.split(",")) {
            String p = part.trim();
            FaultKind found = null;
            for (FaultKind k : values()) {
                if (k.wireName().equals(p)) {
                    found = k;
                }
            }
            if (found == null) {
                List<String> names = new ArrayList<>();
                for (FaultKind k : values()) {
                    names.add(k.wireName());
                }
                throw new IllegalArgumentException("unknown fault '" + p + "' (known: " + String.join(", ", names)
                        + ", or none, all)");
            }
            kinds.add(found);
        }
        return kinds;
    }
}
