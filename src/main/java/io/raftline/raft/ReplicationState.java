package io.raftline.raft;

/**
 * How the leader replicates to one follower (the flow-control states of etcd-raft and the Raft thesis §4.2.1).
 */
public enum ReplicationState {
    /** Not sure where the follower's log matches: one append at a time until one is accepted. */
    PROBE,
    /** The follower is in sync: appends are pipelined up to the in-flight limit. */
    REPLICATE,
    /** The follower needs entries that were compacted: a snapshot is on its way. */
    SNAPSHOT
}
