package io.raftline.raft.message;

/**
 * Leader heartbeat. Unlike an empty AppendEntries it carries no consistency check, so it never triggers
 * log repair by itself; it resets the follower's election timer, carries the commit index (capped at what
 * the follower is known to hold) and a ReadIndex round number that followers echo back.
 *
 * @param commit  min(leader commit, follower's match index)
 * @param context ReadIndex round being confirmed, 0 if none
 */
public record Heartbeat(int from, int to, long term, long commit, long context) implements Message {

    @Override
    public MessageKind kind() {
        return MessageKind.HEARTBEAT;
    }

    @Override
    public String summary() {
        return "commit=" + commit + (context != 0 ? " ctx=" + context : "");
    }
}
