package io.raftline.api.resp;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one node's Redis-protocol port has done since it started, for INFO's {@code stats} section: the counters that
 * {@code redis-cli --stat} and monitoring tools read (without them redis-cli printed its "missing field" value,
 * {@code -9223372036854775808}, for requests and connections). Counts this port only, not the node's HTTP or gRPC
 * requests. Thread-safe.
 */
final class RespStats {

    /** Connections accepted (those over {@code limits.max_connections} not counted). */
    final LongAdder connectionsReceived = new LongAdder();
    /** Connections refused at {@code limits.max_connections}. */
    final LongAdder rejectedConnections = new LongAdder();
    /** Requests answered, each command of a pipeline one (a refused one too: each has its reply). */
    final LongAdder commandsProcessed = new LongAdder();
    /**
     * Connections not reading their socket now: their queue is full, or the port's queued requests are at their
     * {@link RequestBudget} and what their last read brought has not started yet, or (before AUTH) a request waits.
     */
    final java.util.concurrent.atomic.AtomicInteger pausedConnections = new java.util.concurrent.atomic.AtomicInteger();
}
