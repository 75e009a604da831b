package io.raftline.raft;

/**
 * What the leader knows about one follower's replication, for the status API and the UI's replication view.
 *
 * @param match        highest index known to be on the follower
 * @param next         next index to send
 * @param state        flow-control state
 * @param recentActive heard from in the current CheckQuorum window
 * @param inflight     appends sent and not yet acknowledged
 */
public record PeerStatus(long match, long next, ReplicationState state, boolean recentActive, int inflight) {
}
