package io.raftline.node;

import io.raftline.raft.Role;

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
 */
public record NodeStatus(int id, boolean up, boolean paused, Role role, long term, int leader, long commit,
        long applied, long lastIndex, long snapshotIndex, int pendingProposals, StorageStats storage,
        boolean frozen, boolean stateLost) {

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
                pendingProposals, storage, isFrozen, stateLost);
    }
}
