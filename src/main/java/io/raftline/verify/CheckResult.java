package io.raftline.verify;

import java.util.List;
import java.util.Objects;

/**
 * What {@link LinearizabilityChecker} concluded about a history, and the evidence.
 *
 * <p>A nemesis run ends with one of these; a test asserts on {@link #verdict()} and prints
 * {@link #describe()} when it is not the expected one, so the text must stand on its own.
 *
 * @param verdict       the answer
 * @param violations    the evidence when {@link Verdict#NOT_LINEARIZABLE}: at most one per key,
 *                      then the revision contradictions across keys; empty otherwise
 * @param undecidedKeys keys whose search ran out of time, in key order
 * @param operations    operations in the history
 * @param keys          distinct keys in the history
 * @param steps         model steps the searches took, a measure of the work done
 */
public record CheckResult(Verdict verdict, List<Violation> violations, List<String> undecidedKeys,
                          int operations, int keys, long steps) {

    /** Violations {@link #describe()} prints in full. */
    public static final int VIOLATIONS_SHOWN = 5;

    /**
     * Copies the lists and checks that the verdict follows from them.
     *
     * @param verdict       the answer
     * @param violations    the evidence
     * @param undecidedKeys keys that ran out of time
     * @param operations    operations checked
     * @param keys          distinct keys
     * @param steps         model steps taken
     */
    public CheckResult {
        Objects.requireNonNull(verdict, "verdict");
        violations = List.copyOf(violations);
        undecidedKeys = List.copyOf(undecidedKeys);
        Verdict implied = !violations.isEmpty() ? Verdict.NOT_LINEARIZABLE
                : !undecidedKeys.isEmpty() ? Verdict.UNKNOWN : Verdict.LINEARIZABLE;
        if (verdict != implied) {
            throw new IllegalArgumentException("verdict " + verdict + " contradicts " + violations.size()
                    + " violations and " + undecidedKeys.size() + " undecided keys");
        }
    }

    /**
     * Tells whether the history was shown linearizable.
     *
     * @return {@code true} for {@link Verdict#LINEARIZABLE}
     */
    public boolean linearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    /**
     * Renders the verdict, the counts, and the first violations in full.
     *
     * @return the text, ending with a newline
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(verdict).append(": ").append(operations).append(" operations on ").append(keys)
                .append(keys == 1 ? " key" : " keys").append(", ").append(steps).append(" search steps");
        if (!undecidedKeys.isEmpty()) {
            sb.append("; time budget ran out on ").append(undecidedKeys.size())
                    .append(undecidedKeys.size() == 1 ? " key: " : " keys: ")
                    .append(String.join(", ", undecidedKeys.subList(0, Math.min(10, undecidedKeys.size()))));
            if (undecidedKeys.size() > 10) {
                sb.append(", ...");
            }
        }
        sb.append('\n');
        int shown = Math.min(violations.size(), VIOLATIONS_SHOWN);
        for (int i = 0; i < shown; i++) {
            sb.append(violations.get(i).describe());
        }
        if (violations.size() > shown) {
            sb.append("... and ").append(violations.size() - shown).append(" more violations\n");
        }
        return sb.toString();
    }
}
