package io.raftline.raft.message;

/**
 * The leader's answer to a {@link ReadIndexRequest}, sent after a majority confirmed its leadership.
 *
 * @param context the follower's request id
 * @param index   commit index the follower must apply before reading
 */
public record ReadIndexResponse(int from, int to, long term, long context, long index) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.READ_INDEX_RESPONSE;
    }

    @Override
    public String summary() {
        return "ctx=" + context + " index=" + index;
    }
}
