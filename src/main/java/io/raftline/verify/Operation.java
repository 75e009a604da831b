package io.raftline.verify;

import java.util.Locale;
import java.util.Objects;

/**
 * One client request as recorded in a history: what was asked, when, and what came back.
 *
 * <p>A history is a list of operations from concurrent clients; {@link LinearizabilityChecker}
 * decides whether some total order of them, consistent with real time, is a legal sequential
 * execution of the store. Each field is what that decision needs:
 * <ul>
 *   <li>{@code id}: unique in the history; names the operation in explanations and files.</li>
 *   <li>{@code client}: who issued it, for explanations (the checker does not need clients to be
 *       sequential: a client that timed out may go on while its request is still in flight).</li>
 *   <li>{@code kind}, {@code key}, {@code value}, {@code expectedRevision}: the request.
 *       {@code value} is what a PUT or CAS writes and {@code null} for GET and DELETE.
 *       {@code expectedRevision} follows the store: {@link #UNCONDITIONAL} (-1) for no
 *       precondition, {@link #MUST_NOT_EXIST} (0) for create-only, {@code R > 0} to require the
 *       key's modRevision to be {@code R}. Only CAS may have a precondition (a CAS with -1 behaves
 *       as a PUT).</li>
 *   <li>{@code invokeNanos}: when the client sent the request; {@code completeNanos}: when it
 *       received the answer. Any monotonic clock shared by all clients will do (one JVM's
 *       {@code System.nanoTime()}). The effect happened somewhere in between. When both intervals
 *       touch (one ends at the very nanosecond the other starts) the operations count as
 *       concurrent.</li>
 *   <li>{@code outcome}: see {@link Outcome}. An {@link Outcome.Unknown unknown} outcome has
 *       {@code completeNanos == }{@link #NEVER}: the operation may take effect at any time after it
 *       was invoked, or never.</li>
 * </ul>
 * Record one operation per logical request: if the client retries with the same
 * {@code Idempotency-Key}, the retries are part of the same operation, which is invoked at the
 * first attempt and completes at the last answer.
 *
 * @param id               unique in the history
 * @param client           the issuing client
 * @param kind             what was asked
 * @param key              the key, non-empty
 * @param value            what PUT and CAS write, {@code null} for GET and DELETE
 * @param expectedRevision the CAS precondition, {@link #UNCONDITIONAL} for every other kind
 * @param invokeNanos      when the request was sent
 * @param completeNanos    when the answer came back, {@link #NEVER} for an unknown outcome
 * @param outcome          what the answer said
 */
