package io.raftline.node;

import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import java.util.Map;

/**
 * One node's state as the cluster API and the benchmark see it.
 *
 * @param id               node id
 * @param up               false while crashed
 * @param paused           true while paused
 * @param role             current role (null while crashed)
 * @param term             current term
 * @param leader           leader this node knows of, or 0
 * @param commit           commit index
 * @param applied          index applied to the key-value state
 * @param lastIndex        last log index
 * @param snapshotIndex    index of the latest snapshot (0 if none)
 * @param pendingProposals proposals waiting to be applied
 * @param storage          what the node's log store has done (fsyncs, entries written, WAL size)
 * @param frozen           true while frozen (stopped as under SIGSTOP, see {@link RaftNode#freeze()})
 * @param stateLost        the node found out it lost log entries it had acknowledged (a wiped data directory):
 *                         it must be replaced (see {@link io.raftline.raft.RaftCore#stateLost()})
 * @param membership       the membership in effect on this node (the last one it knew while crashed)
 * @param configIndex      the log index that membership comes from (0: the bootstrap configuration)
 * @param matchIndex       leader only: how far each member's log is known to match this one, learners and the
 *                         leader itself included (empty on followers)
 * @param leaderCommit     the highest commit index the current leader announced to this node in this term (its
 *                         own commit index on the leader): how far behind a follower that catches up is
 * @param quiesced         this replica's group is quiet: idle, no heartbeats (see docs/sharding.md)
 * @param logSeen          per peer, the highest log index this node saw it hold in this process's life: in its
 *                         AppendEntries and snapshots as a leader, its answers to them, its heartbeats' commit index
 *                         and its vote requests (what {@code server.RejoinGuard} asks every peer, to tell a node whose
 *                         data directory was wiped from a new one when the leader has not heard from it)
 */
public record NodeStatus(int id, boolean up, boolean paused, Role role, long term, int leader, long commit,
        long applied, long lastIndex, long snapshotIndex, int pendingProposals, StorageStats storage,
        boolean frozen, boolean stateLost, Membership membership, long configIndex, Map<Integer, Long> matchIndex,
        long leaderCommit, boolean quiesced, Map<Integer, Long> logSeen) {

    /** A status of a replica that is not quiet (a node that is down never is, nor one whose groups never quiesce). */
    public NodeStatus(int id, boolean up, boolean paused, Role role, long term, int leader, long commit,
            long applied, long lastIndex, long snapshotIndex, int pendingProposals, StorageStats storage,
            boolean frozen, boolean stateLost, Membership membership, long configIndex, Map<Integer, Long> matchIndex,
            long leaderCommit) {
        this(id, up, paused, role, term, leader, commit, applied, lastIndex, snapshotIndex, pendingProposals, storage,
                frozen, stateLost, membership, configIndex, matchIndex, leaderCommit, false, Map.of());
    }

    public NodeStatus {
        membership = membership == null ? Membership.EMPTY : membership;
        matchIndex = matchIndex == null ? Map.of() : Map.copyOf(matchIndex);
        logSeen = logSeen == null ? Map.of() : Map.copyOf(logSeen);
    }

    /**
     * Whether this node is in the membership it knows of: a node started to join that was not added yet, or a
     * removed one, is not.
     *
     * @return true for a voter or learner
     */
    public boolean member() {
        return membership.contains(id);
    }

    /**
     * The role's display name, or {@code Down} while crashed.
     *
     * @return the name shown in the API and logs
     */
    public String roleName() {
        return role == null ? "Down" : role.displayName();
    }

    /**
     * This status with another frozen flag (the host does not know; the verticle around it does).
     *
     * @param isFrozen the flag
     * @return the copy
     */
    public NodeStatus withFrozen(boolean isFrozen) {
        return new NodeStatus(id, up, paused, role, term, leader, commit, applied, lastIndex, snapshotIndex,
                pendingProposals, storage, isFrozen, stateLost, membership, configIndex, matchIndex, leaderCommit,
                quiesced, logSeen);
    }
}
