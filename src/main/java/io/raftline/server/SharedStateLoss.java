package io.raftline.server;

import io.raftline.node.NodeListener;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * What one Raft group of a sharded node finds out about the node's lost state, told to all its groups. The groups
 * share the node's data directory: a leader that finds the node lost entries it had acknowledged (the directory was
 * wiped while the node was down, and the start check found no one to ask) speaks for every group, though only its own
 * replica hears it. Told nothing, the node's other replicas went on voting and campaigning with what they had
 * forgotten: in a group whose leader was elected while the node was down (it never saw the node acknowledge) or that
 * was quiet (no heartbeat to reveal it), nothing else would ever stop them. A start reads every group's record of a
 * loss ({@link RejoinGuard}); this does the same while the node runs.
 */
final class SharedStateLoss {

    private final int node;
    private final List<RaftNodeVerticle> replicas = new ArrayList<>();
    private String found;

    /**
     * Creates the record of one node.
     *
     * @param node the node
     */
    SharedStateLoss(int node) {
        this.node = node;
    }

    /**
     * The listener to add to group {@code group}'s replica: it reports a loss its core found out.
     *
     * @param group the group
     * @return the listener
     */
    NodeListener listener(int group) {
        return new NodeListener() {
            @Override
            public void coreEvent(int id, long term, Role role, CoreEvent event) {
                if (event instanceof CoreEvent.StateLost sl) {
                    found(group, "the leader of Raft group " + group + " (node " + sl.leader() + ") knew node " + node
                            + " acknowledged index " + sl.acknowledged() + " of that group, whose log ended at "
                            + sl.lastIndex() + " (the node's groups share its data directory)");
                }
            }
        };
    }

    /**
     * Adds the next group's replica, deployed; told at once of a loss found before.
     *
     * @param replica the replica of group {@code replicas().size()}
     */
    void deployed(RaftNodeVerticle replica) {
        String detail;
        synchronized (this) {
            replicas.add(replica);
            detail = found;
        }
        if (detail != null) {
            replica.stateLostElsewhere(detail);
        }
    }

    private void found(int group, String detail) {
        List<RaftNodeVerticle> tell;
        synchronized (this) {
            if (found != null) {
                return;
            }
            found = detail;
            tell = List.copyOf(replicas);
        }
        for (int g = 0; g < tell.size(); g++) {
            if (g != group) {
                tell.get(g).stateLostElsewhere(detail);
            }
        }
    }
}
