package io.raftline.storage;

import io.raftline.raft.HardState;
import io.raftline.raft.StorageException;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;

/**
 * One write-ahead log for all the Raft groups of a node, so that one fsync makes the writes of many groups durable:
 * group commit across groups. With a log per group, a node of 16 groups issues up to 16 fsyncs where one would do,
 * each on a thread of its own.
 *
 * <p>Records of group 0 are written as they are, those of group {@code g > 0} wrapped in a
 * {@link WalRecord.Tagged}: the log of a node of one group is the same bytes, shared or not. Each group sees only its
 * own records through {@link #group(int)} and recovers from them alone, with its own snapshots, by the same rules as a
 * log of its own ({@link DurableStorage}).
 *
 * <p>What changes is deleting segments: a segment holds entries of many groups, so it may go only once every group's
 * entries in it are covered by that group's durable snapshot ({@link WalLog#noteSnapshot}), and only after each group
 * whose latest hard state (term, vote) lives in it has that hard state written again after it. A group that cannot
 * compact (one without a quorum, holding entries it cannot commit) therefore keeps the segments from its oldest
 * uncovered entry on: the node's whole log, not only that group's, is what {@code max_log_size_bytes} bounds.
 *
 * <p>Not thread-safe, like {@link Wal}: one thread calls everything (the node's WAL writer); only the sizes read by
 * {@link WalLog#sizeBytes} and {@link WalLog#compactionPressureBytes} may be read from other threads.
 */
public final class SharedWal implements Closeable {

    private final Disk disk;
    private final Path dir;
    private final Wal wal;
    private final int groups;
    /** Per group, the records found at open, handed out once (null once handed out). */
    private final List<List<WalRecord>> recovered;
    /** Per group, the index up to which a durable snapshot covers its entries. */
    private final AtomicLongArray floors;
    /** Per group, the hard state it last wrote (null: none yet) and the segment that holds it (0: unknown). */
    private final HardState[] hardStates;
    private final long[] hardStateSegments;
    /** Whether anything was appended since the last fsync. */
    private boolean dirty;
    private volatile long totalBytes;
    private volatile Map<Integer, Long> oldestSegment;

