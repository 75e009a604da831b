package io.raftline.ui;

/**
 * The inbound frame budget of one live-view connection. The bridge validates every frame, but validation, like the
 * command it lets through, costs the server; a page (or a script posing as one) that sends thousands of frames a
 * second would turn that into a denial of service. So each connection gets a token bucket of {@code perSecond}
 * frames (refilled continuously, holding at most a second's worth, so a burst of one second is fine): a frame
 * beyond it is refused, and a connection that has had {@link #FLOOD_REFUSALS} frames refused within one
 * second is a flood and is closed.
 *
 * <p>Not thread-safe: one connection's frames arrive on its own context.
 */
final class FrameRateLimit {

    /** Refusals within one second that close the connection. */
    static final int FLOOD_REFUSALS = 100;

    /** What to do with a frame. */
    enum Verdict {
        /** Within the budget. */
        ADMIT,
        /** Over the budget: refuse it with an error frame. */
        REFUSE,
        /** Over the budget again and again: close the connection. */
        CLOSE
    }

    private static final long SECOND = 1_000_000_000L;

    private final int perSecond;
    private double tokens;
    private long refilledAt = Long.MIN_VALUE;
    private int refusals;
    private long refusalsSince;

    /**
     * Creates a full bucket.
     *
     * @param perSecond frames admitted per second, at least 1
     */
    FrameRateLimit(int perSecond) {
        this.perSecond = perSecond;
        this.tokens = perSecond;
    }

    /**
     * Counts one frame.
     *
     * @param nanos the time now ({@link System#nanoTime()})
     * @return whether it is admitted, refused, or closes the connection
     */
    Verdict admit(long nanos) {
        if (refilledAt != Long.MIN_VALUE) {
            tokens = Math.min(perSecond, tokens + (double) (nanos - refilledAt) * perSecond / SECOND);
        }
        refilledAt = nanos;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ADMIT;
        }
        if (refusals == 0 || nanos - refusalsSince > SECOND) {
            refusals = 0;
            refusalsSince = nanos;
        }
        refusals++;
        return refusals >= FLOOD_REFUSALS ? Verdict.CLOSE : Verdict.REFUSE;
    }
}
