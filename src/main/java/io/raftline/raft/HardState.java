package io.raftline.raft;

/**
 * The state Raft requires on stable storage before a node answers any message (Raft §5, Figure 2):
 * the current term, the vote cast in it, and the commit index (kept so a restarted node does not
 * have to wait for the leader to learn what it had already applied).
 *
 * @param term   latest term this node has seen
 * @param vote   candidate voted for in {@code term}, or 0 for none
 * @param commit highest log index known to be committed
 */
public record HardState(long term, int vote, long commit) {

    /** The state of a node that has never run. */
    public static final HardState EMPTY = new HardState(0, 0, 0);

    public HardState {
        if (term < 0 || vote < 0 || commit < 0) {
            throw new IllegalArgumentException("hard state fields must be >= 0: " + term + "/" + vote + "/" + commit);
        }
    }
}
