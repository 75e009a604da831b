package io.raftline.raft;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Pending ReadIndex requests on the leader (thesis §6.4). Each request records the commit index at the
 * time it arrived and a round number; heartbeats carry the newest round, and an acknowledgement of round
 * {@code r} from a follower confirms every request with a round {@code <= r}: the follower still followed
 * us after those requests were registered. Requests are released in order once a majority confirmed them.
 */
final class ReadIndexQueue {

    /** One pending read: who asked (0 = this node), its context, the index to read at, who confirmed. */
    record Pending(int from, long context, long index, long round, Set<Integer> acks) {
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();

    /** Registers a read at {@code index}, confirmed by answers to heartbeat {@code round} or later. */
    void add(int self, int from, long context, long index, long round) {
        Set<Integer> acks = new HashSet<>();
        acks.add(self);
        queue.add(new Pending(from, context, index, round, acks));
    }

    /** Records that {@code peer} acknowledged {@code round}. */
    void ack(int peer, long round) {
        for (Pending p : queue) {
            if (p.round() > round) {
                break;
            }
            p.acks().add(peer);
        }
    }

    /**
     * Removes and returns the oldest request if a quorum of {@code membership}'s voters confirmed it, else null.
     * Acknowledgements of learners (and of members removed since) are recorded but never counted.
     */
    Pending pollConfirmed(Membership membership) {
        Pending head = queue.peekFirst();
        if (head == null) {
            return null;
        }
        int votes = 0;
        for (int peer : head.acks()) {
            if (membership.isVoter(peer)) {
                votes++;
            }
        }
        return votes >= membership.quorum() ? queue.pollFirst() : null;
    }

    int size() {
        return queue.size();
    }

    void clear() {
        queue.clear();
    }
}
