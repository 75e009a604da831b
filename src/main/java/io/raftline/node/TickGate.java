package io.raftline.node;

/**
 * Keeps the core's logical clock from running ahead of real time. A periodic timer on a busy or stalled event
 * loop fires late and then catches up in a burst; counted blindly, such a burst would let a follower's election
 * timer expire right after it handled a heartbeat that sat in its queue during the stall, breaking the promise
 * behind the leader's lease (no vote for another candidate within an election timeout of hearing from the
 * leader). The gate lets a firing through only when a tick's worth of monotonic time has passed since the
 * previous tick it let through, allowing at most one tick of catch-up: between any two moments, the ticks
 * delivered never exceed the elapsed time in ticks plus two, which the lease duration accounts for.
 */
final class TickGate {

    private final long tickNanos;
    private long last;

    TickGate(long tickNanos, long now) {
        this.tickNanos = tickNanos;
        this.last = now;
    }

    /** Whether a timer firing at {@code now} should tick the core. */
    boolean due(long now) {
        if (now - last < tickNanos) {
            return false;
        }
        last = Math.max(last + tickNanos, now - tickNanos);
        return true;
    }
}
