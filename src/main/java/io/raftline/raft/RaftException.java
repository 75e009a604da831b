package io.raftline.raft;

/**
 * The closed set of errors Raftline reports, so that every layer (HTTP, gRPC, UI) maps them to the same
 * client-visible answer: {@link NotLeaderException} → redirect or 503 with a leader hint,
 * {@link NoQuorumException} → 503, {@link StorageException} → fail-stop, {@link ConfigException} →
 * refuse to start, {@link SerializationException} → 400 or a corrupt-data report,
 * {@link MembershipChangeException} → 409.
 */
public abstract sealed class RaftException extends RuntimeException
        permits NotLeaderException, NoQuorumException, StorageException, ConfigException, SerializationException,
        MembershipChangeException {

    private static final long serialVersionUID = 1L;

    protected RaftException(String message) {
        super(message);
    }

    protected RaftException(String message, Throwable cause) {
        super(message, cause);
    }
}
