package io.raftline.raft.message;

/**
 * A follower asks the leader for a read index (thesis §6.4) so that it can serve a linearizable read
 * locally once it has applied that index.
 *
 * @param context the follower's request id
 */
public record ReadIndexRequest(int from, int to, long term, long context) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.READ_INDEX;
    }

    @Override
    public String summary() {
        return "ctx=" + context;
    }
}
