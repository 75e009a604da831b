package io.raftline.verify;

/**
 * The answer to "is this history linearizable?".
 *
 * <p>Checking linearizability is NP-complete, so a check may run out of time; that answer must
 * not be mistaken for either of the others, hence three values rather than a boolean.
 */
public enum Verdict {
    /** Some real-time-respecting order of the operations is a legal run of the store. */
    LINEARIZABLE,
    /** No such order exists; {@link CheckResult#violations()} says where the search got stuck. */
    NOT_LINEARIZABLE,
    /** The time budget ran out before the search finished on some key, and no violation was found. */
    UNKNOWN
}
