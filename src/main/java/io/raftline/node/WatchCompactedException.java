package io.raftline.node;

/**
 * A watch asked for changes a node no longer holds (they were dropped from its bounded history, or precede its
 * snapshot): the client must read the state again and watch from {@link #oldestRevision()} on, or ask a node that
 * kept more. The HTTP API answers 410 Gone with that revision, as etcd does for a compacted revision.
 */
public final class WatchCompactedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long oldestRevision;
    private final int group;

    /**
     * @param requested      the revision asked for
     * @param oldestRevision the oldest revision whose changes are all held
     */
    public WatchCompactedException(long requested, long oldestRevision) {
        super("revision " + requested + " is older than the changes this node holds: the oldest is "
                + oldestRevision + "; read the state again and watch from there");
        this.requested = requested;
        this.oldestRevision = oldestRevision;
        this.group = -1;
    }

    private WatchCompactedException(long requested, long oldestRevision, int group, int groups) {
        // A revision names a place in one group's log, and a sharded watch cannot start from one: the advice that works
        // is a new watch, whose first id names every group's start, then a read of the state.
        super("group " + group + " of " + groups + ": revision " + requested + " is older than the changes this node"
                + " holds for that group: the oldest is " + oldestRevision + "; start a new watch without a last id (its"
                + " first id names every group's start), then read the state again: every change after that start"
                + " comes on the watch");
        this.requested = requested;
        this.oldestRevision = oldestRevision;
        this.group = group;
    }

    /**
     * The same refusal, said of one group of a sharded node's watch.
     *
     * @param group  the group whose history no longer holds the revision, by its index
     * @param groups how many groups the cluster has
     * @return the refusal naming the group
     */
    public WatchCompactedException inGroup(int group, int groups) {
        return new WatchCompactedException(requested, oldestRevision, group, groups);
    }

    /**
     * The group whose history no longer holds the revision.
     *
     * @return its index, or -1 on a node of one group
     */
    public int group() {
        return group;
    }

    /** The revision asked for. */
    public long requested() {
        return requested;
    }

    /** The oldest revision whose changes are all held. */
    public long oldestRevision() {
        return oldestRevision;
    }
}