    private SharedWal(Disk disk, Path dir, Wal wal, int groups) {
        this.disk = disk;
        this.dir = dir;
        this.wal = wal;
        this.groups = groups;
        this.recovered = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            recovered.add(new ArrayList<>());
        }
        this.floors = new AtomicLongArray(groups);
        this.hardStates = new HardState[groups];
        this.hardStateSegments = new long[groups];
    }

    /**
     * Opens (creating if needed) the shared log in {@code dir}, repairing a torn tail as {@link Wal#open} does, and
     * sorts its records by group.
     *
     * @param groups the node's number of groups
     * @throws StorageException if a record names a group the node does not have (damage or another configuration)
     */
    public static SharedWal open(Disk disk, Path dir, long segmentBytes, int groups, Consumer<String> warn) {
        Wal wal = Wal.open(disk, dir, segmentBytes, warn);
        SharedWal shared = new SharedWal(disk, dir, wal, groups);
        try {
            for (WalRecord r : wal.recovery().records()) {
                int g = shared.checkGroup(r);
                WalRecord inner = WalRecord.untagged(r);
                shared.recovered.get(g).add(inner);
                if (inner instanceof WalRecord.HardStateRecord h) {
                    shared.hardStates[g] = h.hardState();
                }
            }
        } catch (RuntimeException e) {
            wal.close();
            throw e;
        }
        shared.publish();
        return shared;
    }

    /** The number of groups. */
    public int groups() {
        return groups;
    }

    /** Group {@code g}'s share of the log. */
    public WalLog group(int g) {
        if (g < 0 || g >= groups) {
            throw new IllegalArgumentException("group " + g + " is not one of the " + groups + " groups");
        }
        return new GroupLog(g);
    }

    /** Whether an I/O error made the log unusable. */
    public boolean failed() {
        return wal.failed();
    }

    /** fsyncs since open. */
    public long fsyncs() {
        return wal.fsyncs();
    }

    @Override
    public void close() {
        wal.close();
    }

    // ------------------------------------------------------------------ internals

    private int checkGroup(WalRecord r) {
        int g = WalRecord.groupOf(r);
        if (g >= groups) {
            throw new StorageException("the write-ahead log in " + dir + " holds a record of group " + g
                    + " but the node has " + groups + " groups: it was written by a node with more groups, or it is"
                    + " damaged");
        }
        return g;
    }

    private void append(int g, List<WalRecord> records) {
        if (records.isEmpty()) {
            // A Ready with nothing to write (an acknowledgement of entries the group holds already) still must not
            // leave a failed log: the entries it acknowledges may never have reached the disk.
            wal.checkHealthy();
            return;
        }
        List<WalRecord> out = records;
        if (g != 0) {
            out = new ArrayList<>(records.size());
            for (WalRecord r : records) {
                out.add(new WalRecord.Tagged(g, r));
            }
        }
        wal.append(out);
        dirty = true;
        for (WalRecord r : records) {
            if (r instanceof WalRecord.HardStateRecord h) {
                hardStates[g] = h.hardState();
                hardStateSegments[g] = wal.currentSegment();
            }
        }
        publish();
    }

    private void sync() {
        if (dirty) {
            wal.sync();
            dirty = false;
        } else {
            wal.checkHealthy();
        }
    }

    private long deleteCovered() {
        IntToLongFunction floor = floors::get;
        long last = wal.lastCoveredSegment(floor);
        if (last < 0) {
            return 0;
        }
        // A group's latest hard state (its term and vote) must outlive the segments that go: written again first.
        List<WalRecord> again = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            if (hardStates[g] != null && hardStateSegments[g] <= last) {
                WalRecord r = new WalRecord.HardStateRecord(hardStates[g]);
                again.add(g == 0 ? r : new WalRecord.Tagged(g, r));
            }
        }
        if (!again.isEmpty()) {
            wal.append(again);
            long seg = wal.currentSegment();
            for (WalRecord r : again) {
                hardStateSegments[WalRecord.groupOf(r)] = seg;
            }
        }
        wal.sync();
        dirty = false;
        // Not past last: the append above may have rolled the current segment, and the hard states in that one
        // were not written again.
        long freed = wal.deleteCoveredSegments(floor, last);
        publish();
        return freed;
    }

    private void publish() {
        totalBytes = wal.sizeBytes();
        oldestSegment = wal.oldestSegmentEntries();
    }

    /** One group's view: its records only, tagged on the way in. */
    private final class GroupLog implements WalLog {

        private final int group;

        GroupLog(int group) {
            this.group = group;
        }

        /**
         * The records found at open the first time; after that (a node restarting in the same process), the log read
         * again from disk, on the writer's thread with no write half done.
         */
        @Override
        public List<WalRecord> recoveredRecords() {
            List<WalRecord> found = recovered.get(group);
            if (found != null) {
                recovered.set(group, null);
                return found;
            }
            String refusal = reopenRefusal();
            if (refusal != null) {
                throw new StorageException("group " + group + " cannot read the log again: " + refusal);
            }
            List<WalRecord> mine = new ArrayList<>();
            for (WalRecord r : Wal.reread(disk, dir)) {
                if (checkGroup(r) == group) {
                    mine.add(WalRecord.untagged(r));
                }
            }
            return mine;
        }

        @Override
        public void append(List<WalRecord> records) {
            SharedWal.this.append(group, records);
        }

        @Override
        public void sync() {
            SharedWal.this.sync();
        }

        @Override
        public long fsyncs() {
            return wal.fsyncs();
        }

        @Override
        public void noteSnapshot(long index) {
            floors.accumulateAndGet(group, index, Math::max);
        }

        @Override
        public long deleteSegmentsUpTo(long index) {
            noteSnapshot(index);
            return deleteCovered();
        }

        @Override
        public long sizeBytes() {
            return totalBytes;
        }

        @Override
        public long compactionPressureBytes() {
            Long newest = oldestSegment.get(group);
            return newest != null && newest > floors.get(group) ? totalBytes : 0;
        }

        @Override
        public boolean failed() {
            return wal.failed();
        }

        /**
         * {@inheritDoc}
         *
         * <p>A group's share refuses after any failure: the log is one object for all the node's groups, failed for
         * good, and what a failed write left (a torn tail) is cut only when the whole log is opened again, by a new
         * process.
         */
        @Override
        public String reopenRefusal() {
            if (!wal.failed()) {
                return null;
            }
            String fsync = wal.reopenRefusal();
            return "the write-ahead log the node's groups share failed: " + (fsync != null ? fsync : "a write to "
                    + dir + " failed, and only a new process opens the log again (cutting that write's torn tail):"
                    + " free space or fix the device, then restart the process");
        }

        @Override
        public void close() {
            // The node's writer closes the shared log once every group is closed.
        }
    }
}
