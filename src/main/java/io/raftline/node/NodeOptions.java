package io.raftline.node;

import io.raftline.raft.ConfigException;
import io.raftline.raft.RaftConfig;

/**
 * Everything one node verticle needs besides its collaborators: the Raft configuration plus the host's own
 * policies for client requests.
 *
 * @param raft                the validated Raft configuration
 * @param seed                seed of the node's random generator (election jitter)
 * @param maxPendingProposals proposals allowed in flight before new ones are refused (backpressure)
 * @param requestTimeoutMs    how long a client request may wait for commit or a read index
 * @param historyShares       how many replicas on the node share its watch-history budget ({@code
 *                            NodeHost.HISTORY_MAX_CHANGES} changes and {@code HISTORY_MAX_BYTES} bytes): a sharded
 *                            node's groups each hold a share, so the node holds the budget whatever its number of
 *                            groups (keys spread evenly over the groups, so each share covers the same time)
 * @param group               the Raft group this replica serves, 0 to {@code historyShares - 1}: named in its log
 *                            lines and in its refusals when the node has several groups, where "node 2 knows no
 *                            leader" alone does not say which of its groups has none
 * @param watchLeaderlessMs   how long the node may know no leader before its watches end with {@code no_leader} and
 *                            new ones are refused, 0 for never ({@code service.watch_leaderless_ms})
 */
public record NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs, long quotaBytes,
        int maxPendingReads, int historyShares, int group, long watchLeaderlessMs) {

    /** Default bound of pending proposals. */
    public static final int DEFAULT_MAX_PENDING_PROPOSALS = 10_000;
    /** Default bound of reads waiting for a read index or its application. */
    public static final int DEFAULT_MAX_PENDING_READS = 50_000;
    /** Default client request timeout. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

    /** The longest request timeout, an hour: a client waits no longer for one answer. */
    public static final long MAX_REQUEST_TIMEOUT_MS = 3_600_000;

    /**
     * Validates the host policies.
     *
     * @param raft the Raft configuration
     * @param seed random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs request timeout
     * @param quotaBytes the key space's quota in bytes (keys and values), checked by the leader; 0 for none
     * @param maxPendingReads reads allowed to wait for a read index or its application before new ones are refused
     * @param historyShares how many replicas on the node share its watch-history budget
     * @param group this replica's group, by its index among the node's groups
     * @param watchLeaderlessMs how long the node may know no leader before its watches end, 0 for never
     */
    public NodeOptions {
        if (raft == null) {
            throw new ConfigException("raft", "is required");
        }
        if (maxPendingProposals <= 0) {
            throw new ConfigException("max_pending_proposals", "must be > 0, got " + maxPendingProposals);
        }
        if (requestTimeoutMs <= 0 || requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
            throw new ConfigException("request_timeout_ms", "must be in 1.." + MAX_REQUEST_TIMEOUT_MS + ", got "
                    + requestTimeoutMs);
        }
        if (quotaBytes < 0) {
            throw new ConfigException("quota_bytes", "must be >= 0, got " + quotaBytes);
        }
        if (maxPendingReads <= 0) {
            throw new ConfigException("max_pending_reads", "must be > 0, got " + maxPendingReads);
        }
        if (historyShares <= 0) {
            throw new ConfigException("groups", "must be > 0, got " + historyShares);
        }
        if (group < 0 || group >= historyShares) {
            throw new ConfigException("group", "must be 0.." + (historyShares - 1) + ", got " + group);
        }
        if (watchLeaderlessMs < 0) {
            throw new ConfigException("watch_leaderless_ms", "must be >= 0, got " + watchLeaderlessMs);
        }
    }

    /**
     * Options of one replica of a node's groups, with the default {@code watch_leaderless_ms}.
     *
     * @param raft                the Raft configuration
     * @param seed                random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs    request timeout
     * @param quotaBytes          the key space's quota in bytes (keys and values), checked by the leader; 0 for none
     * @param maxPendingReads     reads allowed to wait for a read index or its application
     * @param historyShares       how many replicas on the node share its watch-history budget
     * @param group               this replica's group
     */
    public NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs, long quotaBytes,
            int maxPendingReads, int historyShares, int group) {
        this(raft, seed, maxPendingProposals, requestTimeoutMs, quotaBytes, maxPendingReads, historyShares, group,
                io.raftline.config.ServiceConfig.defaultWatchLeaderlessMs(raft.electionTimeoutMaxMs()));
    }

    /**
     * The same options with another {@code watch_leaderless_ms}.
     *
     * @param ms how long the node may know no leader before its watches end, 0 for never
     * @return the options
     */
    public NodeOptions withWatchLeaderlessMs(long ms) {
        return new NodeOptions(raft, seed, maxPendingProposals, requestTimeoutMs, quotaBytes, maxPendingReads,
                historyShares, group, ms);
    }

    /**
     * Options of group 0's replica, or of the one replica of a node of one group.
     *
     * @param raft                the Raft configuration
     * @param seed                random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs    request timeout
     * @param quotaBytes          the key space's quota in bytes (keys and values), checked by the leader; 0 for none
     * @param maxPendingReads     reads allowed to wait for a read index or its application
     * @param historyShares       how many replicas on the node share its watch-history budget
     */
    public NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs, long quotaBytes,
            int maxPendingReads, int historyShares) {
        this(raft, seed, maxPendingProposals, requestTimeoutMs, quotaBytes, maxPendingReads, historyShares, 0);
    }

    /**
     * Whether the node hosts several Raft groups, so that what this replica says must name its group.
     *
     * @return true on a sharded node
     */
    public boolean sharded() {
        return historyShares > 1;
    }

    /**
     * Options of one replica that holds the whole watch-history budget (a node of one group).
     *
     * @param raft                the Raft configuration
     * @param seed                random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs    request timeout
     * @param quotaBytes          the key space's quota in bytes (keys and values), checked by the leader; 0 for none
     * @param maxPendingReads     reads allowed to wait for a read index or its application
     */
    public NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs, long quotaBytes,
            int maxPendingReads) {
        this(raft, seed, maxPendingProposals, requestTimeoutMs, quotaBytes, maxPendingReads, 1);
    }

    /**
     * Options with the default bound of pending reads.
     *
     * @param raft                the Raft configuration
     * @param seed                random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs    request timeout
     * @param quotaBytes          the key space's quota in bytes, 0 for none
     */
    public NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs, long quotaBytes) {
        this(raft, seed, maxPendingProposals, requestTimeoutMs, quotaBytes, DEFAULT_MAX_PENDING_READS);
    }

    /**
     * Options without a quota.
     *
     * @param raft                the Raft configuration
     * @param seed                random seed
     * @param maxPendingProposals backpressure bound
     * @param requestTimeoutMs    request timeout
     */
    public NodeOptions(RaftConfig raft, long seed, int maxPendingProposals, long requestTimeoutMs) {
        this(raft, seed, maxPendingProposals, requestTimeoutMs, 0);
    }
}
