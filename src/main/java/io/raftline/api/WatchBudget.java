package io.raftline.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of watch events one client port holds for clients that read too slowly, across all its watches (HTTP and
 * gRPC). Each watch may fall {@code perWatch} bytes behind before it is ended ({@code too_slow}); without a bound
 * across them, the 1,024 watches a port allows could hold 8 GiB between them (an audit ran a node with a 300 MiB heap
 * out of memory with 200 watches that did not read). A watch whose bytes would take the port past its budget is ended
 * the same way, as if it had reached its own bound: it resumes from its last event once it reads again.
 *
 * <p>Thread-safe: the watches of a port run on several event loops.
 */
public final class WatchBudget {

    /** What a client port's watches may hold for slow readers together by default. */
    public static final long DEFAULT_BYTES = 64L * 1024 * 1024;

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    /**
     * Creates a budget.
     *
     * @param limit the most bytes held at once
     */
    public WatchBudget(long limit) {
        this.limit = limit;
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
     * The budget.
     *
     * @return the most bytes held at once
     */
    public long limit() {
        return limit;
    }
}
