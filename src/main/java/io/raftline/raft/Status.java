package io.raftline.raft;

import java.util.Map;

/**
 * A point-in-time picture of one core for status APIs, logs and tests.
 *
 * @param id              node id
 * @param term            current term
 * @param vote            vote cast in {@code term}, or 0
 * @param role            current role
 * @param leader          known leader, or 0
 * @param commit          commit index
 * @param applied         index the host last reported applied
 * @param firstIndex      first index still in the log
 * @param lastIndex       last index in the log
 * @param lastTerm        term of the last entry
 * @param leadTransferee  node leadership is being handed to, or 0
 * @param progress        per follower replication state, learners included (leader only, else empty)
 * @param membership      the membership in effect (the latest in the log, see {@link RaftLog#membership()})
 * @param configIndex     index of the CONFIG entry (or snapshot) it comes from, 0 for the bootstrap membership
 */
public record Status(int id, long term, int vote, Role role, int leader, long commit, long applied, long firstIndex,
        long lastIndex, long lastTerm, int leadTransferee, Map<Integer, PeerStatus> progress, Membership membership,
        long configIndex) {
}
