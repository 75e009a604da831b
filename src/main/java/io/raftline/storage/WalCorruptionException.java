package io.raftline.storage;

import io.raftline.raft.StorageException;
import java.nio.file.Path;

/**
 * The write-ahead log is damaged somewhere other than its tail: a record in the middle of the log fails its
 * checksum or cannot be parsed. Unlike a torn tail (an interrupted last write, which recovery truncates),
 * this cannot be repaired without losing acknowledged data, so the node refuses to start and says where.
 */
public final class WalCorruptionException extends StorageException {

    private static final long serialVersionUID = 1L;

    public WalCorruptionException(Path file, long offset, String what) {
        super("write-ahead log corrupt in " + file + " at offset " + offset + ": " + what
                + " (not a torn tail: valid data follows; refusing to start rather than lose acknowledged writes)");
    }

    /**
     * Damage that is not told apart by valid data after it, but by a rule of how the log is written.
     *
     * @param file   the segment
     * @param offset where the damage is
     * @param what   what is wrong there
     * @param why    why it cannot be the trace of an interrupted write
     */
    public WalCorruptionException(Path file, long offset, String what, String why) {
        super("write-ahead log corrupt in " + file + " at offset " + offset + ": " + what + " (" + why
                + "; refusing to start rather than lose acknowledged writes)");
    }
}
