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
 */
public record ServiceConfig(long requestTimeoutMs, int maxPendingProposals, long maxBodyBytes, long forwardTimeoutMs,
        int maxPendingReads) {
}
