package io.raftline.raft;

/**
 * One single-server membership change a leader can propose with {@link RaftCore#changeMembership}. The closed
 * set is the whole policy: each moves at most one id in or out of the voters, which is what keeps changes safe
 * without joint consensus (Raft thesis §4.1), while learners come and go freely since they count for no quorum.
 */
public sealed interface MembershipChange {

    /** The node the change is about. */
    int id();

    /** One line for messages and logs, e.g. {@code add learner 4}. */
    String describe();

    /**
     * Adds {@code id} as a learner: it receives the log and snapshots but does not vote.
     *
     * @param id      the new member
     * @param address the URL of its client API, recorded in the membership ({@link Membership#addresses()}), or
     *                empty when every node's configuration already knows it
     */
    record AddLearner(int id, String address) implements MembershipChange {
        /** A null address is empty. */
        public AddLearner {
            address = address == null ? "" : address;
        }

        /** No address. */
        public AddLearner(int id) {
            this(id, "");
        }

        @Override
        public String describe() {
            return "add learner " + id;
        }
    }

    /** Turns learner {@code id} into a voter (once it has caught up, see {@link RaftCore#caughtUp}). */
    record Promote(int id) implements MembershipChange {
        @Override
        public String describe() {
            return "promote " + id;
        }
    }

    /**
     * Adds {@code id} directly as a voter. Safe, but the quorum grows at once while the new node's log is still
     * empty: prefer {@link AddLearner} then {@link Promote}.
     *
     * @param id      the new member
     * @param address the URL of its client API, or empty (see {@link AddLearner})
     */
    record AddVoter(int id, String address) implements MembershipChange {
        /** A null address is empty. */
        public AddVoter {
            address = address == null ? "" : address;
        }

        /** No address. */
        public AddVoter(int id) {
            this(id, "");
        }

        @Override
        public String describe() {
            return "add voter " + id;
        }
    }

    /** Removes voter or learner {@code id} (the leader itself included: it steps down once the change commits). */
    record Remove(int id) implements MembershipChange {
        @Override
        public String describe() {
            return "remove " + id;
        }
    }
}
