package io.raftline.node;

import java.util.Optional;

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
        /**
         * The node lost log entries it had acknowledged (wiped data directory): it no longer votes, answers what it
         * would serve itself (stale reads, probes) with this, and forwards the rest to the leader until replaced.
         */
        STATE_LOST("state_lost", 503),
        /**
         * The node is not a member of the cluster: it was started to join and has not been added yet, or it was
         * removed. It serves only its status.
         */
        NOT_MEMBER("not_member", 503),
        /** A membership change names a node that is not a member. */
        UNKNOWN_MEMBER("unknown_member", 404),
        /** A membership change adds a node that is already a member, or an address another member has. */
        MEMBER_EXISTS("member_exists", 409),
        /** A previous membership change is not committed yet: one change at a time; retry. */
        CHANGE_PENDING("change_pending", 409),
        /** A new leader has not committed an entry of its term yet and accepts no membership change; retry. */
        LEADER_NOT_READY("leader_not_ready", 409),
        /** A learner cannot be promoted while its log lags the leader's; retry once it caught up. */
        LEARNER_LAGGING("learner_lagging", 409),
        /** The membership change breaks another rule (removing the last voter, promoting a voter, ...). */
        INVALID_CHANGE("invalid_change", 409),
        /**
         * A change of the voters that the voters answering the leader could not commit (one of them down, or a node
         * added as a voter before it answers): made, it would stall the group until they came back; retry once they
         * answer, or add a new node as a learner first.
         */
        QUORUM_UNAVAILABLE("quorum_unavailable", 409),
        /**
         * A command of a kind of log entry a member of the group does not apply (it runs an older release), or a
         * member that did not say what it applies: nothing was written; retry once every node runs this release.
         */
        RELEASE_MISMATCH("release_mismatch", 409),
        /** A leadership transfer did not complete (the target did not take over in time, or a new term began). */
        TRANSFER_FAILED("transfer_failed", 409),
        /**
         * This node forwarded the request to the leader and could not reach it: the leader may or may not have
         * received it, so a write's outcome is unknown.
         */
        LEADER_UNREACHABLE("leader_unreachable", 503),
        /** No answer within the request timeout; the write may still be applied later. */
        TIMEOUT("timeout", 504),
        /**
         * The write would grow the key space beyond its quota ({@code limits.quota_bytes}): refused by the leader
         * before it was proposed, so it was not applied. Reads, deletes and writes that do not grow it still work.
         */
        QUOTA_EXCEEDED("quota_exceeded", 507),
        /**
         * A transaction whose keys belong to more than one Raft group of a sharded cluster: each group orders its own
         * writes, so no single log could apply it atomically.
         */
        CROSS_GROUP("cross_group", 400),
        /**
         * The leader refused a forwarded request as larger than it accepts (nodes configured with different
         * {@code service.max_body_bytes}): it was not carried out.
         */
        PAYLOAD_TOO_LARGE("payload_too_large", 413),
        /**
         * The leader answered a forwarded request with an HTTP error of its own rather than a result (a forward it
         * could not read or would not take: nodes of different versions or configurations, a credential it does not
         * accept): it was not carried out, and asking again will not help.
         */
        LEADER_REFUSED("leader_refused", 502),
        /**
         * A node the local cluster was asked to start could not listen on its port: another process holds it. Nothing
         * was changed (the node was stopped again before anything was proposed for it); free the port and ask again.
         */
        PORT_IN_USE("port_in_use", 409);

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
         * The reason a client-visible code names: what a node that relays another node's refusal (forwarding, the
         * Redis protocol) reads back.
         *
         * @param code an error code such as {@code not_leader}
         * @return the reason, or empty if no reason has that code
         */
        public static Optional<Reason> fromCode(String code) {
            for (Reason r : values()) {
                if (r.code.equals(code)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
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
