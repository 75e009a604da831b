package io.raftline.raft;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything that shapes one node's Raft behaviour, validated once when built.
 *
 * <p>Durations are in milliseconds, as an operator writes them; the core itself counts ticks of
 * {@code tickMs} (the host calls {@link RaftCore#tick()} every {@code tickMs}), so the derived
 * {@link #heartbeatTicks()} and election tick bounds are what the algorithm uses. Field names in error
 * messages are the snake_case keys of the JSON configuration.
 *
 * <p>The snapshot and log-size limits are policies the host enforces (it owns the state machine and the
 * files); they live here so one validated record describes the node.
 *
 * @param id                       this node's id, > 0
 * @param members                  the bootstrap voters, this node included; empty for a node that joins a running
 *                                 cluster: it waits passively until a leader adds it (see docs/membership.md). Once
 *                                 the log or a snapshot holds a membership, that one is in effect instead
 * @param singleNode               explicitly bootstrap a one-member cluster (otherwise at least 3 members)
 * @param tickMs                   interval between {@link RaftCore#tick()} calls
 * @param heartbeatMs              leader heartbeat interval
 * @param electionTimeoutMinMs     lower bound of the randomized election timeout
 * @param electionTimeoutMaxMs     upper bound of the randomized election timeout
 * @param maxEntriesPerMessage     batching limit of one AppendEntries
 * @param maxBytesPerMessage       batching limit of one AppendEntries, in bytes
 * @param maxInflightMessages      pipelining limit: unacknowledged AppendEntries per follower
 * @param maxCommittedBytesPerReady limit of committed entries handed to the host in one Ready
 * @param preVote                  run the PreVote phase before an election (thesis §9.6)
 * @param checkQuorum              a leader steps down when it has not heard from a majority for an election timeout
 * @param snapshotIntervalEntries  take a snapshot after this many applied entries
 * @param snapshotIntervalBytes    take a snapshot after this many bytes of applied entries
 * @param maxLogSizeBytes          hard bound of the log kept on disk
 * @param maxClockDrift            how far any node's clock may run fast or slow against real time, as a
 *                                 fraction (0.05 = 5%); it shortens the leader lease so that a fast follower
 *                                 clock and a slow leader clock together cannot break it
 * @param quiesceMs                how long a leader's group must be idle (every member holds every entry, all of
 *                                 it committed, nothing pending) before it stops heartbeating and its followers
 *                                 stop their election timers; 0 never quiesces. A quiesced follower relies on
 *                                 {@link RaftCore#checkLiveness} (the host's per-node liveness) to notice that
 *                                 its leader died. See docs/sharding.md ("Quiescing idle groups")
 */
public record RaftConfig(
        int id,
        List<Integer> members,
        boolean singleNode,
        int tickMs,
        int heartbeatMs,
        int electionTimeoutMinMs,
        int electionTimeoutMaxMs,
        int maxEntriesPerMessage,
        long maxBytesPerMessage,
        int maxInflightMessages,
        long maxCommittedBytesPerReady,
        boolean preVote,
        boolean checkQuorum,
        long snapshotIntervalEntries,
        long snapshotIntervalBytes,
        long maxLogSizeBytes,
        double maxClockDrift,
        int quiesceMs) {

    public static final int DEFAULT_TICK_MS = 10;
    public static final int DEFAULT_HEARTBEAT_MS = 100;
    public static final int DEFAULT_ELECTION_TIMEOUT_MIN_MS = 500;
    public static final int DEFAULT_ELECTION_TIMEOUT_MAX_MS = 1000;
    public static final long DEFAULT_SNAPSHOT_INTERVAL_ENTRIES = 100_000;
    public static final long DEFAULT_SNAPSHOT_INTERVAL_BYTES = 100L * 1024 * 1024;
    public static final long DEFAULT_MAX_LOG_SIZE_BYTES = 500L * 1024 * 1024;
    public static final double DEFAULT_MAX_CLOCK_DRIFT = 0.05;

    /**
     * The longest of the timing settings ({@code tick_ms}, {@code heartbeat_ms}, the election timeouts,
     * {@code quiesce_ms}), an hour, as for a request's timeout. The ticks they make are counted in an {@code int}
     * ({@code (ms + tick - 1) / tick}), which a value near 2^31 overflowed into a negative number of ticks, and a
     * heartbeat or an election an hour apart is no Raft anyone runs.
     */
    public static final int MAX_TIMING_MS = 3_600_000;

    public RaftConfig {
        members = members == null ? List.of() : List.copyOf(members);
        validate(id, members, singleNode, tickMs, heartbeatMs, electionTimeoutMinMs, electionTimeoutMaxMs,
                maxEntriesPerMessage, maxBytesPerMessage, maxInflightMessages, maxCommittedBytesPerReady,
                snapshotIntervalEntries, snapshotIntervalBytes, maxLogSizeBytes);
        if (!(maxClockDrift >= 0 && maxClockDrift < 0.5)) {
            throw new ConfigException("max_clock_drift", "must be a fraction in [0, 0.5), got " + maxClockDrift);
        }
        if (quiesceMs > MAX_TIMING_MS) {
            throw new ConfigException("quiesce_ms", "must be 0 (never) or at most " + MAX_TIMING_MS + " (an hour), got "
                    + quiesceMs);
        }
        if (quiesceMs != 0 && quiesceMs < electionTimeoutMaxMs) {
            throw new ConfigException("quiesce_ms", "must be 0 (never) or at least election_timeout_max_ms ("
                    + electionTimeoutMaxMs + "), got " + quiesceMs);
        }
    }

    /** Idle ticks after which a leader quiesces its group, 0 if it never does (see {@code quiesceMs}). */
    public int quiesceTicks() {
        return quiesceMs == 0 ? 0 : ceilDiv(quiesceMs, tickMs);
    }

    /** A builder with the documented defaults. */
    public static Builder builder(int id, List<Integer> members) {
        return new Builder(id, members);
    }

    /** Heartbeat interval in ticks. */
    public int heartbeatTicks() {
        return ceilDiv(heartbeatMs, tickMs);
    }

    /** Lower bound of the randomized election timeout, in ticks. */
    public int electionTicksMin() {
        return ceilDiv(electionTimeoutMinMs, tickMs);
    }

    /** Upper bound (inclusive) of the randomized election timeout, in ticks. */
    public int electionTicksMax() {
        return Math.max(electionTicksMin(), ceilDiv(electionTimeoutMaxMs, tickMs));
    }

    /**
     * How recently, in ticks, a voter must have answered the leader to count as answering when a change of the voters
     * is proposed ({@link RaftCore#changeMembership}): two heartbeat intervals (at most the minimum election timeout).
     * A live follower answers every heartbeat, so its last answer is at most one interval old, plus delivery jitter;
     * a voter that died is found silent within two intervals of its last answer, not an election timeout later, so a
     * change made just after a voter crashed is refused instead of appended where it cannot commit.
     */
    public int voterAnswerTicks() {
        return Math.min(2 * heartbeatTicks(), electionTicksMin());
    }

    /**
     * How long a leader lease lasts, in ticks, counted from when the acknowledged heartbeat round was sent.
     * A follower that handled a heartbeat refuses other candidates for {@code electionTicksMin} of its ticks.
     * Its host never lets ticks run ahead of real time by more than two (one may come right after the
     * heartbeat, and one of catch-up after a late timer), so it promises {@code electionTicksMin - 2} ticks of
     * real time; the lease is that, shortened for the worst rate error between the two clocks.
     *
     * @return the lease in ticks (at least 0)
     */
    public int leaseTicks() {
        return (int) Math.floor((electionTicksMin() - 2) * driftFactor());
    }

    /**
     * {@link #leaseTicks()} as a duration on a monotonic clock: what a host compares real elapsed time against,
     * since a stalled node's ticks stop while real time runs on.
     *
     * @return the lease duration in nanoseconds
     */
    public long leaseDurationNanos() {
        return (long) ((electionTicksMin() - 2) * (double) tickMs * 1_000_000 * driftFactor());
    }

    /** A follower's clock may run fast and the leader's slow, each by up to {@code maxClockDrift}. */
    private double driftFactor() {
        return (1 - maxClockDrift) / (1 + maxClockDrift);
    }

    /**
     * Votes needed to win an election or commit an entry under the bootstrap membership. The core itself uses the
     * membership in effect ({@link RaftCore#membership()}), which changes at runtime.
     */
    public int quorum() {
        return members.size() / 2 + 1;
    }

    /** A copy with other members (used when the host learns membership from a snapshot). */
    public Builder toBuilder() {
        Builder b = new Builder(id, members);
        b.singleNode = singleNode;
        b.tickMs = tickMs;
        b.heartbeatMs = heartbeatMs;
        b.electionTimeoutMinMs = electionTimeoutMinMs;
        b.electionTimeoutMaxMs = electionTimeoutMaxMs;
        b.maxEntriesPerMessage = maxEntriesPerMessage;
        b.maxBytesPerMessage = maxBytesPerMessage;
        b.maxInflightMessages = maxInflightMessages;
        b.maxCommittedBytesPerReady = maxCommittedBytesPerReady;
        b.preVote = preVote;
        b.checkQuorum = checkQuorum;
        b.snapshotIntervalEntries = snapshotIntervalEntries;
        b.snapshotIntervalBytes = snapshotIntervalBytes;
        b.maxLogSizeBytes = maxLogSizeBytes;
        b.maxClockDrift = maxClockDrift;
        b.quiesceMs = quiesceMs;
        return b;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void validate(int id, List<Integer> members, boolean singleNode, int tickMs, int heartbeatMs,
            int electionMin, int electionMax, int maxEntries, long maxBytes, int maxInflight, long maxReadyBytes,
            long snapEntries, long snapBytes, long maxLog) {
        if (id <= 0) {
            throw new ConfigException("id", "must be > 0, got " + id);
        }
        if (members.isEmpty()) {
            if (singleNode) {
                throw new ConfigException("single_node", "a single-node bootstrap must list exactly one member, got "
                        + members);
            }
            // A joining node: it learns its membership from the leader that adds it.
            positiveTimings(tickMs, heartbeatMs, electionMin, electionMax, maxEntries, maxBytes, maxInflight,
                    maxReadyBytes, snapEntries, snapBytes, maxLog);
            return;
        }
        Set<Integer> seen = new HashSet<>();
        for (Integer m : members) {
            if (m == null || m <= 0) {
                throw new ConfigException("members", "ids must be > 0, got " + m);
            }
            if (!seen.add(m)) {
                throw new ConfigException("members", "duplicate id " + m);
            }
        }
        if (!seen.contains(id)) {
            throw new ConfigException("members", "must contain this node's id " + id + ", got " + members
                    + "; leave it empty for a node that joins a running cluster");
        }
        if (singleNode && members.size() != 1) {
            throw new ConfigException("single_node", "a single-node bootstrap must list exactly one member, got "
                    + members);
        }
        if (!singleNode && members.size() < 3) {
            throw new ConfigException("members", "a cluster needs at least 3 voting members (got " + members.size()
                    + "); set single_node=true to bootstrap a one-node cluster");
        }
        positiveTimings(tickMs, heartbeatMs, electionMin, electionMax, maxEntries, maxBytes, maxInflight,
                maxReadyBytes, snapEntries, snapBytes, maxLog);
    }

    private static void positiveTimings(int tickMs, int heartbeatMs, int electionMin, int electionMax, int maxEntries,
            long maxBytes, int maxInflight, long maxReadyBytes, long snapEntries, long snapBytes, long maxLog) {
        positive("tick_ms", tickMs);
        atMostAnHour("tick_ms", tickMs);
        atMostAnHour("heartbeat_ms", heartbeatMs);
        atMostAnHour("election_timeout_min_ms", electionMin);
        atMostAnHour("election_timeout_max_ms", electionMax);
        if (heartbeatMs < tickMs) {
            throw new ConfigException("heartbeat_ms", "must be >= tick_ms (" + tickMs + "), got " + heartbeatMs);
        }
        if (electionMin < 2L * heartbeatMs) {
            throw new ConfigException("election_timeout_min_ms", "must be at least 2 × heartbeat_ms ("
                    + 2L * heartbeatMs + "), got " + electionMin);
        }
        if (electionMax < electionMin) {
            throw new ConfigException("election_timeout_max_ms", "must be >= election_timeout_min_ms ("
                    + electionMin + "), got " + electionMax);
        }
        positive("max_entries_per_message", maxEntries);
        if (maxBytes < 1024) {
            throw new ConfigException("max_bytes_per_message", "must be >= 1024, got " + maxBytes);
        }
        positive("max_inflight_messages", maxInflight);
        if (maxReadyBytes < 1024) {
            throw new ConfigException("max_committed_bytes_per_ready", "must be >= 1024, got " + maxReadyBytes);
        }
        positive("snapshot_interval_entries", snapEntries);
        positive("snapshot_interval_bytes", snapBytes);
        if (maxLog < snapBytes) {
            throw new ConfigException("max_log_size_bytes", "must be >= snapshot_interval_bytes (" + snapBytes
                    + "), got " + maxLog);
        }
    }

    private static void atMostAnHour(String field, int ms) {
        if (ms > MAX_TIMING_MS) {
            throw new ConfigException(field, "must be at most " + MAX_TIMING_MS + " (an hour), got " + ms);
        }
    }

    private static void positive(String field, long value) {
        if (value <= 0) {
            throw new ConfigException(field, "must be > 0, got " + value);
        }
    }

    /** Builds a {@link RaftConfig} from the defaults; {@link #build()} validates. */
    public static final class Builder {
        private final int id;
        private final List<Integer> members;
        private boolean singleNode;
        private int tickMs = DEFAULT_TICK_MS;
        private int heartbeatMs = DEFAULT_HEARTBEAT_MS;
        private int electionTimeoutMinMs = DEFAULT_ELECTION_TIMEOUT_MIN_MS;
        private int electionTimeoutMaxMs = DEFAULT_ELECTION_TIMEOUT_MAX_MS;
        private int maxEntriesPerMessage = 512;
        private long maxBytesPerMessage = 1024 * 1024;
        private int maxInflightMessages = 256;
        private long maxCommittedBytesPerReady = 4L * 1024 * 1024;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private long snapshotIntervalEntries = DEFAULT_SNAPSHOT_INTERVAL_ENTRIES;
        private long snapshotIntervalBytes = DEFAULT_SNAPSHOT_INTERVAL_BYTES;
        private long maxLogSizeBytes = DEFAULT_MAX_LOG_SIZE_BYTES;
        private double maxClockDrift = DEFAULT_MAX_CLOCK_DRIFT;
        private int quiesceMs;

        private Builder(int id, List<Integer> members) {
            this.id = id;
            this.members = members == null ? List.of() : new ArrayList<>(members);
        }

        public Builder singleNode(boolean v) {
            singleNode = v;
            return this;
        }

        public Builder tickMs(int v) {
            tickMs = v;
            return this;
        }

        public Builder heartbeatMs(int v) {
            heartbeatMs = v;
            return this;
        }

        public Builder electionTimeoutMs(int min, int max) {
            electionTimeoutMinMs = min;
            electionTimeoutMaxMs = max;
            return this;
        }

        public Builder maxEntriesPerMessage(int v) {
            maxEntriesPerMessage = v;
            return this;
        }

        public Builder maxBytesPerMessage(long v) {
            maxBytesPerMessage = v;
            return this;
        }

        public Builder maxInflightMessages(int v) {
            maxInflightMessages = v;
            return this;
        }

        public Builder maxCommittedBytesPerReady(long v) {
            maxCommittedBytesPerReady = v;
            return this;
        }

        public Builder preVote(boolean v) {
            preVote = v;
            return this;
        }

        public Builder checkQuorum(boolean v) {
            checkQuorum = v;
            return this;
        }

        public Builder snapshotIntervalEntries(long v) {
            snapshotIntervalEntries = v;
            return this;
        }

        public Builder snapshotIntervalBytes(long v) {
            snapshotIntervalBytes = v;
            return this;
        }

        public Builder maxLogSizeBytes(long v) {
            maxLogSizeBytes = v;
            return this;
        }

        public Builder maxClockDrift(double v) {
            maxClockDrift = v;
            return this;
        }

        public Builder quiesceMs(int v) {
            quiesceMs = v;
            return this;
        }

        /** Validates and returns the config; throws {@link ConfigException} naming the first bad field. */
        public RaftConfig build() {
            return new RaftConfig(id, members, singleNode, tickMs, heartbeatMs, electionTimeoutMinMs,
                    electionTimeoutMaxMs, maxEntriesPerMessage, maxBytesPerMessage, maxInflightMessages,
                    maxCommittedBytesPerReady, preVote, checkQuorum, snapshotIntervalEntries, snapshotIntervalBytes,
                    maxLogSizeBytes, maxClockDrift, quiesceMs);
        }
    }
}
