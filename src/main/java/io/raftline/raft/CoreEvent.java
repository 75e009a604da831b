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

    /**
     * Leadership transfer to {@code target} started, was handed over, or ended ({@code outcome}); {@code description}
     * says it in words for logs and events ("aborted: timed out", "aborted: term 3 began").
     */
    record LeadershipTransfer(int target, TransferOutcome outcome, String description) implements CoreEvent {
    }

    /** What became of a leadership transfer, as the leader sees it. */
    enum TransferOutcome {
        /** The leader stopped accepting proposals and is bringing the target up to date. */
        STARTED,
        /** A removed leader handed its leadership to the most up-to-date voter. */
        HANDED_OVER,
        /** The transfer failed: it timed out before the target was told to campaign, or it is no longer a voter. */
        ABORTED,
        /**
         * The leader stopped waiting for a transfer (an election timeout passed) after it told the target to campaign:
         * the target's election may still make it leader, or fail. The leader accepts proposals again; the leader
         * learned next decides whether the transfer worked.
         */
        UNDECIDED,
        /**
         * A new term began, which is also what a successful transfer looks like from the old leader (the target's
         * election): the leader learned next decides whether it worked.
         */
        SUPERSEDED
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

    /**
     * This node's group went quiet ({@code quiet}: an idle leader stopped heartbeating, or its follower stopped its
     * election timer) or woke up again; {@code reason} says why (see {@link RaftConfig#quiesceMs()}).
     */
    record Quiescence(boolean quiet, String reason) implements CoreEvent {
    }
}
