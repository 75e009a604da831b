package io.raftline.node;

/**
 * Why a client request to a node did not complete. Each {@link Reason} maps to one client-visible answer
 * (see {@link Reason#httpStatus()}), so the HTTP API, a later gRPC API and the benchmark agree on what a
 * failure means and whether a retry may help.
 */
public final class NodeRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The closed set of reasons. */
    public enum Reason {
        /** This node is not the leader but knows who is ({@link #leaderHint()}): forward there. */
        NOT_LEADER("not_leader", 503),
        /** No leader is known (election in progress, or no quorum). */
        NO_LEADER("no_leader", 503),
        /** The node is crashed. */
        NODE_DOWN("node_down", 503),
        /** The node is paused. */
        NODE_PAUSED("node_paused", 503),
        /** Too many proposals are pending (backpressure). */
        OVERLOADED("overloaded", 503),
        /** Leadership changed before a read was confirmed. */
        LEADERSHIP_LOST("leadership_lost", 503),
        /** Another leader overwrote the proposed entry: it was not applied. */
        PROPOSAL_DROPPED("proposal_dropped", 503),
        /**
         * The write reached the log, but the node cannot tell whether it was applied: a snapshot replaced the
         * log around it, or the node stopped while it was pending (it may still commit on the others).
         */
        OUTCOME_UNKNOWN("outcome_unknown", 503),
        /** The node lost log entries it had acknowledged (wiped data directory) and serves nothing until replaced. */
        STATE_LOST("state_lost", 503),
        /**
         * This node forwarded the request to the leader and could not reach it: the leader may or may not have
         * received it, so a write's outcome is unknown.
         */
        LEADER_UNREACHABLE("leader_unreachable", 503),
        /** No answer within the request timeout; the write may still be applied later. */
        TIMEOUT("timeout", 504);

        private final String code;
        private final int httpStatus;

        Reason(String code, int httpStatus) {
            this.code = code;
            this.httpStatus = httpStatus;
        }

        /**
         * The error code clients see in {@code {"error": code}}.
         *
         * @return the code
         */
        public String code() {
            return code;
        }

        /**
         * The HTTP status this reason is answered with.
         *
         * @return 503 or 504
         */
        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Reason reason;
    private final int leaderHint;

    /**
     * Creates the exception.
     *
     * @param reason     why
     * @param leaderHint the leader this node knows of, or 0
     * @param message    details for the client
     */
    public NodeRequestException(Reason reason, int leaderHint, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.leaderHint = leaderHint;
    }

    /**
     * Why the request failed.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The leader the node knew of when the request failed.
     *
     * @return its id, or 0
     */
    public int leaderHint() {
        return leaderHint;
    }
}
