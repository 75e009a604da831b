package io.raftline.raft;

/**
 * What a log entry carries: client data for the state machine, the empty entry a new leader appends, or a new
 * cluster membership. The WAL stores the {@link #ordinal()}, so new types are only ever added at the end.
 */
public enum EntryType {
    /** Opaque bytes proposed by a client, applied by the state machine. */
    NORMAL,
    /**
     * The empty entry a leader appends when elected. Committing it commits every earlier entry
     * (Raft §5.4.2) and lets the leader serve ReadIndex reads (§6.4).
     */
    NOOP,
    /**
     * A complete new {@link Membership} ({@link Membership#encode()} in the data). It takes effect on every node
     * as soon as it is in its log, committed or not (Raft thesis §4.1); the state machine applies it as a no-op.
     */
    CONFIG
}
