package io.raftline.api;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of watch events one client port holds for clients that read too slowly, across all its watches (HTTP and
 * gRPC). Each watch may fall {@code perWatch} bytes behind before it is ended ({@code too_slow}); without a bound
 * across them, the 1,024 watches a port allows could hold 8 GiB between them (an audit ran a node with a 300 MiB heap
 * out of memory with 200 watches that did not read). A watch whose bytes would take the port past its budget is ended
 * the same way, as if it had reached its own bound: it resumes from its last event once it reads again.
 *
 * <p>It also counts the port's open watches, HTTP and gRPC together, against one bound ({@link #MAX_WATCHES}): each
 * protocol counted its own, so a node documented to serve 1,024 watches served 1,024 of each (a review opened 1,024
 * HTTP watches, and a gRPC watch was still accepted).
 *
 * <p>Thread-safe: the watches of a port run on several event loops.
 */
public final class WatchBudget {

    /** What a client port's watches may hold for slow readers together by default. */
    public static final long DEFAULT_BYTES = 64L * 1024 * 1024;

    /** Most watches a client port (a node) serves at once, over HTTP and gRPC together. */
    public static final int MAX_WATCHES = 1024;

    private final long limit;
    private final long stallMs;
    private final AtomicLong held = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();

    /**
     * Creates a budget.
     *
     * @param limit the most bytes held at once
     */
    public WatchBudget(long limit) {
        this(limit, WatchPacer.STALL_MS);
    }

    /**
     * Creates a budget whose watches end a stream blocked for {@code stallMs} (tests of that cut-off use a shorter
     * time than {@link WatchPacer#STALL_MS}, so as not to wait it out).
     *
     * @param limit   the most bytes held at once
     * @param stallMs how long a watch's stream may stay blocked with nothing read before it ends {@code too_slow}
     */
    public WatchBudget(long limit, long stallMs) {
        if (stallMs <= 0) {
            throw new IllegalArgumentException("stallMs must be positive, got " + stallMs);
        }
        this.limit = limit;
        this.stallMs = stallMs;
    }

    /**
     * How long a watch's stream may stay blocked with nothing read before it ends {@code too_slow}.
     *
     * @return milliseconds
     */
    public long stallMs() {
        return stallMs;
    }

    /**
     * Takes {@code bytes} for a watch that writes them while its client does not read.
     *
     * @param bytes the bytes
     * @return false (nothing taken) if they would take the port past its budget
     */
    public boolean take(long bytes) {
        long after = held.addAndGet(bytes);
        if (after > limit) {
            held.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /**
     * Gives back what a watch took, once its client read it (or the watch ended).
     *
     * @param bytes the bytes taken
     */
    public void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /**
     * The bytes held now.
     *
     * @return the sum over the port's watches
     */
    public long held() {
        return held.get();
    }

    /**
     * Takes a place for a new watch of the port, if one is left.
     *
     * @return false (nothing taken) if the port serves {@link #MAX_WATCHES} watches already
     */
    public boolean open() {
        if (open.incrementAndGet() > MAX_WATCHES) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back the place of a watch that ended (once per successful {@link #open()}). */
    public void closed() {
        open.decrementAndGet();
    }

    /**
     * The watches open now.
     *
     * @return how many, HTTP and gRPC together
     */
    public int openWatches() {
        return open.get();
    }

    /**
     * The budget.
     *
     * @return the most bytes held at once
     */
    public long limit() {
        return limit;
    }
}
