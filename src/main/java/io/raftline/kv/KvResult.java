package io.raftline.kv;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of applying one log entry, identical on every replica.
 *
 * <p>Results are data, not exceptions, because a failed precondition or an undecodable entry is
 * still a committed entry: every replica must reach the same verdict and move on in lockstep.
 * {@link #revision()} is the log index of the entry that produced the result (for a retried
 * idempotent request, the index of the original application). {@link #wire()} is the reply
 * text that Redis-style front ends send.
 */
public sealed interface KvResult
        permits KvResult.Written, KvResult.Deleted, KvResult.PreconditionFailed, KvResult.Rejected, KvResult.TxnResult,
        KvResult.Incremented, KvResult.FloatIncremented, KvResult.Spliced, KvResult.Renamed,
        KvResult.IdempotencyKeyReused {

    /**
     * Returns the log index of the entry that produced this result.
     *
     * @return a revision, at least 1
     */
    long revision();

    /**
     * Returns the Redis-like reply text for this result.
     *
     * @return the reply text
     */
    String wire();

    /**
     * A put was applied; the key's {@code modRevision} is now {@code revision}.
     *
     * @param revision index of the entry that wrote the key
     */
    record Written(long revision) implements KvResult {
        /**
         * Checks the revision.
         *
         * @param revision index of the entry that produced the result
         */
        public Written {
            requireRevision(revision);
        }

        /** {@inheritDoc} Always {@code "OK"}. */
        @Override
        public String wire() {
            return "OK";
        }
    }

    /**
     * A delete was applied; {@code deleted} is 1 if the key existed, 0 if it did not (in which
     * case nothing changed).
     *
     * @param deleted  number of keys removed, 0 or 1
     * @param revision index of the delete entry
     */
    record Deleted(int deleted, long revision) implements KvResult {
        /**
         * Checks both fields.
         *
         * @param deleted keys removed, 0 or 1
         * @param revision index of the entry that produced the result
         */
        public Deleted {
            if (deleted != 0 && deleted != 1) {
                throw new IllegalArgumentException("deleted must be 0 or 1, not " + deleted);
            }
            requireRevision(revision);
        }

        /** {@inheritDoc} {@code "1"} or {@code "0"}. */
        @Override
        public String wire() {
            return Integer.toString(deleted);
        }
    }

    /**
     * A compare-and-set put found the key in another state and changed nothing.
     *
     * @param actualRevision the key's current {@code modRevision}, or 0 if it is absent
     * @param revision       index of the put entry
     */
    record PreconditionFailed(long actualRevision, long revision) implements KvResult {
        /**
         * Checks both fields.
         *
         * @param actualRevision the key's current modRevision, 0 if absent
         * @param revision index of the entry that produced the result
         */
        public PreconditionFailed {
            if (actualRevision < 0) {
                throw new IllegalArgumentException("actualRevision must be >= 0, not " + actualRevision);
            }
            requireRevision(revision);
        }

        /** {@inheritDoc} Always {@code "PRECONDITION"}. */
        @Override
        public String wire() {
            return "PRECONDITION";
        }
    }

    /**
     * The entry was not applied and changed nothing but the applied index: its bytes were not a valid command, or
     * the command does not apply to the state it met (an {@link KvCommand.Increment} of a value that is not an
     * integer). The reason is derived from the bytes and the state alone, so it is the same everywhere.
     *
     * @param reason   why the entry was refused
     * @param revision index of the refused entry
     */
    record Rejected(String reason, long revision) implements KvResult {
        /**
         * Checks both fields.
         *
         * @param reason why the entry was refused
         * @param revision index of the entry that produced the result
         */
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            requireRevision(revision);
        }

        /** {@inheritDoc} {@code "ERR "} followed by the reason. */
        @Override
        public String wire() {
            return "ERR " + reason;
        }
    }

    /**
     * The command carried an idempotency key that an earlier, different request used: one of another kind (a delete
     * with the key of a put, or the reverse), or of the same kind for another key, value or precondition. It was not
     * applied and changed nothing but the applied index. Answering the earlier result would answer a delete with a
     * put's result (or the reverse), a shape its client cannot read, or tell a client that its write was made when
     * it was not (a put of key b answered with the revision of a put of key a); applying it would break the promise
     * that a key names one request. Decided from the command and the replicated table alone,
     * so every replica refuses it alike; not recorded, so the key keeps naming the first request.
     *
     * @param firstUse      the kind of request that first used the key: {@code "put"} or {@code "delete"}
     * @param firstRevision the revision at which that request was applied
     * @param revision      index of the refused entry
     */
    record IdempotencyKeyReused(String firstUse, long firstRevision, long revision) implements KvResult {
        /**
         * Checks the fields.
         *
         * @param firstUse      "put" or "delete"
         * @param firstRevision the first request's revision
         * @param revision      index of the entry that produced the result
         */
        public IdempotencyKeyReused {
            if (!"put".equals(firstUse) && !"delete".equals(firstUse)) {
                throw new IllegalArgumentException("firstUse must be \"put\" or \"delete\", not " + firstUse);
            }
            requireRevision(firstRevision);
            requireRevision(revision);
        }

        /**
         * A message for people, naming the key and the first request (its kind and revision) and saying why this one
         * may not reuse it: it is of the other kind, or another request of the same kind.
         *
         * @param idempotencyKey the key the request carried
         * @param use            the kind of the refused request: "put" or "delete"
         * @return the message
         */
        public String message(String idempotencyKey, String use) {
            if (firstUse.equals(use)) {
                return "idempotency key '" + idempotencyKey + "' was used for another " + firstUse
                        + " (applied at revision " + firstRevision + "): a retry must repeat that request exactly (key,"
                        + " value and condition); use a fresh key for each request";
            }
            return "idempotency key '" + idempotencyKey + "' was used for a " + firstUse + " (applied at revision "
                    + firstRevision + "); a " + use + " cannot reuse it: use a fresh key for each request";
        }

        /** {@inheritDoc} {@code "ERR "} and what happened. */
        @Override
        public String wire() {
            return "ERR idempotency key already used for a " + firstUse + " at revision " + firstRevision;
        }
    }

    /**
     * Bytes were written into a key's value, at its end (an append) or at an offset (a set range): the value is now
     * {@code length} bytes long, written at {@code revision}.
     *
     * @param length   the value's length after the write
     * @param revision index of the entry
     */
    record Spliced(long length, long revision) implements KvResult {
        /**
         * Checks the revision.
         *
         * @param length   the new length
         * @param revision index of the entry that produced the result
         */
        public Spliced {
            requireRevision(revision);
        }

        /** {@inheritDoc} The length. */
        @Override
        public String wire() {
            return Long.toString(length);
        }
    }

    /**
     * A rename ({@link KvCommand.Rename}) was applied: the target holds the source's value and the source is gone, at
     * {@code revision}; or, for a RENAMENX whose target existed, nothing changed.
     *
     * @param renamed  whether the value moved (or the key was renamed to itself); false: the target existed
     * @param revision index of the entry
     */
    record Renamed(boolean renamed, long revision) implements KvResult {
        /**
         * Checks the revision.
         *
         * @param renamed  whether the value moved
         * @param revision index of the entry that produced the result
         */
        public Renamed {
            requireRevision(revision);
        }

        /** {@inheritDoc} {@code OK}, or {@code NOT_RENAMED} if the target existed. */
        @Override
        public String wire() {
            return renamed ? "OK" : "NOT_RENAMED";
        }
    }

    /**
     * An increment was applied: the key now holds {@code value} (as decimal text), written at {@code revision}.
     *
     * @param value    the number after the increment
     * @param revision index of the increment entry
     */
    record Incremented(long value, long revision) implements KvResult {
        /**
         * Checks the revision.
         *
         * @param value    the new number
         * @param revision index of the entry that produced the result
         */
        public Incremented {
            requireRevision(revision);
        }

        /** {@inheritDoc} The number. */
        @Override
        public String wire() {
            return Long.toString(value);
        }
    }

    /**
     * An increment by a decimal number was applied: the key now holds {@code value}, written at {@code revision}.
     *
     * @param value    the number's text after the increment ({@link KvCommand.IncrementByFloat#format})
     * @param revision index of the increment entry
     */
    record FloatIncremented(String value, long revision) implements KvResult {
        /**
         * Checks the revision.
         *
         * @param value    the new number's text
         * @param revision index of the entry that produced the result
         */
        public FloatIncremented {
            java.util.Objects.requireNonNull(value, "value");
            requireRevision(revision);
        }

        /** {@inheritDoc} The number's text. */
        @Override
        public String wire() {
            return value;
        }
    }

    /**
     * What a transaction did: which branch ran and the result of each of its operations, in order.
     *
     * @param succeeded whether every comparison held (the success branch ran)
     * @param results   one per operation of the branch that ran
     * @param revision  the transaction's log index, the revision of every write it made
     */
    record TxnResult(boolean succeeded, List<OpResult> results, long revision) implements KvResult {
        /**
         * Validates the revision.
         *
         * @param succeeded which branch ran
         * @param results   the operations' results
         * @param revision  the log index
         */
        public TxnResult {
            results = List.copyOf(results);
            requireRevision(revision);
        }

        @Override
        public String wire() {
            return succeeded ? "OK" : "FAILED";
        }
    }

    /** The result of one operation of a transaction. */
    sealed interface OpResult permits PutDone, PutIfDone, DeleteDone, IncrementDone, EditDone, GetDone {
    }

    /** A transaction's write was made (at the transaction's revision). */
    record PutDone() implements OpResult {
    }

    /**
     * A transaction's conditional put ({@link TxnOp.PutIf}).
     *
     * @param written whether the key was in the state the put needed, so it was written
     */
    record PutIfDone(boolean written) implements OpResult {
    }

    /**
     * A transaction's delete.
     *
     * @param deleted 1 if the key existed, else 0
     */
    record DeleteDone(int deleted) implements OpResult {
    }

    /**
     * A transaction's increment: the key's new value, or why the key was left as it was.
     *
     * @param value the new value (0 when refused)
     * @param error null if the key was written, else the reason ({@link KvStateMachine#NOT_AN_INTEGER} or
     *              {@link KvStateMachine#OVERFLOW}, Redis's texts)
     */
    record IncrementDone(long value, String error) implements OpResult {
    }

    /**
     * A transaction's edit ({@link TxnOp.Edit}): what the command alone would have answered, or why the key was left as
     * it was.
     *
     * @param result {@link Spliced} for an append or a set range (the value's new length), {@link FloatIncremented} for
     *               an increment by a float (the new value's text), or {@link Rejected} with the reason, Redis's text;
     *               all at the transaction's revision
     */
    record EditDone(KvResult result) implements OpResult {
        /**
         * Checks the kind of result.
         *
         * @param result what the edit did
         */
        public EditDone {
            if (!(result instanceof Spliced || result instanceof FloatIncremented || result instanceof Rejected)) {
                throw new IllegalArgumentException("not the result of an edit: " + result);
            }
        }
    }

    /**
     * A transaction's read: the key's entry at that point of the transaction.
     *
     * @param entry the entry, or empty if the key was absent
     */
    record GetDone(Optional<KvEntry> entry) implements OpResult {
    }

    private static void requireRevision(long revision) {
        if (revision < 1) {
            throw new IllegalArgumentException("revision must be >= 1, not " + revision);
        }
    }
}
