package io.raftline.raft.message;

/**
 * Leader heartbeat. Unlike an empty AppendEntries it carries no consistency check, so it never triggers
 * log repair by itself; it resets the follower's election timer, carries the commit index (capped at what
 * the follower is known to hold) and a ReadIndex round number that followers echo back.
 *
 * <p>A quiescing heartbeat ({@code quiesce}) is the last one a leader sends before its idle group goes quiet
 * (see docs/sharding.md): the follower holds every entry the leader has, all committed, and stops its election
 * timer until the next message from the group or until the host finds the leader's node silent. It belongs to no
 * round ({@code context} 0) and is not answered, so the answers cannot wake the leader again.
 *
 * @param commit  min(leader commit, follower's match index)
 * @param context ReadIndex round being confirmed, 0 if none
 * @param quiesce the leader's group goes quiet after this heartbeat
 */
public record Heartbeat(int from, int to, long term, long commit, long context, boolean quiesce) implements Message {

    /** An ordinary heartbeat (not quiescing). */
    public Heartbeat(int from, int to, long term, long commit, long context) {
        this(from, to, term, commit, context, false);
    }

    @Override
    public MessageKind kind() {
        return MessageKind.HEARTBEAT;
    }

    @Override
    public String summary() {
        return "commit=" + commit + (context != 0 ? " ctx=" + context : "") + (quiesce ? " quiesce" : "");
    }
}
