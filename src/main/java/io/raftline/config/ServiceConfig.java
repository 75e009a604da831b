package io.raftline.config;

/**
 * How a node serves clients: the policies that are not part of the Raft algorithm.
 *
 * @param requestTimeoutMs    a client request waits at most this long for commit or a read index (then 504)
 * @param maxPendingProposals writes in flight per node before new ones are refused with 503 (backpressure)
 * @param maxBodyBytes        largest request body accepted (then 413)
 * @param forwardTimeoutMs    how long a follower waits for the leader when it forwards a request
 * @param maxPendingReads     linearizable reads waiting for their read index or its application, per node, before new
 *                            ones are refused with 503 (backpressure: without it only the request timeout bounds them)
 * @param watchLeaderlessMs   how long a node may know no leader before its watches end with {@code no_leader} and new
 *                            ones are refused (a node cut off from its leader would otherwise hold them open and
 *                            silent while the others commit); 0: never
 */
public record ServiceConfig(long requestTimeoutMs, int maxPendingProposals, long maxBodyBytes, long forwardTimeoutMs,
        int maxPendingReads, long watchLeaderlessMs) {

    /**
     * How many of the longest election timeout {@code watch_leaderless_ms} is when the configuration does not set it:
     * three, as etcd ends its leader-requiring watches; long enough for an election or two to pass without ending
     * every follower's watches.
     */
    private static final int DEFAULT_WATCH_LEADERLESS_TIMEOUTS = 3;

    /**
     * {@code watch_leaderless_ms} when the configuration does not set it: three of the longest election timeout, at
     * most an hour (the longest request timeout). The configuration's default and a node's options built without it
     * both come from here.
     *
     * @param electionTimeoutMaxMs {@code raft.election_timeout_max_ms}
     * @return the default
     */
    public static long defaultWatchLeaderlessMs(long electionTimeoutMaxMs) {
        return Math.min(DEFAULT_WATCH_LEADERLESS_TIMEOUTS * electionTimeoutMaxMs,
                io.raftline.node.NodeOptions.MAX_REQUEST_TIMEOUT_MS);
    }

    /** {@code max_body_bytes} when the configuration does not set it: 1 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    /** Room a Redis request has beyond {@code max_body_bytes}: the keys of a multi-key command (MSET). */
    public static final long COMMAND_KEY_ROOM = 256 * 1024;

    /**
     * Room a forwarded request has beyond the largest command: its binary framing adds a few bytes per key (a
     * length, an operation tag) to the command's own bytes, and a request has at most 16,384 arguments.
     */
    public static final long FORWARD_FRAMING = 256 * 1024;

    /**
     * The largest key-value command any front end builds from one request: a Redis request's arguments together (an
     * HTTP body is at most {@code max_body_bytes}, a gRPC message {@code max_body_bytes} + 8 KiB). It bounds the
     * Redis listener's requests and the writes it folds from a pipeline.
     *
     * @return {@code max_body_bytes} + {@link #COMMAND_KEY_ROOM}
     */
    public long maxCommandBytes() {
        return maxBodyBytes + COMMAND_KEY_ROOM;
    }

    /**
     * The largest body the leader's forwarding endpoint accepts: any command a follower's front end accepted,
     * framed, so that the leader never refuses as too large what a follower took in.
     *
     * @return {@link #maxCommandBytes()} + {@link #FORWARD_FRAMING}
     */
    public long maxForwardBytes() {
        return maxCommandBytes() + FORWARD_FRAMING;
    }
}