public record Operation(long id, int client, OpKind kind, String key, Value value,
                        long expectedRevision, long invokeNanos, long completeNanos, Outcome outcome) {

    /** {@code completeNanos} of an operation with an unknown outcome: it never completed. */
    public static final long NEVER = Long.MAX_VALUE;

    /** {@code expectedRevision} meaning "no precondition". */
    public static final long UNCONDITIONAL = -1;

    /** {@code expectedRevision} meaning "the key must not exist". */
    public static final long MUST_NOT_EXIST = 0;

    /**
     * Checks that the fields describe a request the store could have answered this way.
     *
     * @param id               unique in the history
     * @param client           the issuing client
     * @param kind             what was asked
     * @param key              the key
     * @param value            the written value, or {@code null}
     * @param expectedRevision the precondition
     * @param invokeNanos      when the request was sent
     * @param completeNanos    when the answer came back, or {@link #NEVER}
     * @param outcome          what the answer said
     * @throws IllegalArgumentException if the fields do not fit together; the message says why
     */
    public Operation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        String self = "operation " + id + " (" + kind.wireName() + " " + key + ")";
        if (key.isEmpty()) {
            throw new IllegalArgumentException(self + ": key must not be empty");
        }
        boolean writes = kind == OpKind.PUT || kind == OpKind.CAS;
        if (writes && value == null) {
            throw new IllegalArgumentException(self + ": a " + kind.wireName() + " needs a value");
        }
        if (!writes && value != null) {
            throw new IllegalArgumentException(self + ": a " + kind.wireName()
                    + " writes no value (a read's value belongs in its outcome)");
        }
        if (kind == OpKind.CAS ? expectedRevision < UNCONDITIONAL : expectedRevision != UNCONDITIONAL) {
            throw new IllegalArgumentException(self + ": expectedRevision must be "
                    + (kind == OpKind.CAS ? "-1, 0 or a revision" : "UNCONDITIONAL (-1)")
                    + ", not " + expectedRevision);
        }
        if (invokeNanos == NEVER) {
            throw new IllegalArgumentException(self + ": invokeNanos must be a real time");
        }
        if (outcome instanceof Outcome.Unknown) {
            if (completeNanos != NEVER) {
                throw new IllegalArgumentException(self + ": an unknown outcome may take effect at any"
                        + " time after invocation, so completeNanos must be Operation.NEVER");
            }
        } else if (completeNanos == NEVER || completeNanos < invokeNanos) {
            throw new IllegalArgumentException(self + ": completeNanos (" + completeNanos
                    + ") must be a time at or after invokeNanos (" + invokeNanos + ")");
        }
        if (outcome instanceof Outcome.Ok ok) {
            checkOk(self, kind, ok);
        }
    }

    private static void checkOk(String self, OpKind kind, Outcome.Ok ok) {
        switch (kind) {
            case PUT, CAS -> {
                if (ok.value() != null || ok.deleted() != 0) {
                    throw new IllegalArgumentException(self + ": a successful write reports only a revision");
                }
            }
            case GET -> {
                if (ok.deleted() != 0) {
                    throw new IllegalArgumentException(self + ": a read deletes nothing");
                }
                if (ok.value() == null && ok.revisionReported()) {
                    throw new IllegalArgumentException(self + ": a read that found nothing has no revision");
                }
            }
            case DELETE -> {
                if (ok.value() != null) {
                    throw new IllegalArgumentException(self + ": a delete returns no value");
                }
            }
        }
    }

    /**
     * Records a PUT without precondition.
     *
     * @param id            unique in the history
     * @param client        the issuing client
     * @param key           the key
     * @param value         the value written
     * @param invokeNanos   when the request was sent
     * @param completeNanos when the answer came back, or {@link #NEVER}
     * @param outcome       what the answer said
     * @return the operation
     */
    public static Operation put(long id, int client, String key, Value value,
                                long invokeNanos, long completeNanos, Outcome outcome) {
        return new Operation(id, client, OpKind.PUT, key, value, UNCONDITIONAL,
                invokeNanos, completeNanos, outcome);
    }

    /**
     * Records a compare-and-set PUT ({@code ?ifRevision=expectedRevision}).
     *
     * @param id               unique in the history
     * @param client           the issuing client
     * @param key              the key
     * @param value            the value written if the precondition holds
     * @param expectedRevision {@link #MUST_NOT_EXIST}, a revision, or {@link #UNCONDITIONAL}
     * @param invokeNanos      when the request was sent
     * @param completeNanos    when the answer came back, or {@link #NEVER}
     * @param outcome          what the answer said
     * @return the operation
     */
    public static Operation cas(long id, int client, String key, Value value, long expectedRevision,
                                long invokeNanos, long completeNanos, Outcome outcome) {
        return new Operation(id, client, OpKind.CAS, key, value, expectedRevision,
                invokeNanos, completeNanos, outcome);
    }

    /**
     * Records a linearizable GET.
     *
     * @param id            unique in the history
     * @param client        the issuing client
     * @param key           the key
     * @param invokeNanos   when the request was sent
     * @param completeNanos when the answer came back, or {@link #NEVER}
     * @param outcome       what the answer said
     * @return the operation
     */
    public static Operation get(long id, int client, String key,
                                long invokeNanos, long completeNanos, Outcome outcome) {
        return new Operation(id, client, OpKind.GET, key, null, UNCONDITIONAL,
                invokeNanos, completeNanos, outcome);
    }

    /**
     * Records a DELETE.
     *
     * @param id            unique in the history
     * @param client        the issuing client
     * @param key           the key
     * @param invokeNanos   when the request was sent
     * @param completeNanos when the answer came back, or {@link #NEVER}
     * @param outcome       what the answer said
     * @return the operation
     */
    public static Operation delete(long id, int client, String key,
                                   long invokeNanos, long completeNanos, Outcome outcome) {
        return new Operation(id, client, OpKind.DELETE, key, null, UNCONDITIONAL,
                invokeNanos, completeNanos, outcome);
    }

    /**
     * Tells whether the client cannot know if this operation took effect.
     *
     * @return {@code true} for an {@link Outcome.Unknown} outcome
     */
    public boolean outcomeUnknown() {
        return outcome instanceof Outcome.Unknown;
    }

    /**
     * Renders the operation on one line with times relative to {@code originNanos}, in
     * milliseconds, for example
     * {@code #7 client 2 cas k1 "v3" ifRevision=12 -> ok revision 15  [+1.250 ms, +3.010 ms]}.
     *
     * @param originNanos the time shown as {@code +0}
     * @return the rendering
     */
    public String describe(long originNanos) {
        StringBuilder sb = new StringBuilder();
        sb.append('#').append(id).append(" client ").append(client).append(' ')
                .append(kind.wireName()).append(' ').append(key);
        if (value != null) {
            sb.append(' ').append(value);
        }
        if (kind == OpKind.CAS) {
            sb.append(" ifRevision=").append(expectedRevision);
        }
        sb.append(" -> ").append(describeOutcome());
        sb.append("  [").append(relativeMillis(invokeNanos, originNanos)).append(", ")
                .append(completeNanos == NEVER ? "never" : relativeMillis(completeNanos, originNanos))
                .append(']');
        return sb.toString();
    }

    private String describeOutcome() {
        if (outcome instanceof Outcome.Ok ok) {
            String revision = ok.revisionReported() ? " revision " + ok.revision() : "";
            return switch (kind) {
                case PUT, CAS -> "ok" + revision;
                case GET -> ok.found() ? "found " + ok.value() + revision : "not found";
                case DELETE -> "deleted " + ok.deleted() + revision;
            };
        }
        if (outcome instanceof Outcome.Failed failed) {
            if (failed.cause() == Outcome.Cause.REJECTED) {
                return "rejected";
            }
            return "precondition failed"
                    + (failed.actualRevisionReported() ? " (actual revision " + failed.actualRevision() + ")" : "");
        }
        return "unknown";
    }

    private static String relativeMillis(long nanos, long originNanos) {
        long delta = nanos - originNanos;
        return String.format(Locale.ROOT, "%+.3f ms", delta / 1_000_000.0);
    }
}
