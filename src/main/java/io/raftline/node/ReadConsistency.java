package io.raftline.node;

import java.util.Locale;

/**
 * How fresh a read must be; the client picks the trade-off with {@code ?consistency=}.
 */
public enum ReadConsistency {
    /** ReadIndex (thesis §6.4): the leader confirms it still leads with a heartbeat round; always linearizable. */
    LINEARIZABLE,
    /** Leader lease: no round trip while the lease holds (relies on bounded clock drift); falls back to ReadIndex. */
    LEASE,
    /** Whatever this node has applied: fast, possibly behind. */
    STALE;

    /**
     * Parses the query parameter.
     *
     * @param text {@code linearizable}, {@code lease} or {@code stale} (null means linearizable)
     * @return the consistency
     * @throws IllegalArgumentException for any other text
     */
    public static ReadConsistency parse(String text) {
        if (text == null) {
            return LINEARIZABLE;
        }
        switch (text.toLowerCase(Locale.ROOT)) {
            case "linearizable":
                return LINEARIZABLE;
            case "lease":
                return LEASE;
            case "stale":
                return STALE;
            default:
                throw new IllegalArgumentException("consistency must be linearizable, lease or stale, got '" + text + "'");
        }
    }
}
