package io.raftline.events;

/**
 * How the event pipeline trades completeness for cost under load.
 *
 * @param flushIntervalMs        how often buffered events are published (the UI's extra latency)
 * @param messageEventsPerSecond budget of published {@code MessageSent} events per second (their receive and
 *                               drop events follow their send's fate); votes, pre-votes, snapshots and
 *                               TimeoutNow are always published
 * @param perLinkPerFlush        at most this many sends of one kind on one link per flush, so that a busy link
 *                               cannot take the whole budget
 * @param ingestCapacity         message events buffered between two flushes; beyond it they are counted and
 *                               discarded at once (state events are never discarded)
 * @param ratesIntervalMs        how often a {@code Rates} event is published
 * @param eventValues            what of clients' keys and values events may carry ({@code security.event_values}),
 *                               see {@link EventJson.Mapper}
 */
public record PublisherOptions(int flushIntervalMs, int messageEventsPerSecond, int perLinkPerFlush, int ingestCapacity,
        int ratesIntervalMs, EventValues eventValues) {

    /** 20 flushes a second, 600 message arrows a second, 2 per link and kind per flush, keys and values shown. */
    public static final PublisherOptions DEFAULTS = new PublisherOptions(50, 600, 2, 20_000, 1000);

    /**
     * Options that show values.
     *
     * @param flushIntervalMs        flush period
     * @param messageEventsPerSecond message budget
     * @param perLinkPerFlush        per-link budget
     * @param ingestCapacity         buffer bound
     * @param ratesIntervalMs        rates period
     */
    public PublisherOptions(int flushIntervalMs, int messageEventsPerSecond, int perLinkPerFlush, int ingestCapacity,
            int ratesIntervalMs) {
        this(flushIntervalMs, messageEventsPerSecond, perLinkPerFlush, ingestCapacity, ratesIntervalMs, EventValues.SHOW);
    }

    /**
     * The same options with another setting for keys and values.
     *
     * @param values what of keys and values events may carry
     * @return the options
     */
    public PublisherOptions withEventValues(EventValues values) {
        return new PublisherOptions(flushIntervalMs, messageEventsPerSecond, perLinkPerFlush, ingestCapacity,
                ratesIntervalMs, values);
    }

    /**
     * Checks the bounds.
     *
     * @param flushIntervalMs        flush period
     * @param messageEventsPerSecond message budget
     * @param perLinkPerFlush        per-link budget
     * @param ingestCapacity         buffer bound
     * @param ratesIntervalMs        rates period
     * @param eventValues            what of keys and values events may carry
     */
    public PublisherOptions {
        java.util.Objects.requireNonNull(eventValues, "eventValues");
        if (flushIntervalMs < 1 || messageEventsPerSecond < 0 || perLinkPerFlush < 0 || ingestCapacity < 1
                || ratesIntervalMs < flushIntervalMs) {
            throw new IllegalArgumentException("invalid publisher options: flushIntervalMs=" + flushIntervalMs
                    + " messageEventsPerSecond=" + messageEventsPerSecond + " perLinkPerFlush=" + perLinkPerFlush
                    + " ingestCapacity=" + ingestCapacity + " ratesIntervalMs=" + ratesIntervalMs);
        }
    }

    /**
     * Message sends published per flush.
     *
     * @return the per-flush budget, at least 1 unless the budget is 0
     */
    public int messagesPerFlush() {
        if (messageEventsPerSecond == 0) {
            return 0;
        }
        return Math.max(1, (int) ((long) messageEventsPerSecond * flushIntervalMs / 1000));
    }
}
