package io.raftline.raft.storage;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import java.util.List;

/**
 * The core's read-only view of what the host has made durable: the hard state, the log after the
 * latest snapshot, and the snapshot. The host writes to its implementation while handling a Ready
 * (append entries, set hard state, install snapshot) and compacts it after taking snapshots; the core
 * only reads. Every index in {@code [firstIndex() - 1, lastIndex()]} has a term; {@code firstIndex() - 1}
 * is the snapshot's index.
 */
public interface Storage {

    /** The persisted term, vote and commit index. */
    HardState hardState();

    /**
     * Entries in {@code [lo, hi)}, stopping once {@code maxBytes} is exceeded (at least one entry is always
     * returned when the range is not empty).
     *
     * @throws LogCompactedException  if {@code lo < firstIndex()}
     * @throws LogUnavailableException if {@code hi > lastIndex() + 1}
     */
    List<Entry> entries(long lo, long hi, long maxBytes);

    /**
     * Term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}.
     *
     * @throws LogCompactedException  below that range
     * @throws LogUnavailableException above it
     */
    long term(long index);

    /** Index of the first entry still in the log (snapshot index + 1). */
    long firstIndex();

    /** Index of the last entry (the snapshot index if the log is empty). */
    long lastIndex();

    /** The latest snapshot ({@link Snapshot#EMPTY} if none). */
    Snapshot snapshot();
}
