package io.raftline.raft;

/**
 * A membership change was refused by the leader: it conflicts with the cluster's current state rather than being
 * malformed, so the host answers 409 Conflict and the client may retry later ({@link Reason#PENDING_CHANGE},
 * {@link Reason#LEADER_NOT_READY}, {@link Reason#QUORUM_UNAVAILABLE} once the silent voters are back) or must fix
 * its request (the other reasons). A node that is not the
 * leader throws {@link NotLeaderException} instead.
 */
public final class MembershipChangeException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** Why the change was refused. */
    public enum Reason {
        /** A previous membership change is not committed yet: one change at a time. */
        PENDING_CHANGE,
        /**
         * The leader has not committed an entry of its own term yet (its no-op): until it has, an uncommitted
         * change of an earlier leader may still be in effect elsewhere (Ongaro's fix for the single-server bug).
         */
        LEADER_NOT_READY,
        /** The change is about a node that is not a member (promote or remove an unknown id). */
        UNKNOWN_MEMBER,
        /** The node to add is already a member, or another member has its address. */
        MEMBER_EXISTS,
        /** The change breaks another membership rule (id ≤ 0, promoting a voter, removing the last voter, ...). */
        INVALID,
        /**
         * The change of the voters could not commit: the voters of the new membership that answer the leader are
         * fewer than its quorum (a voter down, or a new voter not started yet). Made anyway, it would take effect at
         * once and could never commit, and until it did the group could commit nothing and take no other change.
         */
        QUORUM_UNAVAILABLE
    }

    private final Reason reason;

    public MembershipChangeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Why the change was refused. */
    public Reason reason() {
        return reason;
    }
}
