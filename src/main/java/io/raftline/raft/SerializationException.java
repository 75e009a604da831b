package io.raftline.raft;

/** Bytes could not be turned back into a message, entry, command or snapshot: they are malformed or corrupt. */
public final class SerializationException extends RaftException {

    private static final long serialVersionUID = 1L;

    public SerializationException(String message) {
        super(message);
    }

    public SerializationException(String message, Throwable cause) {
        super(message, cause);
    }
}
