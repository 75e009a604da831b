package io.raftline.api;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of read answers (a value, a listing page) one client port has handed to its connections and that are not
 * written out yet, across its connections, HTTP and gRPC. A client that asks and does not read is not slowed down by
 * anything else: over HTTP/2 one connection may have 1,024 streams open, each answer waits in the server until the
 * client's flow-control window lets it go, and the port takes 4,096 connections. A review opened one connection of
 * 1,000 streams, each a GET of a 1 MiB value that it never read, and the node's memory grew by 460 MiB; with two
 * connections the node ran out of heap and stopped. Within this budget such answers wait; beyond it a read is answered
 * 503 / RESOURCE_EXHAUSTED {@code overloaded} (nothing was changed, so retrying is safe).
 *
 * <p>An answer still unsent after the deadline ({@code limits.request_timeout_ms}) is dropped: its stream is reset, or
 * its HTTP/1.x connection closed, and its bytes are given back. Otherwise a client that keeps its connection busy (a
 * ping now and then) and never reads would hold the budget for ever, and every other client's reads would be refused.
 *
 * <p>Reads are counted, and refused beyond the budget. The answer of a plain write is small and not counted; that of a
 * transaction, which may read as many values as a listing page holds, is counted ({@link #takeAlways}) but never
 * refused: refusing it after the write was applied would tell the client a falsehood. Watches have their own budget
 * ({@link WatchBudget}).
 *
 * <p>Thread-safe: a port's connections run on several event loops.
 */
public final class AnswerBudget {

    /** What a client port's unsent read answers may hold together by default. */
    public static final long DEFAULT_BYTES = 64L * 1024 * 1024;

    private final long limit;
    private final long deadlineNanos;
    private final AtomicLong unsent = new AtomicLong();
    private final Set<Unsent> waiting = ConcurrentHashMap.newKeySet();

    /**
     * Creates a budget.
     *
     * @param limit      the most bytes of answers waiting at once
     * @param deadlineMs how long an answer may wait before it is dropped (0: never dropped)
     */
    public AnswerBudget(long limit, long deadlineMs) {
        this.limit = limit;
        this.deadlineNanos = deadlineMs > 0 ? deadlineMs * 1_000_000 : Long.MAX_VALUE;
    }

    /**
     * Takes {@code bytes} for an answer about to be written; {@link Unsent#written()} gives them back.
     *
     * @param bytes the answer's bytes
     * @param drop  what drops the answer if it is still unsent at its deadline (resets its stream): run on the Vert.x
     *              context that took the place (the answer's), or at once when taken outside any context
     * @return the answer's place, or null (nothing taken) if it would take the port past its budget; an answer larger
     *         than the whole budget is taken when nothing else waits, so that a value of any size the configuration
     *         allows can be read
     */
    public Unsent take(long bytes, Runnable drop) {
        long after = unsent.addAndGet(bytes);
        if (after > limit && after != bytes) {
            unsent.addAndGet(-bytes);
            return null;
        }
        return place(bytes, drop);
    }

    /**
     * Takes {@code bytes} for the answer of a write that also read (a transaction's GETs: up to 128 values), whatever
     * the budget: refusing it would hide that the write was applied, but counted, it makes the reads after it wait
     * their turn (they are refused while it fills the budget), and left unread it is dropped at the deadline as any
     * answer. Before, such answers were not counted: a client that sent transactions of 128 GETs of 1 MiB values and
     * read nothing held 128 MiB of the node's memory per transaction.
     *
     * @param bytes the answer's bytes
     * @param drop  as for {@link #take}
     * @return the answer's place
     */
    public Unsent takeAlways(long bytes, Runnable drop) {
        unsent.addAndGet(bytes);
        return place(bytes, drop);
    }

    private Unsent place(long bytes, Runnable drop) {
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        Unsent u = new Unsent(bytes, context == null ? drop : () -> context.runOnContext(v -> drop.run()),
                System.nanoTime());
        waiting.add(u);
        return u;
    }

    /**
     * Drops the answers that have waited past the deadline (each once). Called now and then by the port's server.
     *
     * @param nowNanos the time now ({@link System#nanoTime()})
     * @return how many were dropped
     */
    public int dropOverdue(long nowNanos) {
        int dropped = 0;
        for (Unsent u : waiting) {
            if (nowNanos - u.since > deadlineNanos && u.dropped.compareAndSet(false, true)) {
                u.drop.run();
                u.written();
                dropped++;
            }
        }
        return dropped;
    }

    /**
     * The bytes of answers waiting now.
     *
     * @return the sum over the port's connections
     */
    public long unsent() {
        return unsent.get();
    }

    /**
     * What a client is told when its read is refused.
     *
     * @return the message
     */
    public String refusal() {
        return "answers of " + unsent.get() + " bytes wait on this port for their clients to read them (at most "
                + limit + "): retry once clients read what they asked for";
    }

    /** One answer's place in the budget, until it is written out, its stream or connection closes, or it is dropped. */
    public final class Unsent {
        private final long bytes;
        private final Runnable drop;
        private final long since;
        private final AtomicBoolean dropped = new AtomicBoolean();
        private final AtomicBoolean given = new AtomicBoolean();

        private Unsent(long bytes, Runnable drop, long since) {
            this.bytes = bytes;
            this.drop = drop;
            this.since = since;
        }

        /** Gives the answer's bytes back: it was written out, or it never will be. Once; later calls do nothing. */
        public void written() {
            if (given.compareAndSet(false, true)) {
                waiting.remove(this);
                unsent.addAndGet(-bytes);
            }
        }
    }
}
