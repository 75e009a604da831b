package io.raftline.node;

import io.raftline.kv.KvResult;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import java.util.List;

/**
 * Everything observable about a running node, reported as it happens. It is the seam for the event stream
 * (the UI, NDJSON recordings): the node calls it from its event loop and must not be slowed down, so
 * implementations only hand the facts on (publish, buffer, sample) and never block. Every method defaults to
 * doing nothing.
 */
public interface NodeListener {

    /** A listener that ignores everything. */
    NodeListener NONE = new NodeListener() {
    };

    /**
     * A transition only the core sees (role change, election, vote, leader elected, transfer).
     *
     * @param node  the node
     * @param term  its term after the event's Ready
     * @param role  its role after the event's Ready
     * @param event the event
     */
    default void coreEvent(int node, long term, Role role, CoreEvent event) {
    }

    /**
     * A message left the node (after its Ready was persisted).
     *
     * @param m the message
     */
    default void messageSent(Message m) {
    }

    /**
     * A message reached the node and was stepped into the core.
     *
     * @param m the message
     */
    default void messageReceived(Message m) {
    }

    /**
     * A message was lost: by the network (partition, drop, paused peer) or because the receiver was paused
     * or crashed.
     *
     * @param m      the message
     * @param reason why
     */
    default void messageDropped(Message m, String reason) {
    }

    /**
     * Entries were persisted to the node's log.
     *
     * @param node    the node
     * @param entries the entries, in order
     */
    default void entriesAppended(int node, List<Entry> entries) {
    }

    /**
     * The node's commit index moved forward.
     *
     * @param node   the node
     * @param commit the new commit index
     */
    default void committed(int node, long commit) {
    }

    /**
     * The node applied an entry to its key-value state.
     *
     * @param node   the node
     * @param entry  the entry
     * @param result the key-value result, or null for a no-op entry
     */
    default void applied(int node, Entry entry, KvResult result) {
    }

    /**
     * The node took a snapshot of its state and compacted its log.
     *
     * @param node  the node
     * @param index the snapshot's index
     */
    default void snapshotTaken(int node, long index) {
    }

    /**
     * The membership in effect at the node's commit index, which no truncation can undo: reported when the node
     * starts (recovered from its log store), when it applies a configuration entry, and when it installs a snapshot.
     * A {@link CoreEvent.MembershipChanged} reports the membership in effect, which may come from an entry that is
     * not committed yet and may still be truncated away.
     *
     * @param node       the node
     * @param index      the index of the configuration entry it comes from (the snapshot's index if it comes from
     *                   a snapshot, 0 for the bootstrap membership)
     * @param membership the membership
     */
    default void membershipCommitted(int node, long index, Membership membership) {
    }

    /**
     * The node installed a snapshot sent by the leader.
     *
     * @param node  the node
     * @param index the snapshot's index
     */
    default void snapshotInstalled(int node, long index) {
    }

    /**
     * The node crashed: everything not in its log store is gone.
     *
     * @param node the node
     */
    default void crashed(int node) {
    }

    /**
     * The node restarted and rebuilt its state from its log store.
     *
     * @param node    the node
     * @param applied the index its state machine was rebuilt to
     */
    default void restarted(int node, long applied) {
    }

    /**
     * The node was paused or resumed.
     *
     * @param node   the node
     * @param paused whether it is paused now
     */
    default void pausedChanged(int node, boolean paused) {
    }

    /**
     * The node was frozen or thawed (see {@link RaftNode#freeze()}).
     *
     * @param node   the node
     * @param frozen whether it is frozen now
     */
    default void frozenChanged(int node, boolean frozen) {
    }

    /**
     * Both listeners, in order: how the event stream and a test's own listener observe the same node.
     *
     * @param first  told first
     * @param second told second
     * @return a listener that tells both
     */
    static NodeListener both(NodeListener first, NodeListener second) {
        if (second == NONE) {
            return first;
        }
        if (first == NONE) {
            return second;
        }
        return new NodeListener() {
            @Override
            public void coreEvent(int node, long term, Role role, CoreEvent event) {
                first.coreEvent(node, term, role, event);
                second.coreEvent(node, term, role, event);
            }

            @Override
            public boolean wantsQueueStats() {
                return first.wantsQueueStats() || second.wantsQueueStats();
            }

            @Override
            public void queueStats(QueueStats stats) {
                if (first.wantsQueueStats()) {
                    first.queueStats(stats);
                }
                if (second.wantsQueueStats()) {
                    second.queueStats(stats);
                }
            }

            @Override
            public void messageSent(Message m) {
                first.messageSent(m);
                second.messageSent(m);
            }

            @Override
            public void messageReceived(Message m) {
                first.messageReceived(m);
                second.messageReceived(m);
            }

            @Override
            public void messageDropped(Message m, String reason) {
                first.messageDropped(m, reason);
                second.messageDropped(m, reason);
            }

            @Override
            public void entriesAppended(int node, List<Entry> entries) {
                first.entriesAppended(node, entries);
                second.entriesAppended(node, entries);
            }

            @Override
            public void committed(int node, long commit) {
                first.committed(node, commit);
                second.committed(node, commit);
            }

            @Override
            public void applied(int node, Entry entry, KvResult result) {
                first.applied(node, entry, result);
                second.applied(node, entry, result);
            }

            @Override
            public void snapshotTaken(int node, long index) {
                first.snapshotTaken(node, index);
                second.snapshotTaken(node, index);
            }

            @Override
            public void snapshotInstalled(int node, long index) {
                first.snapshotInstalled(node, index);
                second.snapshotInstalled(node, index);
            }

            @Override
            public void membershipCommitted(int node, long index, Membership membership) {
                first.membershipCommitted(node, index, membership);
                second.membershipCommitted(node, index, membership);
            }

            @Override
            public void crashed(int node) {
                first.crashed(node);
                second.crashed(node);
            }

            @Override
            public void restarted(int node, long applied) {
                first.restarted(node, applied);
                second.restarted(node, applied);
            }

            @Override
            public void pausedChanged(int node, boolean paused) {
                first.pausedChanged(node, paused);
                second.pausedChanged(node, paused);
            }

            @Override
            public void frozenChanged(int node, boolean frozen) {
                first.frozenChanged(node, frozen);
                second.frozenChanged(node, frozen);
            }
        };
    }

    /**
     * Whether {@link #queueStats} is wanted now (someone watches); a node asks before it gathers them, so an
     * unwatched cluster pays nothing for them.
     *
     * @return false unless overridden
     */
    default boolean wantsQueueStats() {
        return false;
    }

    /**
     * What waits in a node, reported periodically (every {@link RaftNodeVerticle#QUEUE_STATS_MS}) while
     * {@link #wantsQueueStats} says so, from the node's event loop.
     *
     * @param stats the figures
     */
    default void queueStats(QueueStats stats) {
    }
}
