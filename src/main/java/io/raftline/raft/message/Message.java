package io.raftline.raft.message;

/**
 * A message between two Raft nodes. Every message carries the sender's term: the term rules of Raft §5.1
 * (step down on a higher term, ignore or answer a lower one) are applied to all kinds before the
 * kind-specific handling.
 */
public sealed interface Message permits VoteRequest, VoteResponse, AppendRequest, AppendResponse, Heartbeat,
        HeartbeatResponse, SnapshotRequest, TimeoutNow, ReadIndexRequest, ReadIndexResponse, Keepalive {

    /** Sender id. */
    int from();

    /** Recipient id. */
    int to();

    /** Sender's term (for PreVote requests and granted PreVote responses: the term the election would use). */
    long term();

    /** What kind of message this is. */
    MessageKind kind();

    /** The fields that matter, in one line, without sender, recipient or term. */
    String summary();

    /** One line for logs and scenario files: {@code 1->2 AppendEntries term=2 prev=5@1 ...}. */
    default String describe() {
        return from() + "->" + to() + " " + kind().displayName() + " term=" + term() + (summary().isEmpty() ? ""
                : " " + summary());
    }
}
