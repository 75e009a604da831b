package io.raftline.raft;

/**
 * What a leader's lease vouches for, as the core sees it in ticks: reads may be served at {@code index} once it
 * is applied, because the heartbeat round {@code heartbeatRound} was acknowledged by a majority recently
 * enough. Ticks stop while a node is stalled, so the host must also check the round in real time: the lease
 * holds only while less than the lease duration has passed on a monotonic clock since that round was sent
 * (see {@link RaftConfig#leaseDurationNanos()}).
 *
 * @param index          the commit index to read at
 * @param heartbeatRound the acknowledged heartbeat round the lease is dated by (0 for a single-node cluster,
 *                       whose lease never depends on others)
 */
public record LeaseRead(long index, long heartbeatRound) {
}
