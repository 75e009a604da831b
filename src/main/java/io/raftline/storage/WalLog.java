package io.raftline.storage;

import java.util.List;

/**
 * The write-ahead log one Raft group's {@link DurableStorage} writes through: a {@link Wal} of its own (a node of one
 * group), or the group's share of the log all groups of a node write together ({@link SharedWal#group}). It exists so
 * that the recovery and compaction rules of {@code DurableStorage} are written once, whichever log holds the records.
 *
 * <p>Called by one thread at a time, in order (the store's WAL worker), like {@link Wal}.
 */
public interface WalLog {

    /** This log's records found when it was opened (or, on a shared log, when it is re-read), in write order. */
    List<WalRecord> recoveredRecords();

    /** Appends a batch; not durable until {@link #sync()}. */
    void append(List<WalRecord> records);

    /** Makes everything appended so far durable. */
    void sync();

    /** fsyncs of the underlying log since it was opened (on a shared log: all groups' together). */
    long fsyncs();

    /**
     * Notes that a durable snapshot covers this log's entries up to {@code index}: segments whose entries are all
     * covered may be deleted.
     */
    default void noteSnapshot(long index) {
    }

    /**
     * Called at recovery with the snapshot it starts from: refuses a segment lost between surviving ones (see
     * {@link Wal#refuseLostSegments}). A group's share of a shared log checks nothing here.
     *
     * @param snapshotIndex the snapshot's index (0: none)
     */
    default void refuseLostSegments(long snapshotIndex) {
    }

    /**
     * Deletes the segments that nothing needs any more now that entries up to {@code index} live in a durable
     * snapshot whose record (and the current hard state) were appended and synced.
     *
     * @return bytes freed
     */
    long deleteSegmentsUpTo(long index);

    /** Bytes of log on disk (on a shared log: the whole log). */
    long sizeBytes();

    /**
     * How many bytes of log a snapshot of this group could free: its own log's size, or, on a shared log, the whole
     * log's size while this group holds entries in its oldest segment (which must go first) and 0 otherwise.
     */
    default long compactionPressureBytes() {
        return sizeBytes();
    }

    /** Whether an I/O error made the log unusable (fail-stop). */
    boolean failed();

    /**
     * Why this log's files must not be read again in this process after it failed, or null if they may (it never
     * failed, or only a write failed, whose lost part a re-read cuts as a torn tail). After a failed fsync the kernel
     * may keep serving from its cache pages it could not write, so a re-read would trust entries that are not on
     * disk, and a new fsync would report success for them: only a fresh start of the machine's page cache (or a
     * replaced node) makes what the disk holds known again.
     *
     * @return the reason, or null
     */
    String reopenRefusal();

    /** Releases this log's files (a group's share of a shared log releases nothing: its owner closes it). */
    void close();
}
