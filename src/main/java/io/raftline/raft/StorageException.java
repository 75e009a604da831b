package io.raftline.raft;

/**
 * Stable storage failed or cannot serve the request. Storage failures make a node stop acknowledging
 * anything (fail-stop): a node that cannot persist must not pretend it did.
 */
public non-sealed class StorageException extends RaftException {

    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
