package io.raftline.storage;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.StorageException;
import io.raftline.raft.storage.MemoryStorage;
import io.raftline.raft.storage.Storage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One node's durable state: the write-ahead log and the snapshot files under its data directory, plus the
 * in-memory copy of the log tail that the Raft core reads through {@link Storage}.
 *
 * <p>Two sides, two threads. The <em>worker side</em> ({@link #write}, {@link #sync}, {@link #writeSnapshot},
 * {@link #compact}) does the file I/O and fsyncs; the host runs it on one ordered worker, never on an event
 * loop; only {@link #writeSnapshotFile} may run on a second worker, since it does not touch the WAL. The <em>memory side</em> ({@link #applyWritten}, {@link #applyCompaction} and the {@link Storage}
 * reads) belongs to the node's event loop, which calls {@code applyWritten} once the worker reports a write
 * durable and before it calls {@code RaftCore.advance}. The core only reads entries it was told are stable,
 * so it never sees the memory side ahead of the disk.
 *
 * <p>Recovery ({@link #open}): the newest valid snapshot, then every WAL record in order (an entry at index
 * {@code i} replaces the log from {@code i} on, even when {@code i} is at or below the snapshot; a snapshot
 * received from the leader replaces the whole log; the last hard state wins). A torn WAL tail is truncated and
 * reported; damage anywhere else, a gap between the snapshot and the log, or a commit index beyond the log
 * stop the node with a message that says what is wrong. A snapshot whose WAL record a crash lost is recorded
 * then, so the log written after it replays after it.
 */
public final class DurableStorage implements Storage {

    private final MemoryStorage memory = new MemoryStorage();
    private final WalLog wal;
    private final SnapshotStore snapshots;
    private final List<String> recoveryNotes = new ArrayList<>();
    /** Worker side: the hard state last written, re-written after compaction so it never lives only in a deleted segment. */
    private HardState lastWrittenHardState;
    private int recoveredEntries;
    // Written by the worker, read by status requests on other threads.
    private volatile long entriesWritten;
    /**
     * Why a snapshot file could not be written (null: none failed). Such a failure stops the node (fail-stop) as a
     * failed WAL write does, so it is the store's failure too: set on the thread that wrote the file, read by status
     * requests and the node's refusals on other threads.
     */
    private volatile String snapshotFailure;

    private DurableStorage(WalLog wal, SnapshotStore snapshots) {
        this.wal = wal;
        this.snapshots = snapshots;
    }

    /**
     * Opens and recovers the storage in {@code dataDir} ({@code wal/} and {@code snap/} below it).
     *
     * @param warn receives one line per repair or notable finding during recovery
     */
    public static DurableStorage open(Path dataDir, long segmentBytes, Consumer<String> warn) {
        return open(NioDisk.INSTANCE, dataDir, segmentBytes, warn);
    }

    /**
     * As {@link #open(Path, long, Consumer)}, doing all file I/O through {@code disk} (the simulator passes a disk
     * that crashes; production passes {@link NioDisk}).
     */
    public static DurableStorage open(Disk disk, Path dataDir, long segmentBytes, Consumer<String> warn) {
        Path walDir = dataDir.resolve("wal");
        return open(disk, dataDir, snap -> {
            refuseSnapshotWithoutLog(disk, dataDir, walDir, snap);
            return notes -> Wal.open(disk, walDir, segmentBytes, notes);
        }, warn);
    }

    /**
     * Refuses a snapshot without a write-ahead log: the log is created (and its first segment synced) at the node's
     * first start, before it can hold a snapshot, and the segment holding the newest hard state is never deleted (a
     * compaction writes the hard state again into the current segment first). So a {@code wal/} missing or holding no
     * segment beside a snapshot is damage, and the node's term and vote went with it: started, it would vote again in
     * terms it had voted in, and the rejoin check (which asks the peers only about an empty directory) would not stop
     * it.
     */
    private static void refuseSnapshotWithoutLog(Disk disk, Path dataDir, Path walDir, Snapshot snap) {
        if (snap.isEmpty()) {
            return;
        }
        boolean missing;
        try {
            missing = !disk.isDirectory(walDir) || disk.list(walDir).stream()
                    .noneMatch(p -> p.getFileName().toString().matches("[0-9a-f]{16}\\.wal"));
        } catch (java.io.IOException e) {
            throw new StorageException("cannot read " + walDir + ": " + e.getMessage(), e);
        }
        if (missing) {
            throw new StorageException("data directory " + dataDir + " holds snapshot " + snap.index() + "@"
                    + snap.term() + " but no write-ahead log (" + walDir + " is missing or holds no segment): the"
                    + " node's term, vote and log went with it, and it would vote again in terms it voted in."
                    + " Do not start it under this id: remove the member and add a new one with a new id and an"
                    + " empty data directory, or restore the directory (docs/operations.md, \"A node that refuses"
                    + " to start\")");
        }
    }

    /**
     * Opens and recovers one group's storage whose log is its share of the node's {@link SharedWal}: its snapshots in
     * {@code groupDir/snap}, its records from {@code log}.
     */
    public static DurableStorage open(Disk disk, Path groupDir, WalLog log, Consumer<String> warn) {
        return open(disk, groupDir, snap -> notes -> {
            try {
                disk.createDirectoriesDurably(groupDir);
            } catch (java.io.IOException e) {
                throw new StorageException("cannot create " + groupDir + ": " + e.getMessage(), e);
            }
            return log;
        }, warn);
    }

    private static DurableStorage open(Disk disk, Path dataDir,
            java.util.function.Function<Snapshot, java.util.function.Function<Consumer<String>, WalLog>> openLog,
            Consumer<String> warn) {
        List<String> notes = new ArrayList<>();
        Consumer<String> both = s -> {
            notes.add(s);
            warn.accept(s);
        };
        SnapshotStore snaps = new SnapshotStore(disk, dataDir.resolve("snap"));
        Snapshot snap = snaps.loadNewest(both).orElse(Snapshot.EMPTY);
        WalLog wal = openLog.apply(snap).apply(both);
        DurableStorage ds = new DurableStorage(wal, snaps);
        try {
            syncDataDirectory(disk, dataDir);
            wal.noteSnapshot(snap.index());
            wal.refuseLostSegments(snap.index());
            if (ds.replay(snap, wal.recoveredRecords(), both)) {
                // The snapshot replaced the log but the WAL does not say so (the crash came between the snapshot
                // file and its record). Say it now: entries written after the snapshot will follow this record, and
                // without it the next recovery would read them as following the old log (a gap, or a tail to drop).
                wal.append(List.of(new WalRecord.SnapshotInstalledRecord(snap.index(), snap.term())));
                wal.sync();
                both.accept("recorded in the write-ahead log that snapshot " + snap.index() + "@" + snap.term()
                        + " replaced the log (its record was lost in a crash)");
            }
        } catch (RuntimeException e) {
            wal.close();
            throw e;
        }
        ds.recoveryNotes.addAll(notes);
        return ds;
    }

    /**
     * fsyncs the data directory and its parent. A process killed between creating {@code wal/}, {@code snap/} (or
     * the data directory) and fsyncing the parent leaves that directory in the page cache only; it exists at the
     * restart, so nothing would create it, or sync its parent, again, and a power cut would take it away with
     * everything written into it since. Directories above the data directory's parent are not synced: they could
     * only be lost by a kill in the very first start, before any data existed.
     */
    private static void syncDataDirectory(Disk disk, Path dataDir) {
        Path abs = dataDir.toAbsolutePath();
        try {
            disk.syncDirectory(abs);
            if (abs.getParent() != null) {
                disk.syncDirectory(abs.getParent());
            }
        } catch (java.io.IOException e) {
            throw new StorageException("cannot fsync data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rebuilds the log from the newest snapshot and the WAL records, in write order, exactly as the writes
     * left it. Every record counts, including entry records at or below the snapshot index: an entry at
     * {@code i} replaced the log from {@code i} on when it was written, so it also removes entries past the
     * snapshot that an older leader had written (skipping it would bring that truncated tail back). Only
     * entries past the snapshot index are kept in memory; the ones at or below it live in the snapshot.
     *
     * @return whether the snapshot replaced the log without a WAL record saying so (the log the records leave
     *         does not hold the snapshot's entry): the caller must record it before anything else is written
     */
    private boolean replay(Snapshot snap, List<WalRecord> records, Consumer<String> note) {
        long base = snap.index();
        long baseTerm = snap.term();
        ArrayList<Entry> tail = new ArrayList<>();
        // The log's last index as the records leave it, and the term it holds at the snapshot index (NONE
        // once a truncation cut the log below it). Before the first record the log is the snapshot.
        long last = base;
        long termAtBase = baseTerm;
        HardState hs = HardState.EMPTY;
        // A gap past the snapshot not closed yet: its first missing index (0: none), and what the error would say.
        long gapAt = 0;
        String gap = null;
        for (WalRecord r : records) {
            if (r instanceof WalRecord.EntryRecord er) {
                Entry e = er.entry();
                long i = e.index();
                if (gapAt > 0) {
                    if (i > gapAt) {
                        // Still past the gap: an entry that a later record must overwrite for the log to be whole.
                        last = i;
                        continue;
                    }
                    // Overwritten from the gap or before it on: what followed the gap is gone, and the tail is whole
                    // again up to here.
                    gapAt = 0;
                    gap = null;
                } else if (i > last + 1 && i > base + 1) {
                    // Dead entries hold no segment (Wal.noteRecord): a segment whose entries were all covered by the
                    // snapshot or overwritten is deleted, and entries an overwrite made dead may still follow it in a
                    // later segment, their predecessors gone with it. Such entries are followed by the overwrite, which
                    // closes the gap; a gap still open at the end is a loss.
                    gapAt = last + 1;
                    gap = "log gap during recovery: entry " + i + " follows " + last + " (snapshot at " + base
                            + "); the snapshot file that covered the gap is missing or damaged";
                    last = i;
                    continue;
                }
                if (i > last + 1) {
                    // The snapshot covers every missing entry: a segment that only held covered entries is gone (a
                    // log written before 2026-12-05 synced the unlinks of a compaction once, at its end, and they may
                    // reach the disk in any order at a power cut; now each is synced before the next) and nothing
                    // needed went with it. Segments go only once a snapshot covering them is recorded, so the log
                    // held the snapshot's entry where the gap swallowed it.
                    note.accept("entries " + (last + 1) + ".." + (i - 1) + " are missing from the write-ahead log; the"
                            + " snapshot at " + base + " covers them");
                    if (i == base + 1) {
                        termAtBase = baseTerm;
                    }
                }
                if (i <= base) {
                    tail.clear();
                    termAtBase = i == base ? e.term() : NONE;
                } else {
                    truncateFrom(tail, base, i);
                    tail.add(e);
                }
                last = i;
            } else if (r instanceof WalRecord.HardStateRecord h) {
                hs = h.hardState();
            } else if (r instanceof WalRecord.SnapshotInstalledRecord si) {
                gapAt = 0;
                gap = null;
                if (si.index() > base) {
                    throw new StorageException("the write-ahead log records that a snapshot at " + si.index() + "@"
                            + si.term() + " replaced the log, but the newest valid snapshot file is at " + base
                            + ": the snapshot file is missing or damaged");
                }
                tail.clear();
                last = si.index();
                termAtBase = si.index() == base ? si.term() : NONE;
            }
            // A SnapshotRecord (compaction) changes nothing in the log: entries after it stay.
        }
        if (gap != null) {
            throw new StorageException(gap);
        }
        boolean unrecorded = termAtBase != baseTerm;
        if (!tail.isEmpty() && unrecorded) {
            // The snapshot was written but the crash came before its WAL record: the entries after it belong to
            // a log the snapshot replaced (they conflict with it at its index) and were never acknowledged.
            note.accept("dropped " + tail.size() + " log entries after index " + base
                    + " that belong to the log a received snapshot replaced (its WAL record was not written)");
            tail.clear();
        }
        if (!snap.isEmpty()) {
            memory.applySnapshot(snap);
        }
        memory.append(tail);
        recoveredEntries = tail.size();
        if (hs.commit() > memory.lastIndex()) {
            throw new StorageException("recovered commit index " + hs.commit() + " is beyond the last recovered entry "
                    + memory.lastIndex() + ": entries that were committed are missing");
        }
        // The commit index can never be below the snapshot (a snapshot holds committed entries only).
        if (hs.commit() < memory.snapshot().index()) {
            hs = new HardState(hs.term(), hs.vote(), memory.snapshot().index());
        }
        memory.setHardState(hs);
        lastWrittenHardState = hs;
        return unrecorded;
    }

    /** Term marker for "the log does not reach the snapshot index". */
    private static final long NONE = -1;

    /** Drops the entries at {@code from} and after from {@code tail}, which holds the entries after {@code base}. */
    private static void truncateFrom(ArrayList<Entry> tail, long base, long from) {
        int keep = (int) (from - base - 1);
        if (tail.size() > keep) {
            tail.subList(keep, tail.size()).clear();
        }
    }

    /** Repairs and findings of the recovery (torn tails truncated, damaged snapshots set aside). */
    public List<String> recoveryNotes() {
        return List.copyOf(recoveryNotes);
    }

    /** Number of log entries replayed from the WAL at open. */
    public int recoveredEntries() {
        return recoveredEntries;
    }

    // ------------------------------------------------------------------ worker side

    /**
     * Appends entries and the hard state to the WAL and, if {@code sync}, fsyncs: one call per Raft Ready
     * covers all its entries with one fsync (group commit).
     */
    public void write(List<Entry> entries, HardState hardState, boolean sync) {
        checkNoSnapshotFailure();
        List<WalRecord> records = new ArrayList<>(entries.size() + 1);
        for (Entry e : entries) {
            records.add(new WalRecord.EntryRecord(e));
        }
        if (hardState != null) {
            records.add(new WalRecord.HardStateRecord(hardState));
        }
        wal.append(records);
        // Only once appended: a batch the log refuses whole (a record over Wal.MAX_RECORD_BYTES) leaves the log usable
        // and holds nothing of it, and the hard state it carried must not be written later by recordCompaction.
        if (hardState != null) {
            lastWrittenHardState = hardState;
        }
        entriesWritten += entries.size();
        if (sync) {
            sync();
        }
    }

    /**
     * Makes everything written so far durable (one fsync). {@link #write} with {@code sync} calls it; a host that
     * wants the write and the fsync as separate steps calls it itself.
     */
    public void sync() {
        wal.sync();
    }

    /** fsyncs issued since open (on a shared log: by all its groups). */
    public long fsyncs() {
        return wal.fsyncs();
    }

    /** Log entries written since open. */
    public long entriesWritten() {
        return entriesWritten;
    }

    /**
     * Makes a snapshot received from the leader durable: the file first, then a WAL record saying it exists.
     * Entries it covers are dropped from memory in {@link #applyWritten}.
     */
    public void writeSnapshot(Snapshot s) {
        checkNoSnapshotFailure();
        saveSnapshot(s);
        wal.append(List.of(new WalRecord.SnapshotInstalledRecord(s.index(), s.term())));
        sync();
        wal.noteSnapshot(s.index());
    }

    /**
     * Log compaction after the host took a snapshot of its own state machine: writes the snapshot file,
     * records it (and the current hard state) in the WAL, then deletes the WAL segments it covers. The same as
     * {@link #writeSnapshotFile} then {@link #recordCompaction}, on one thread.
     *
     * @return bytes of WAL freed
     */
    public long compact(Snapshot s) {
        writeSnapshotFile(s);
        return recordCompaction(s);
    }

    /**
     * First half of {@link #compact}: writes the snapshot file durably. It touches only the snapshot files, not the
     * WAL, so a host may run it on a thread of its own: a large state machine then does not hold back the WAL
     * writes (and the heartbeats waiting for them) while it is written.
     */
    public void writeSnapshotFile(Snapshot s) {
        checkNoSnapshotFailure();
        saveSnapshot(s);
    }

    /** Writes a snapshot file; a failure is recorded as the store's (the node stops on it). */
    private void saveSnapshot(Snapshot s) {
        try {
            snapshots.save(s);
        } catch (RuntimeException e) {
            snapshotFailure = e.getMessage();
            throw e;
        }
    }

    /** Throws once a snapshot write failed: the store accepts nothing more (fail-stop), as after a WAL failure. */
    private void checkNoSnapshotFailure() {
        String why = snapshotFailure;
        if (why != null) {
            throw new StorageException("storage failed earlier and accepts nothing more (fail-stop): " + why);
        }
    }

    /**
     * Second half of {@link #compact}, on the WAL's worker and only after {@link #writeSnapshotFile} for {@code s}
     * returned (the record must never point at a snapshot file that is not durable): records the snapshot and the
     * current hard state in the WAL, fsyncs, then deletes the WAL segments the snapshot covers (only now, once the
     * record is durable).
     *
     * @return bytes of WAL freed
     */
    public long recordCompaction(Snapshot s) {
        checkNoSnapshotFailure();
        List<WalRecord> records = new ArrayList<>(2);
        records.add(new WalRecord.SnapshotRecord(s.index(), s.term()));
        if (lastWrittenHardState != null) {
            records.add(new WalRecord.HardStateRecord(lastWrittenHardState));
        }
        wal.append(records);
        sync();
        return wal.deleteSegmentsUpTo(s.index());
    }

    /** Bytes of WAL on disk (for {@code max_log_size_bytes}). */
    public long walBytes() {
        return wal.sizeBytes();
    }

    /** Bytes of WAL a snapshot of this group could free (see {@link WalLog#compactionPressureBytes}). */
    public long compactionPressureBytes() {
        return wal.compactionPressureBytes();
    }

    /**
     * Whether an I/O error has made storage unusable (the node must stop acknowledging): a write or fsync of the WAL,
     * or the write of a snapshot file (a full disk often meets the snapshot first, its largest write).
     */
    public boolean failed() {
        return wal.failed() || snapshotFailure != null;
    }

    /**
     * Why the storage failed, for the status API and the operator, or null if it did not.
     *
     * @return the reason, or null
     */
    public String failure() {
        String snap = snapshotFailure;
        if (snap != null) {
            return snap;
        }
        return wal.failed() ? "a write or fsync of the write-ahead log failed (see the node's log)" : null;
    }

    /**
     * Why these files must not be opened again in this process, or null if they may be: an fsync of the log or of the
     * snapshots failed (see {@link WalLog#reopenRefusal()}).
     *
     * @return the reason, or null
     */
    public String reopenRefusal() {
        String log = wal.reopenRefusal();
        return log != null ? log : snapshots.reopenRefusal();
    }

    /** Closes the files. */
    public void close() {
        wal.close();
    }

    // ------------------------------------------------------------------ memory side (event loop)

    /** Reflects a durable write in the view the core reads. Call on the event loop before {@code advance}. */
    public void applyWritten(Snapshot snapshot, List<Entry> entries, HardState hardState) {
        if (snapshot != null) {
            memory.applySnapshot(snapshot);
        }
        memory.append(entries);
        if (hardState != null) {
            memory.setHardState(hardState);
        }
    }

    /** Reflects a durable compaction: entries up to {@code s.index()} now live in the snapshot. */
    public void applyCompaction(Snapshot s) {
        memory.compactTo(s);
    }

    /** Bytes of log entries held in memory after the snapshot. */
    public long logBytes() {
        return memory.sizeBytes();
    }

    @Override
    public HardState hardState() {
        return memory.hardState();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        return memory.entries(lo, hi, maxBytes);
    }

    @Override
    public long term(long index) {
        return memory.term(index);
    }

    @Override
    public long firstIndex() {
        return memory.firstIndex();
    }

    @Override
    public long lastIndex() {
        return memory.lastIndex();
    }

    @Override
    public Snapshot snapshot() {
        return memory.snapshot();
    }
}
