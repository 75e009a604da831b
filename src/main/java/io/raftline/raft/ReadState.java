package io.raftline.raft;

/**
 * The answer to a {@link RaftCore#readIndex(long)} request: once the local state machine has applied
 * {@code index}, a read that started before the request was made observes every write acknowledged
 * before it (linearizability, Raft thesis §6.4).
 *
 * @param context the caller's request id, echoed back
 * @param index   commit index the read must wait for
 */
public record ReadState(long context, long index) {
}
