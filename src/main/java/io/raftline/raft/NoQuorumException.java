package io.raftline.raft;

/** A majority of the voters could not be reached in time, so the operation cannot be made safe. */
public final class NoQuorumException extends RaftException {

    private static final long serialVersionUID = 1L;

    public NoQuorumException(String message) {
        super(message);
    }
}
