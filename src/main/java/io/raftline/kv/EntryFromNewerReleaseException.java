package io.raftline.kv;

/**
 * A committed log entry names an operation this release does not know: a newer release proposed it, and this replica
 * cannot apply it. It exists so that a node stops there instead of skipping the entry: the replicas that run the newer
 * release apply it, and a replica that skipped it would hold a different state from then on, silently, for good. The
 * node's log keeps the entry; started again with a release that knows the operation, it applies it and goes on.
 */
public final class EntryFromNewerReleaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The entry's log index. */
    private final long index;

    /**
     * Creates the exception.
     *
     * @param index the entry's log index
     * @param cause what the codec found unknown
     */
    public EntryFromNewerReleaseException(long index, KvFormatException cause) {
        super("the committed entry at index " + index + " was written by a newer Raftline release ("
                + cause.getMessage() + "): this release cannot apply it; run this node with the release the other members run", cause);
        this.index = index;
    }

    /**
     * The entry's log index.
     *
     * @return the index
     */
    public long index() {
        return index;
    }
}
