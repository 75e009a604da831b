package io.raftline.events;

/**
 * The fields every event carries. A node thread fills in only {@code ts} and {@code node} when it reports a
 * fact; the publisher assigns {@code seq} and the node's {@code term} and {@code role} when it publishes, in
 * the one order every consumer sees.
 *
 * @param seq  cluster-wide sequence number, strictly increasing in publication order (0 until published)
 * @param ts   when the fact happened, epoch milliseconds
 * @param node the node it happened on, 0 for cluster-wide events
 * @param term the node's term when the event was published
 * @param role the node's role then ({@code Follower}, {@code PreCandidate}, {@code Candidate},
 *             {@code Leader}, {@code Down}), or empty for cluster-wide events
 */
public record EventHeader(long seq, long ts, int node, long term, String role) {

    /**
     * Checks the fields.
     *
     * @param seq  sequence number
     * @param ts   timestamp
     * @param node node id
     * @param term term
     * @param role role name
     */
    public EventHeader {
        if (seq < 0 || node < 0 || term < 0) {
            throw new IllegalArgumentException("seq, node and term must be >= 0, got " + seq + ", " + node + ", " + term);
        }
        role = role == null ? "" : role;
    }

    /**
     * The header of a fact just observed, before publication.
     *
     * @param ts   when it happened
     * @param node where
     * @return a header with no sequence number, term or role yet
     */
    public static EventHeader observed(long ts, int node) {
        return new EventHeader(0, ts, node, 0, "");
    }

    /**
     * This header as published.
     *
     * @param seq  the sequence number
     * @param term the node's term
     * @param role the node's role
     * @return a new header
     */
    public EventHeader published(long seq, long term, String role) {
        return new EventHeader(seq, ts, node, term, role);
    }
}
