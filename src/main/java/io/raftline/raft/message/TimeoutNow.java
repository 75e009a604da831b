package io.raftline.raft.message;

/**
 * Sent by a leader transferring leadership (thesis §3.10) to a follower whose log is up to date:
 * the follower starts an election at once, skipping PreVote.
 */
public record TimeoutNow(int from, int to, long term) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.TIMEOUT_NOW;
    }

    @Override
    public String summary() {
        return "";
    }
}
