package io.raftline.raft;

/**
 * The operation needs the leader and this node is not it (or is handing leadership over).
 * {@link #leaderHint()} names the node the client should try instead, or 0 if none is known.
 */
public final class NotLeaderException extends RaftException {

    private static final long serialVersionUID = 1L;
    private final int leaderHint;

    public NotLeaderException(int self, int leaderHint, String why) {
        super("node " + self + " is not the leader (" + why + ")"
                + (leaderHint > 0 ? "; try node " + leaderHint : "; no leader known"));
        this.leaderHint = leaderHint;
    }

    /** The leader this node believes in, or 0. */
    public int leaderHint() {
        return leaderHint;
    }
}
