package io.raftline.api;

import io.raftline.kv.KvChange;
import io.vertx.core.Vertx;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Paces one watch stream's writes to what its client reads, for every watch front end (the HTTP event stream, the gRPC
 * Watch): the changes the node hands over go to an outbox and are written a piece at a time while the stream's write
 * queue takes more, the rest when it drains.
 *
 * <p>Why: a batch can be large (a resumed watch's backlog is the node's history since the cursor, up to 64 MiB). Both
 * front ends wrote each batch whole in one task, so a large one filled the write queue at once and its rest counted as
 * unread: even a client reading as fast as it could was cut off as {@code too_slow} after 8 MiB, and resuming brought
 * the next 8 MiB and the same cut. Now a client is too slow only when
 * <ul>
 *   <li>batches that come while earlier ones still wait in the outbox (the client has not read what was before) add
 *       up to more than {@link #MAX_BEHIND_BYTES}, or would take the port's {@link WatchBudget} past its limit; a batch
 *       that finds the outbox empty is not counted, however large: it is written as the client reads it;</li>
 *   <li>or its stream stays blocked (write queue full, changes waiting) with nothing read for {@link #STALL_MS}:
 *       what cuts off a client that reads nothing of one large batch with nothing more coming.</li>
 * </ul>
 * Bytes are counted as what the outbox holds, the changes' keys and values ({@link #estimatedBytes}), not as their
 * encoding: what was encoded is in the write queue, which holds about one piece beyond its own bound.
 *
 * <p>While changes wait, {@link #holdsUnwritten()} is true: the sink must not take the node's progress then
 * ({@link ContextWatchSink#holdsUnwritten()}), as it would move the cursor past changes not written yet.
 *
 * <p>The front end supplies only how to write one piece ({@link PieceWriter}) and how to end the stream as too slow;
 * it calls {@link #offer} from {@link ContextWatchSink#deliver} and {@link #close()} from its clean-up. Everything runs
 * on the connection's context; not thread-safe.
 */
public final class WatchPacer {

    /**
     * Most bytes of changes that may wait behind what a watch's client has not read yet (batches that came while
     * earlier ones were still being written): beyond, the stream ends {@code too_slow}, rather than the node buffering a
     * slow client's backlog without bound.
     */
    public static final long MAX_BEHIND_BYTES = 8L * 1024 * 1024;
    /**
     * How long a watch's stream may stay blocked (its write queue full, changes waiting) without the client reading any
     * of it before it ends {@code too_slow} (the port's {@link WatchBudget#stallMs()}, this by default).
     */
    public static final long STALL_MS = 15_000;

    /** How a front end writes one piece of a batch. */
    @FunctionalInterface
    public interface PieceWriter {
        /**
         * Encodes and writes the changes from {@code from} on, as many as make one piece of the stream's size (at
         * least one), moving the watch's cursor past each change written.
         *
         * @param group   the group of the changes, by index
         * @param changes the batch
         * @param from    the first change not written yet
         * @return the index after the last change written (greater than {@code from}, unless the batch is empty)
         */
        int write(int group, List<KvChange> changes, int from);
    }

    /** Changes of one batch not all written yet: the next to write, and the bytes counted against the bounds. */
    private static final class Pending {
        final int group;
        final List<KvChange> changes;
        final long counted;
        int next;

        Pending(int group, List<KvChange> changes, long counted) {
            this.group = group;
            this.changes = changes;
            this.counted = counted;
        }
    }

    private final Vertx vertx;
    private final WatchBudget budget;
    private final WriteStream<?> stream;
    private final PieceWriter writer;
    private final Runnable tooSlow;
    /** Batches handed over and not written whole yet, oldest first. */
    private final ArrayDeque<Pending> outbox = new ArrayDeque<>();
    /** Bytes of the batches that came while the outbox was not empty (the client had not read what was before). */
    private long behind;
    /** Fires when the stream stayed blocked, the client reading nothing, for {@link #STALL_MS}. */
    private long stallTimer = -1;
    private boolean closed;

    /**
     * Creates the pacer of one stream.
     *
     * @param vertx   for the stall timer (set on the connection's context)
     * @param budget  the port's budget for slow watches, shared with its other watches
     * @param stream  the stream whose write queue paces the writes (only its queue state and drain are used)
     * @param writer  writes one piece
     * @param tooSlow tells the client it was too slow and ends the stream (the pacer is closed right after)
     */
    public WatchPacer(Vertx vertx, WatchBudget budget, WriteStream<?> stream, PieceWriter writer, Runnable tooSlow) {
        this.vertx = vertx;
        this.budget = budget;
        this.stream = stream;
        this.writer = writer;
        this.tooSlow = tooSlow;
    }

    /**
     * About what a change takes in the outbox: its key, its value and the fields around them.
     *
     * @param c the change
     * @return the bytes counted for it
     */
    public static long estimatedBytes(KvChange c) {
        return 32L + c.key().length() + (c.deleted() ? 0 : c.entry().valueLength());
    }

    /**
     * Queues a batch and writes what the stream takes now; ends the stream as too slow if the batch came while earlier
     * changes still wait and it would pass {@link #MAX_BEHIND_BYTES} or the port's budget.
     *
     * @param group   the group, by index
     * @param changes the changes, in the group's log order
     */
    public void offer(int group, List<KvChange> changes) {
        if (closed) {
            return;
        }
        long counted = 0;
        if (!outbox.isEmpty()) {
            long size = 0;
            for (KvChange c : changes) {
                size += estimatedBytes(c);
            }
            if (behind + size > MAX_BEHIND_BYTES || !budget.take(size)) {
                endTooSlow();
                return;
            }
            behind += size;
            counted = size;
        }
        outbox.add(new Pending(group, changes, counted));
        if (outbox.size() == 1) {
            pump();
        }
    }

    /**
     * Whether changes wait to be written.
     *
     * @return true while the outbox is not empty
     */
    public boolean holdsUnwritten() {
        return !outbox.isEmpty();
    }

    /** The stream is done: drops what waits, gives its share of the budget back, stops the stall timer. Idempotent. */
    public void close() {
        closed = true;
        stalled(false);
        budget.release(behind);
        behind = 0;
        outbox.clear();
    }

    /**
     * Writes pieces while the stream's write queue takes them; waits for it to drain otherwise. Gives a batch's share
     * of the budget back once it is written.
     */
    private void pump() {
        while (!outbox.isEmpty() && !closed) {
            if (stream.writeQueueFull()) {
                stream.drainHandler(v -> {
                    stream.drainHandler(null);
                    if (!closed) {
                        stalled(false);
                        pump();
                    }
                });
                stalled(true);
                return;
            }
            Pending p = outbox.peek();
            int next = writer.write(p.group, p.changes, p.next);
            if (closed) {
                return; // the write failed and ended the stream (close gave everything back)
            }
            if (next <= p.next && !p.changes.isEmpty()) {
                throw new IllegalStateException("a piece writer wrote no change");
            }
            p.next = next;
            if (p.next >= p.changes.size()) {
                outbox.poll();
                if (p.counted > 0) {
                    behind -= p.counted;
                    budget.release(p.counted);
                }
            }
        }
        stalled(false);
    }

    /** Arms (or disarms) the cut-off of a client that reads nothing of a blocked stream. */
    private void stalled(boolean blocked) {
        if (!blocked) {
            if (stallTimer >= 0) {
                vertx.cancelTimer(stallTimer);
                stallTimer = -1;
            }
        } else if (stallTimer < 0) {
            stallTimer = vertx.setTimer(budget.stallMs(), t -> {
                stallTimer = -1;
                if (!closed && !outbox.isEmpty()) {
                    endTooSlow();
                }
            });
        }
    }

    private void endTooSlow() {
        tooSlow.run();
        close();
    }
}
