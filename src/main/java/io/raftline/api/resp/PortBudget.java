package io.raftline.api.resp;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes that one Redis-protocol port's connections hold together, with the connections waiting for the total to drop
 * under a limit: the mechanics shared by the port's {@link ReplyBudget} (replies not gone out) and its
 * {@link RequestBudget} (requests parsed and not started). A connection takes bytes for what it holds, gives them back
 * once they are gone, and asks to be resumed once the port is under its limit; the limit holds back what comes next
 * (reads that would start, sockets that would be read) and refuses nothing already held.
 *
 * <p>Thread-safe: a port's connections run on several event loops.
 */
class PortBudget {

    private final long limit;
    private final AtomicLong held = new AtomicLong();
    /** What resumes each connection waiting for room (each hops to its own event loop). */
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    PortBudget(long limit) {
        this.limit = limit;
    }

    /** Whether the port is at its budget. */
    boolean full() {
        return held.get() >= limit;
    }

    /**
     * Takes {@code bytes}, whatever the budget: what they stand for is held already, and the budget only decides
     * what starts next.
     *
     * @param bytes the bytes
     */
    void take(long bytes) {
        held.addAndGet(bytes);
    }

    /**
     * Gives back bytes taken: what they stood for is gone.
     *
     * @param bytes the bytes
     */
    void giveBack(long bytes) {
        if (held.addAndGet(-bytes) < limit && !waiting.isEmpty()) {
            wake();
        }
    }

    /**
     * Runs {@code resume} once the port is under its budget (at once, on this thread, if it is now).
     *
     * @param resume what resumes the waiting connection, on any thread
     */
    void await(Runnable resume) {
        waiting.add(resume);
        if (!full()) {
            wake(); // room came back between the check and the add
        }
    }

    /**
     * Forgets a waiting connection (it closed).
     *
     * @param resume what {@link #await} was given
     */
    void cancel(Runnable resume) {
        waiting.remove(resume);
    }

    /** The waiting connections are woken all at once: each checks the budget again on its own loop. */
    private void wake() {
        Runnable r;
        while ((r = waiting.poll()) != null) {
            r.run();
        }
    }

    /** The bytes held now. */
    long held() {
        return held.get();
    }

    /** The budget. */
    long limit() {
        return limit;
    }

    /** Connections waiting for room (counted: for INFO only). */
    int waiting() {
        return waiting.size();
    }
}
