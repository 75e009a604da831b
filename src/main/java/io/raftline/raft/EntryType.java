package io.raftline.raft;

/** What a log entry carries: client data for the state machine, or the empty entry a new leader appends. */
public enum EntryType {
    /** Opaque bytes proposed by a client, applied by the state machine. */
    NORMAL,
    /**
     * The empty entry a leader appends when elected. Committing it commits every earlier entry
     * (Raft §5.4.2) and lets the leader serve ReadIndex reads (§6.4).
     */
    NOOP
}
