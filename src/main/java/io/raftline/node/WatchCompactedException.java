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

    /**
     * @param requested      the revision asked for
     * @param oldestRevision the oldest revision whose changes are all held
     */
    public WatchCompactedException(long requested, long oldestRevision) {
        super("revision " + requested + " is older than the changes this node holds: the oldest is "
                + oldestRevision + "; read the state again and watch from there");
        this.requested = requested;
        this.oldestRevision = oldestRevision;
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
