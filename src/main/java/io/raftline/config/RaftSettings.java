package io.raftline.config;

import io.raftline.raft.ConfigException;
import io.raftline.raft.RaftConfig;
import java.util.List;

/**
 * The Raft tuning shared by every node of a cluster, as an operator writes it (milliseconds, snake_case in
 * JSON). {@link #toRaftConfig} turns it into one node's validated {@link RaftConfig}.
 *
 * @param tickMs                  interval of the core's logical clock
 * @param heartbeatMs             leader heartbeat interval
 * @param electionTimeoutMinMs    lower bound of the randomized election timeout
 * @param electionTimeoutMaxMs    upper bound of the randomized election timeout
 * @param preVote                 PreVote phase before elections
 * @param checkQuorum             leaders step down without a majority
 * @param maxEntriesPerMessage    batching limit of one AppendEntries
 * @param maxBytesPerMessage      batching limit of one AppendEntries, in bytes
 * @param maxInflightMessages     pipelining window per follower
 * @param snapshotIntervalEntries snapshot after this many applied entries
 * @param snapshotIntervalBytes   snapshot after this many applied bytes
 * @param maxLogSizeBytes         hard bound of the log
 * @param maxClockDrift           how far any node's clock may run fast or slow, as a fraction (shortens leases)
 * @param quiesceMs               idle time after which a group stops heartbeating (0 never, at least the maximum
 *                                election timeout otherwise); {@link #QUIESCE_AUTO} when not given: never with one
 *                                group, {@link #autoQuiesceMs} with several (see docs/sharding.md)
 */
public record RaftSettings(int tickMs, int heartbeatMs, int electionTimeoutMinMs, int electionTimeoutMaxMs,
        boolean preVote, boolean checkQuorum, int maxEntriesPerMessage, long maxBytesPerMessage,
        int maxInflightMessages, long snapshotIntervalEntries, long snapshotIntervalBytes, long maxLogSizeBytes,
        double maxClockDrift, int quiesceMs) {

    /** {@code quiesce_ms} not given: decided by the number of groups ({@link #toRaftConfig}). */
    public static final int QUIESCE_AUTO = -1;

    /** The JSON field names, for the strict reader and the override list. */
    static final List<String> FIELDS = List.of("tick_ms", "heartbeat_ms", "election_timeout_min_ms",
            "election_timeout_max_ms", "pre_vote", "check_quorum", "max_entries_per_message",
            "max_bytes_per_message", "max_inflight_messages", "snapshot_interval_entries",
            "snapshot_interval_bytes", "max_log_size_bytes", "max_clock_drift", "quiesce_ms");

    static RaftSettings read(JsonReader r) {
        r.allowOnly(java.util.Set.copyOf(FIELDS));
        return new RaftSettings(
                r.intValue("tick_ms", RaftConfig.DEFAULT_TICK_MS),
                r.intValue("heartbeat_ms", RaftConfig.DEFAULT_HEARTBEAT_MS),
                r.intValue("election_timeout_min_ms", RaftConfig.DEFAULT_ELECTION_TIMEOUT_MIN_MS),
                r.intValue("election_timeout_max_ms", RaftConfig.DEFAULT_ELECTION_TIMEOUT_MAX_MS),
                r.bool("pre_vote", true),
                r.bool("check_quorum", true),
                r.intValue("max_entries_per_message", 512),
                r.longValue("max_bytes_per_message", 1024 * 1024),
                r.intValue("max_inflight_messages", 256),
                r.longValue("snapshot_interval_entries", RaftConfig.DEFAULT_SNAPSHOT_INTERVAL_ENTRIES),
                r.longValue("snapshot_interval_bytes", RaftConfig.DEFAULT_SNAPSHOT_INTERVAL_BYTES),
                r.longValue("max_log_size_bytes", RaftConfig.DEFAULT_MAX_LOG_SIZE_BYTES),
                r.doubleValue("max_clock_drift", RaftConfig.DEFAULT_MAX_CLOCK_DRIFT),
                r.intValue("quiesce_ms", QUIESCE_AUTO));
    }

    /**
     * The idle time after which a group of a sharded cluster quiesces when {@code quiesce_ms} is not given: two
     * maximum election timeouts, and at least a second, so a group in use never goes quiet between two requests of a
     * steady client, and an idle one stops costing heartbeats soon; at most {@link RaftConfig#MAX_TIMING_MS}.
     */
    int autoQuiesceMs() {
        return (int) Math.min(Math.max(2L * electionTimeoutMaxMs, 1000), RaftConfig.MAX_TIMING_MS);
    }

    /**
     * Builds one node's Raft configuration.
     *
     * @param id         the node
     * @param members    all voting members
     * @param singleNode whether this is an explicit one-node bootstrap
     * @param groups     the cluster's number of Raft groups (decides {@code quiesce_ms} when it was not given)
     * @return the validated configuration
     * @throws ConfigException naming the field as {@code raft.<field>} (or {@code members}/{@code single_node})
     */
    public RaftConfig toRaftConfig(int id, List<Integer> members, boolean singleNode, int groups) {
        if (quiesceMs != QUIESCE_AUTO && quiesceMs < 0) {
            throw new ConfigException("raft.quiesce_ms", "must be 0 (never) or a time in ms, got " + quiesceMs);
        }
        int quiesce = quiesceMs != QUIESCE_AUTO ? quiesceMs : groups > 1 ? autoQuiesceMs() : 0;
        try {
            RaftConfig c = RaftConfig.builder(id, members)
                    .singleNode(singleNode)
                    .tickMs(tickMs)
                    .heartbeatMs(heartbeatMs)
                    .electionTimeoutMs(electionTimeoutMinMs, electionTimeoutMaxMs)
                    .preVote(preVote)
                    .checkQuorum(checkQuorum)
                    .maxEntriesPerMessage(maxEntriesPerMessage)
                    .maxBytesPerMessage(maxBytesPerMessage)
                    .maxInflightMessages(maxInflightMessages)
                    .snapshotIntervalEntries(snapshotIntervalEntries)
                    .snapshotIntervalBytes(snapshotIntervalBytes)
                    .maxLogSizeBytes(maxLogSizeBytes)
                    .maxClockDrift(maxClockDrift)
                    .quiesceMs(quiesce)
                    .build();
            if (electionTimeoutMaxMs - electionTimeoutMinMs < tickMs) {
                // The core takes equal bounds (deterministic scenarios use them); a cluster does not: every node
                // would draw the same timeout, so candidates that split a vote split the next one as well.
                throw new ConfigException("election_timeout_max_ms", "must exceed election_timeout_min_ms ("
                        + electionTimeoutMinMs + ") by at least tick_ms (" + tickMs + "), so that the nodes draw"
                        + " different election timeouts and a split vote ends, got " + electionTimeoutMaxMs);
            }
            return c;
        } catch (ConfigException e) {
            String f = e.field();
            String qualified = FIELDS.contains(f) ? "raft." + f : f.equals("members") ? "nodes" : f;
            throw new ConfigException(qualified, e.getMessage().substring(f.length() + 2));
        }
    }
}
