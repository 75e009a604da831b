package io.raftline.raft.storage;

import io.raftline.raft.StorageException;

/** The requested entries were discarded by log compaction; the caller needs the snapshot instead. */
public final class LogCompactedException extends StorageException {

    private static final long serialVersionUID = 1L;

    public LogCompactedException(long index, long firstIndex) {
        super("index " + index + " is compacted (log starts at " + firstIndex + ")");
    }
}
