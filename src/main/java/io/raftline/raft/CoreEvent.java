package io.raftline.raft;

/**
 * Transitions only the core can see, reported in each {@link Ready} so the host can log them and publish
 * them to the event stream. (What the host itself sees in a Ready, such as appended or committed entries
 * and messages, is not repeated here.)
 */
public sealed interface CoreEvent {

    /** Role, term or known leader changed. */
    record StateChange(Role from, Role to, long term, int leader, String reason) implements CoreEvent {
    }

    /** This node started an election (or a PreVote round, for the prospective {@code term}). */
    record ElectionStarted(long term, boolean preVote, boolean transfer) implements CoreEvent {
    }

    /** This node granted its vote (or pre-vote) to {@code candidate}. */
    record VoteGranted(int candidate, long term, boolean preVote) implements CoreEvent {
    }

    /** This node won the election for {@code term} with the listed votes. */
    record LeaderElected(int leader, long term, int votes) implements CoreEvent {
    }

    /** Leadership transfer to {@code target} started, completed or was aborted ({@code outcome}). */
    record LeadershipTransfer(int target, String outcome) implements CoreEvent {
    }

    /**
     * This node lost state it had acknowledged: leader {@code leader} knows it acknowledged the log up to
     * {@code acknowledged}, but its log ends at {@code lastIndex} (a wiped or replaced data directory). It no
     * longer votes, campaigns or commits from heartbeats; see {@link RaftCore#stateLost()}.
     */
    record StateLost(int leader, long acknowledged, long lastIndex) implements CoreEvent {
    }

    /**
     * The membership in effect on this node changed: a CONFIG entry at {@code index} was appended, a truncated one
     * reverted it to the one at {@code index}, or a snapshot at {@code index} brought it. The host connects
     * transports to new members and drops departed ones; a node that is no longer a member at all may be shut down
     * once the change is committed (see docs/membership.md).
     *
     * @param index      the CONFIG entry (or snapshot) the membership comes from, 0 for the bootstrap one
     * @param membership the membership now in effect
     * @param reason     what changed it, for logs
     */
    record MembershipChanged(long index, Membership membership, String reason) implements CoreEvent {
    }
}
