package io.raftline.raft.message;

/**
 * The kinds of Raft message, named as in the Raft paper. The UI colours messages by kind and transports
 * use it as a compact tag on the wire.
 */
public enum MessageKind {
    REQUEST_VOTE("RequestVote", false),
    REQUEST_VOTE_RESPONSE("RequestVoteResponse", true),
    PRE_VOTE("PreVote", false),
    PRE_VOTE_RESPONSE("PreVoteResponse", true),
    APPEND_ENTRIES("AppendEntries", false),
    APPEND_ENTRIES_RESPONSE("AppendEntriesResponse", true),
    HEARTBEAT("Heartbeat", false),
    HEARTBEAT_RESPONSE("HeartbeatResponse", true),
    INSTALL_SNAPSHOT("InstallSnapshot", false),
    TIMEOUT_NOW("TimeoutNow", false),
    READ_INDEX("ReadIndex", false),
    READ_INDEX_RESPONSE("ReadIndexResponse", true),
    /** Not a Raft message: a node's sign of life to a peer while groups are quiesced (see {@link Keepalive}). */
    KEEPALIVE("Keepalive", false);

    private final String displayName;
    private final boolean response;

    MessageKind(String displayName, boolean response) {
        this.displayName = displayName;
        this.response = response;
    }

    public String displayName() {
        return displayName;
    }

    /** Responses are drawn dotted in the UI. */
    public boolean isResponse() {
        return response;
    }
}
