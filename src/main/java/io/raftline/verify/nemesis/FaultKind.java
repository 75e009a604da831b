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
    DUPLICATE;

    /** The faults a run injects when none are named: every kind but duplication. */
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
     * Parses a comma-separated list such as {@code partition,crash,pause,stall,delay,drop}; {@code none} or an empty
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
