package io.raftline.verify;

import java.util.Objects;

/**
 * What a client learned about one operation: it took effect with a known result, it definitely
 * did not take effect, or the client cannot tell.
 *
 * <p>The three cases constrain the checker very differently, and confusing them produces false
 * alarms or missed bugs, so the set is closed:
 * <ul>
 *   <li>{@link Ok}: the store answered with a result (2xx, or 404 for a read). The operation took
 *       effect exactly once between its invocation and its completion, and the result must match
 *       the model at that point.</li>
 *   <li>{@link Failed}: the store answered that it did not apply the operation. A
 *       {@link Cause#PRECONDITION_FAILED precondition failure} (412) is itself an observation:
 *       the key was, at some point in the operation's interval, in a state that fails the
 *       precondition, and the checker verifies that. A {@link Cause#REJECTED rejection} (400,
 *       413) observed nothing and changed nothing; the checker ignores it.</li>
 *   <li>{@link Unknown}: the request was sent but no answer came back, or the answer said it may
 *       or may not have happened (timeout, 503 or 504 after sending, connection reset). The write
 *       may take effect at any time after its invocation, even long after the client gave up, or
 *       never. Its completion is therefore {@link Operation#NEVER} and its result unconstrained.</li>
 * </ul>
 * A request that definitely never reached the store (connection refused before sending) is not
 * an operation at all: leave it out of the history.
 */
public sealed interface Outcome permits Outcome.Ok, Outcome.Failed, Outcome.Unknown {

    /** A revision field the client did not record (for example, no {@code Raft-Revision} header). */
    long UNREPORTED = -1;

    /**
     * Returns the outcome of a successful PUT or CAS.
     *
     * @param revision the revision the store answered (the write's log index), or
     *                 {@link #UNREPORTED}
     * @return the outcome
     */
    static Ok written(long revision) {
        return new Ok(revision, null, 0);
    }

    /**
     * Returns the outcome of a GET that found the key.
     *
     * @param value       the value read
     * @param modRevision the key's revision as reported in {@code Raft-Revision}, or
     *                    {@link #UNREPORTED}
     * @return the outcome
     */
    static Ok found(Value value, long modRevision) {
        return new Ok(modRevision, Objects.requireNonNull(value, "value"), 0);
    }

    /**
     * Returns the outcome of a GET answered 404.
     *
     * @return the outcome
     */
    static Ok notFound() {
        return new Ok(UNREPORTED, null, 0);
    }

    /**
     * Returns the outcome of a successful DELETE.
     *
     * @param deleted  keys removed, 1 if the key existed and 0 if it did not
     * @param revision the revision the store answered (the delete's log index), or
     *                 {@link #UNREPORTED}
     * @return the outcome
     */
    static Ok deleted(int deleted, long revision) {
        return new Ok(revision, null, deleted);
    }

    /**
     * Returns the outcome of a 412 whose body did not say what the key's revision was.
     *
     * @return the outcome
     */
    static Failed preconditionFailed() {
        return new Failed(Cause.PRECONDITION_FAILED, UNREPORTED);
    }

    /**
     * Returns the outcome of a 412 that reported the key's actual revision.
     *
     * @param actualRevision the key's revision when the precondition was evaluated, 0 if the key
     *                       did not exist
     * @return the outcome
     */
    static Failed preconditionFailed(long actualRevision) {
        return new Failed(Cause.PRECONDITION_FAILED, actualRevision);
    }

    /**
     * Returns the outcome of a request the store refused without applying it (400, 413).
     *
     * @return the outcome
     */
    static Failed rejected() {
        return new Failed(Cause.REJECTED, UNREPORTED);
    }

    /**
     * Returns the outcome of a request whose effect the client cannot know.
     *
     * @return the outcome
     */
    static Unknown unknown() {
        return Unknown.INSTANCE;
    }

    /**
     * The store applied the operation (or, for a read, answered it) and said what happened.
     *
     * <p>Which fields mean something depends on the {@link OpKind}:
     * <ul>
     *   <li>PUT, CAS: {@code revision} is the revision the write created; {@code value} is
     *       {@code null}, {@code deleted} 0.</li>
     *   <li>GET: {@code value} is the value read, {@code null} for a 404; {@code revision} is
     *       the key's modRevision that came with the value ({@link #UNREPORTED} for a 404).</li>
     *   <li>DELETE: {@code deleted} is 0 or 1 and {@code revision} the delete's own revision;
     *       {@code value} is {@code null}.</li>
     * </ul>
     * {@link Operation} checks these combinations; the factory methods of {@link Outcome} build
     * them.
     *
     * @param revision a revision (at least 1), or {@link #UNREPORTED}
     * @param value    the value a GET read, otherwise {@code null}
     * @param deleted  keys a DELETE removed, 0 or 1
     */
    record Ok(long revision, Value value, int deleted) implements Outcome {
        /**
         * Checks the fields that do not depend on the operation kind.
         *
         * @param revision a revision or {@link #UNREPORTED}
         * @param value    the value read, or {@code null}
         * @param deleted  0 or 1
         */
        public Ok {
            if (revision != UNREPORTED && revision < 1) {
                throw new IllegalArgumentException(
                        "revision must be at least 1, or UNREPORTED (-1), not " + revision);
            }
            if (deleted != 0 && deleted != 1) {
                throw new IllegalArgumentException("deleted must be 0 or 1, not " + deleted);
            }
        }

        /**
         * Tells whether a GET found the key.
         *
         * @return {@code true} if {@link #value()} is not {@code null}
         */
        public boolean found() {
            return value != null;
        }

        /**
         * Tells whether the revision was recorded.
         *
         * @return {@code true} unless {@link #revision()} is {@link #UNREPORTED}
         */
        public boolean revisionReported() {
            return revision != UNREPORTED;
        }
    }

    /** Why a {@link Failed} operation was not applied. */
    enum Cause {
        /**
         * 412: the compare-and-set precondition did not hold. An observation of the key's state
         * that the checker verifies.
         */
        PRECONDITION_FAILED,
        /** 400, 413 and the like: the request was refused as invalid, observing nothing. */
        REJECTED
    }

    /**
     * The store definitely did not apply the operation.
     *
     * @param cause          why
     * @param actualRevision for a 412 that reported it, the key's revision (0 if the key did not
     *                       exist); otherwise {@link #UNREPORTED}
     */
    record Failed(Cause cause, long actualRevision) implements Outcome {
        /**
         * Checks the fields.
         *
         * @param cause          why the operation was not applied
         * @param actualRevision the key's reported revision, or {@link #UNREPORTED}
         */
        public Failed {
            Objects.requireNonNull(cause, "cause");
            if (actualRevision != UNREPORTED && actualRevision < 0) {
                throw new IllegalArgumentException(
                        "actualRevision must be at least 0, or UNREPORTED (-1), not " + actualRevision);
            }
            if (cause == Cause.REJECTED && actualRevision != UNREPORTED) {
                throw new IllegalArgumentException("a rejected request observed no revision");
            }
        }

        /**
         * Tells whether the 412 reported the key's revision.
         *
         * @return {@code true} unless {@link #actualRevision()} is {@link #UNREPORTED}
         */
        public boolean actualRevisionReported() {
            return actualRevision != UNREPORTED;
        }
    }

    /**
     * The client cannot tell whether the operation took effect; see {@link Outcome}. Obtain it
     * with {@link Outcome#unknown()}.
     */
    record Unknown() implements Outcome {
        private static final Unknown INSTANCE = new Unknown();
    }
}
