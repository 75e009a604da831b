package io.raftline.raft.message;

import io.raftline.raft.Snapshot;

/**
 * InstallSnapshot (Raft §7): the leader no longer has the entries a follower needs, so it sends its
 * state-machine snapshot instead. Transports may split {@code snapshot.data()} into chunks on the wire;
 * the core sees it whole.
 *
 * @param snapshot the snapshot to install
 */
public record SnapshotRequest(int from, int to, long term, Snapshot snapshot) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.INSTALL_SNAPSHOT;
    }

    @Override
    public String summary() {
        return "snapshot=" + snapshot.index() + "@" + snapshot.term() + " " + snapshot.metadata().membership()
                + " bytes=" + snapshot.data().length;
    }
}
