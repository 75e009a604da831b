package io.raftline.node;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What a {@link NodeHost} needs from the world it runs in: a monotonic clock, a way out for messages, and a way
 * to run work later on the node's own thread or off it. The node verticle implements it over a Vert.x context
 * and the transport; a deterministic test harness implements it with a simulated clock and queues, so the host's
 * decisions (outcomes, reads, leases, snapshots) are tested without event loops or real time.
 *
 * <p>Every method is called on the node's thread.
 */
public interface HostEnvironment {

    /**
     * A monotonic clock that keeps running while the node does not (SIGSTOP, a GC pause): leases and request
     * deadlines are measured on it.
     *
     * @return nanoseconds from an arbitrary origin
     */
    long nanoTime();

    /**
     * Hands a message to the transport.
     *
     * @param m the message
     */
    void send(Message m);

    /**
     * Hands the messages of one step of the Ready loop to the transport at once, so it can put everything for one
     * peer into one frame. The default sends them one by one, in order (what a simulated network does).
     *
     * @param messages the messages, in order
     */
    default void sendAll(List<Message> messages) {
        for (Message m : messages) {
            send(m);
        }
    }

    /**
     * Runs {@code r} later on the node's thread, after whatever it is doing now (how a completed write or an
     * off-loop computation comes back).
     *
     * @param r the continuation
     */
    void runOnLoop(Runnable r);

    /**
     * Asks for {@link NodeHost#flush()} once at the end of the current turn, however many inputs arrive in it,
     * so that proposals and messages of one turn share one Ready.
     */
    void scheduleFlush();

    /**
     * Runs blocking or CPU-heavy work (serializing a snapshot, hashing the state) off the node's thread.
     *
     * @param work the work
     * @param <T>  its result type
     * @return completes, on any thread, with the result
     */
    <T> Future<T> offload(Callable<T> work);

    /**
     * A random number that differs between node lives (process restarts included), for identifiers that must
     * not repeat across them.
     *
     * @return a random value
     */
    long randomLong();

    /**
     * A time, on {@link #nanoTime()}'s clock, by which this node's previous life had ended, if it had one: nothing
     * has reached the node since. The Raft core shortens a restarted node's lease hold by the time since then
     * ({@link io.raftline.raft.RaftCore#downFor}). The default, now, claims nothing.
     *
     * @return nanoseconds on {@link #nanoTime()}'s clock, at most now
     */
    default long previousLifeEndedBy() {
        return nanoTime();
    }

    /**
     * The core's group went quiet or woke (see {@link io.raftline.raft.RaftConfig#quiesceMs()}); a host environment
     * that paces ticks may slow them while quiet. The default does nothing.
     *
     * @param quiet true when it went quiet
     */
    default void quietChanged(boolean quiet) {
    }
}
