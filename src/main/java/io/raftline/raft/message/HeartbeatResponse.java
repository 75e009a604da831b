package io.raftline.raft.message;

/**
 * Answer to a {@link Heartbeat}; echoes its context so the leader can confirm pending ReadIndex rounds.
 *
 * @param context the heartbeat's context
 */
public record HeartbeatResponse(int from, int to, long term, long context) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.HEARTBEAT_RESPONSE;
    }

    @Override
    public String summary() {
        return context != 0 ? "ctx=" + context : "";
    }
}
