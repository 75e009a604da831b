package io.raftline.raft.message;

/**
 * A node's sign of life to a peer, sent by the host (never by a core) when it has sent that peer nothing else for a
 * heartbeat interval and some Raft group may be quiet. Quiesced groups exchange no messages at all, so the host
 * keeps per-peer liveness itself ({@link io.raftline.raft.PeerLiveness}): any message from a node, of any group,
 * counts as a sign of life, and a leader's node that stays silent for an election timeout wakes the followers of
 * its quiesced groups ({@link io.raftline.raft.RaftCore#checkLiveness}). It carries no term and no group state;
 * one keepalive per peer per interval serves every group, whatever their number. Cores ignore it.
 */
public record Keepalive(int from, int to) implements Message {

    @Override
    public long term() {
        return 0;
    }

    @Override
    public MessageKind kind() {
        return MessageKind.KEEPALIVE;
    }

    @Override
    public String summary() {
        return "";
    }
}
