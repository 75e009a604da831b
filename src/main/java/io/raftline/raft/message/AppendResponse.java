package io.raftline.raft.message;

/**
 * Answer to an {@link AppendRequest} or a {@link SnapshotRequest}.
 *
 * <p>On success {@code index} is the last index now known to match the leader. On rejection
 * {@code index} is the rejected {@code prevLogIndex}, and {@code hintIndex}/{@code hintTerm} let the leader
 * skip a whole term of conflicting entries at once instead of one entry per round trip (fast
 * backtracking, Raft §5.3 and thesis §5.3).
 *
 * @param rejected  the consistency check failed
 * @param index     matched index (success) or rejected prevLogIndex
 * @param hintIndex largest index whose term is ≤ the rejected prevLogTerm on the follower
 * @param hintTerm  the follower's term at {@code hintIndex}
 */
public record AppendResponse(int from, int to, long term, boolean rejected, long index, long hintIndex,
        long hintTerm) implements Message {

    /** A successful answer. */
    public static AppendResponse accepted(int from, int to, long term, long index) {
        return new AppendResponse(from, to, term, false, index, 0, 0);
    }

    @Override
    public MessageKind kind() {
        return MessageKind.APPEND_ENTRIES_RESPONSE;
    }

    @Override
    public String summary() {
        return rejected ? "rejected index=" + index + " hint=" + hintIndex + "@" + hintTerm : "index=" + index;
    }
}
