package io.raftline.raft.storage;

import io.raftline.raft.StorageException;

/** The requested entries are beyond the end of the log. */
public final class LogUnavailableException extends StorageException {

    private static final long serialVersionUID = 1L;

    public LogUnavailableException(long index, long lastIndex) {
        super("index " + index + " is beyond the last index " + lastIndex);
    }
}
