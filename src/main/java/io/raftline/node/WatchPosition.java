package io.raftline.node;

/**
 * Where a watch of one Raft group goes on: the change at index {@code skip} among the changes of revision
 * {@code revision} (a transaction makes several), then every later one. Nothing before it is delivered, so a client
 * that resumes at the position just after the last change it received sees no gap and no duplicate.
 *
 * @param revision the first revision delivered (at least 1)
 * @param skip     how many changes of {@code revision} come before the position (the client has them)
 */
public record WatchPosition(long revision, int skip) {

    /**
     * Checks the position.
     *
     * @throws IllegalArgumentException if {@code revision < 1} or {@code skip < 0}
     */
    public WatchPosition {
        if (revision < 1 || skip < 0) {
            throw new IllegalArgumentException("a watch position is a revision >= 1 and a skip >= 0, got " + revision
                    + " and " + skip);
        }
    }

    /**
     * Whether this position is after {@code other} (so a watcher at this position has passed more changes).
     *
     * @param other the other position
     * @return true if strictly later
     */
    public boolean isAfter(WatchPosition other) {
        return revision > other.revision || revision == other.revision && skip > other.skip;
    }
}
