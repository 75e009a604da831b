package io.raftline.raft;

/**
 * The role a node plays in its current term.
 *
 * <p>{@link #PRE_CANDIDATE} is the PreVote phase (Raft thesis §9.6): the node asks whether it could win
 * before it increments its term, so a node that rejoins after a partition cannot disrupt a healthy leader.
 */
public enum Role {
    FOLLOWER("Follower"),
    PRE_CANDIDATE("PreCandidate"),
    CANDIDATE("Candidate"),
    LEADER("Leader");

    private final String displayName;

    Role(String displayName) {
        this.displayName = displayName;
    }

    /** The name used in logs, events and the UI ({@code Follower}, {@code PreCandidate}, ...). */
    public String displayName() {
        return displayName;
    }
}
