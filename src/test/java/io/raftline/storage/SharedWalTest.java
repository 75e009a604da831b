package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.StorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log the groups of a sharded node share: each group recovers its own records alone, a segment goes only once
 * every group is done with it, a group's vote survives another group's compaction, and a crash at any point of a
 * compaction loses nothing of any group.
 */
class SharedWalTest {

    private static final Path DIR = Path.of("/node");
    /** Small segments, so that a few writes fill several. */
    private static final long SEGMENT_BYTES = 256;
    private static final int GROUPS = 3;

    /** A node's groups over one shared log, as the node opens them. */
    private record Node(SharedWal wal, List<DurableStorage> groups) {
        DurableStorage group(int g) {
            return groups.get(g);
        }
    }

    private static Path groupDir(int g) {
        return g == 0 ? DIR : DIR.resolve("group-" + g);
    }

    private static Node open(Disk disk) {
        SharedWal wal = SharedWal.open(disk, DIR.resolve("wal"), SEGMENT_BYTES, GROUPS, s -> { });
        List<DurableStorage> groups = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            groups.add(DurableStorage.open(disk, groupDir(g), wal.group(g), s -> { }));
        }
        return new Node(wal, groups);
    }

    private static List<Entry> entries(long from, long to, long term, String tag) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(i, term, (tag + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static void writeAndApply(DurableStorage s, List<Entry> es, HardState hs) {
        s.write(es, hs, true);
        s.applyWritten(null, es, hs);
    }

    private static void compact(DurableStorage s, long index, long term) {
        Snapshot snap = new Snapshot(new SnapshotMetadata(index, term, List.of(1, 2, 3)), new byte[] {(byte) index});
        s.compact(snap);
        s.applyCompaction(snap);
    }

    private static List<Entry> log(DurableStorage s) {
        return s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE);
    }

    @Test
    void eachGroupRecoversItsOwnRecordsAndGroupZeroIsWrittenAsALogOfItsOwn() {
        SimDisk disk = new SimDisk(1);
        Node n = open(disk);
        writeAndApply(n.group(0), entries(1, 3, 1, "a"), new HardState(1, 1, 2));
        writeAndApply(n.group(1), entries(1, 5, 2, "b"), new HardState(2, 2, 5));
        writeAndApply(n.group(0), entries(3, 4, 3, "c"), new HardState(3, 3, 2));
        writeAndApply(n.group(2), List.of(), new HardState(7, 3, 0));
        disk.powerCut();

        Node r = open(disk);
        List<Entry> zero = new ArrayList<>(entries(1, 2, 1, "a"));
        zero.addAll(entries(3, 4, 3, "c"));
        assertThat(log(r.group(0))).isEqualTo(zero);
        assertThat(r.group(0).hardState()).isEqualTo(new HardState(3, 3, 2));
        assertThat(log(r.group(1))).isEqualTo(entries(1, 5, 2, "b"));
        assertThat(r.group(1).hardState()).isEqualTo(new HardState(2, 2, 5));
        assertThat(r.group(2).lastIndex()).isZero();
        assertThat(r.group(2).hardState()).isEqualTo(new HardState(7, 3, 0));

        // Read as a log of one group, the same files hold group 0's records as they are and the others tagged.
        r.wal().close();
        try (Wal plain = Wal.open(disk, DIR.resolve("wal"), SEGMENT_BYTES, s -> { })) {
            List<WalRecord> records = plain.recoveredRecords();
            assertThat(records).filteredOn(x -> !(x instanceof WalRecord.Tagged))
                    .extracting(x -> x.getClass().getSimpleName())
                    .containsExactly("EntryRecord", "EntryRecord", "EntryRecord", "HardStateRecord",
                            "EntryRecord", "EntryRecord", "HardStateRecord");
            assertThat(records).filteredOn(x -> x instanceof WalRecord.Tagged)
                    .extracting(WalRecord::groupOf).containsExactly(1, 1, 1, 1, 1, 1, 2);
        }
    }

    @Test
    void aSegmentStaysUntilEveryGroupsSnapshotCoversItsEntriesInIt() {
        SimDisk disk = new SimDisk(2);
        Node n = open(disk);
        writeAndApply(n.group(2), entries(1, 2, 1, "x"), new HardState(1, 1, 2));
        for (long i = 1; i <= 40; i += 4) {
            writeAndApply(n.group(0), entries(i, i + 3, 1, "v"), new HardState(1, 1, i + 3));
        }
        long before = n.group(0).walBytes();
        assertThat(before).isGreaterThan(4 * SEGMENT_BYTES);

        // Group 0's snapshot covers all its entries, but the oldest segment holds group 2's entries too.
        compact(n.group(0), 40, 1);
        assertThat(n.group(0).walBytes()).as("nothing freed while group 2 needs the oldest segment")
                .isGreaterThanOrEqualTo(before);
        assertThat(n.group(2).compactionPressureBytes()).as("the group holding up the oldest segment")
                .isEqualTo(n.group(2).walBytes());
        assertThat(n.group(0).compactionPressureBytes()).isZero();
        assertThat(n.group(1).compactionPressureBytes()).isZero();

        compact(n.group(2), 2, 1);
        assertThat(n.group(0).walBytes()).isLessThan(2 * SEGMENT_BYTES);
        assertThat(n.group(2).compactionPressureBytes()).isZero();
        disk.powerCut();

        Node r = open(disk);
        assertThat(r.group(0).snapshot().index()).isEqualTo(40);
        assertThat(r.group(0).lastIndex()).isEqualTo(40);
        assertThat(r.group(2).snapshot().index()).isEqualTo(2);
        assertThat(r.group(2).hardState()).isEqualTo(new HardState(1, 1, 2));
    }

    @Test
    void aRestartedGroupReadsItsRecordsAgainFromTheFiles() {
        SimDisk disk = new SimDisk(3);
        Node n = open(disk);
        writeAndApply(n.group(1), entries(1, 6, 1, "r"), new HardState(1, 1, 3));
        writeAndApply(n.group(0), entries(1, 2, 1, "s"), new HardState(1, 2, 2));
        // An in-process restart of group 1: its store opened again on the same shared log, which stays open.
        DurableStorage again = DurableStorage.open(disk, groupDir(1), n.wal().group(1), s -> { });
        assertThat(log(again)).isEqualTo(entries(1, 6, 1, "r"));
        assertThat(again.hardState()).isEqualTo(new HardState(1, 1, 3));
    }

    /**
     * A failed fsync fails the log of every group for good, and a group learns it even from a write of nothing (the
     * Ready of an acknowledgement of entries it holds already: those entries may be the ones whose fsync failed) and
     * from a restart in the same process, which would otherwise read them back from the kernel's cache. Before, such a
     * restarted group acknowledged entries that a power cut then took away.
     */
    @Test
    void afterAFailedFsyncNoGroupAcknowledgesOrReadsTheLogAgain() {
        SimDisk disk = new SimDisk(4);
        Node n = open(disk);
        writeAndApply(n.group(1), entries(1, 3, 1, "a"), new HardState(1, 2, 3));
        disk.failNextFsync();
        assertThatThrownBy(() -> n.group(1).write(entries(4, 5, 1, "b"), null, true))
                .isInstanceOf(StorageException.class);

        assertThatThrownBy(() -> n.group(1).write(List.of(), null, false)).isInstanceOf(StorageException.class)
                .hasMessageContaining("fail-stop");
        assertThatThrownBy(() -> n.group(2).write(List.of(), null, true)).isInstanceOf(StorageException.class);
        assertThat(n.group(1).reopenRefusal()).contains("the write-ahead log the node's groups share failed")
                .contains("an fsync");
        assertThatThrownBy(() -> DurableStorage.open(disk, groupDir(1), n.wal().group(1), s -> { }))
                .isInstanceOf(StorageException.class).hasMessageContaining("group 1 cannot read the log again");
    }

    /** After a failed write (a full disk), a group's restart in the same process is refused too: only a new process
     * opens the shared log again, cutting the torn tail (a group's re-read would take it for damage). */
    @Test
    void afterAFailedWriteOnlyANewProcessOpensTheSharedLogAgain() {
        SimDisk disk = new SimDisk(6);
        Node n = open(disk);
        writeAndApply(n.group(1), entries(1, 3, 1, "a"), new HardState(1, 2, 3));
        disk.failNextWrite();
        assertThatThrownBy(() -> n.group(1).write(entries(4, 5, 1, "b"), null, true))
                .isInstanceOf(StorageException.class);
        assertThat(n.group(1).reopenRefusal()).contains("a write to /node/wal failed").contains("restart the process");
        disk.processCrash();
        Node fresh = open(disk);
        // What the failed write got out before the error survives a process's end (it is in the page cache) or not.
        List<Entry> written = new ArrayList<>(entries(1, 3, 1, "a"));
        written.addAll(entries(4, 5, 1, "b"));
        List<Entry> recovered = log(fresh.group(1));
        assertThat(recovered).hasSizeGreaterThanOrEqualTo(3).isEqualTo(written.subList(0, recovered.size()));
    }

    @Test
    void aRecordOfAGroupTheNodeDoesNotHaveStopsTheNode() {
        SimDisk disk = new SimDisk(4);
        Node n = open(disk);
        writeAndApply(n.group(2), entries(1, 1, 1, "z"), new HardState(1, 1, 1));
        n.wal().close();
        assertThatThrownBy(() -> SharedWal.open(disk, DIR.resolve("wal"), SEGMENT_BYTES, 2, s -> { }))
                .isInstanceOf(StorageException.class).hasMessageContaining("record of group 2")
                .hasMessageContaining("has 2 groups");
    }

    /**
     * The vote of a group that wrote nothing else lives in the oldest segment; another group's compaction deletes that
     * segment. The vote must be written again before the segment goes, at every crash point: a node that forgets its
     * vote can vote twice in one term (two leaders). Then the recovered groups go on and a power cut loses nothing.
     */
    @Test
    void anotherGroupsCompactionNeverLosesAGroupsVote() {
        int points = 0;
        for (boolean powerCut : new boolean[] {false, true}) {
            for (long seed = 1; seed <= 3; seed++) {
                for (int k = 0; ; k++) {
                    SimDisk disk = new SimDisk(seed * 1000 + k);
                    Node n = open(disk);
                    writeAndApply(n.group(1), List.of(), new HardState(5, 2, 0));
                    writeAndApply(n.group(0), entries(1, 20, 1, "v"), new HardState(1, 1, 20));
                    writeAndApply(n.group(0), entries(21, 25, 1, "v"), null);
                    disk.crashAfter(k, powerCut);
                    boolean completed = completes(() -> compact(n.group(0), 22, 1));
                    disk.endCrashPoint(completed);
                    Node r = open(disk);
                    assertThat(r.group(1).hardState()).as("group 1's vote, crash point %d", k)
                            .isEqualTo(new HardState(5, 2, 0));
                    assertThat(r.group(1).lastIndex()).isZero();
                    assertThat(r.group(0).hardState().term()).isEqualTo(1);
                    assertThat(r.group(0).lastIndex()).isEqualTo(25);
                    assertThat(log(r.group(0))).isEqualTo(entries(r.group(0).firstIndex(), 25, 1, "v"));
                    if (completed) {
                        assertThat(r.group(0).walBytes()).as("the compaction freed segments").isLessThan(3 * SEGMENT_BYTES);
                    }

                    // The groups go on; a power cut keeps all they made durable.
                    writeAndApply(r.group(1), entries(1, 1, 6, "w"), new HardState(6, 3, 0));
                    writeAndApply(r.group(0), entries(26, 27, 2, "v"), new HardState(2, 1, 25));
                    disk.powerCut();
                    Node after = open(disk);
                    assertThat(after.group(1).hardState()).isEqualTo(new HardState(6, 3, 0));
                    assertThat(log(after.group(1))).isEqualTo(entries(1, 1, 6, "w"));
                    assertThat(after.group(0).lastIndex()).isEqualTo(27);
                    assertThat(after.group(0).hardState()).isEqualTo(new HardState(2, 1, 25));
                    points++;
                    if (completed) {
                        break;
                    }
                }
            }
        }
        assertThat(points).isGreaterThan(20);
    }

    /**
     * The compaction's own records (its snapshot record and hard state) fill the current segment; writing the older
     * segments' hard states again then rolls it, and the segment that was current until then is closed and covered
     * too. It holds the newest vote of an idle group and of the compacting group, which were never written again
     * (only segments up to the last one found covered were looked at), so it must stay: found by review on
     * 2026-12-03, where a kill -9 brought group 2 back with no vote in term 7 (it could vote twice in that term).
     */
    @Test
    void segmentsClosedWhileHardStatesAreWrittenAgainStayWithTheVotesInThem() {
        SimDisk disk = new SimDisk(7);
        Node n = open(disk);
        // Segment 1: group 1's vote and group 0's entries 1..8, past SEGMENT_BYTES at its end.
        writeAndApply(n.group(1), List.of(), new HardState(5, 2, 0));
        writeAndApply(n.group(0), entries(1, 4, 1, "v"), new HardState(1, 1, 4));
        writeAndApply(n.group(0), entries(5, 8, 1, "v"), new HardState(1, 1, 8));
        // Segment 2: the idle group 2 votes in term 7; group 0 appends 9..12.
        writeAndApply(n.group(2), List.of(), new HardState(7, 3, 0));
        writeAndApply(n.group(0), entries(9, 12, 1, "v"), new HardState(1, 1, 12));
        // Group 0's compaction at 12 fills segment 2; writing group 1's vote again (segment 1 goes) rolls it.
        compact(n.group(0), 12, 1);

        disk.processCrash();
        Node r = open(disk);
        assertThat(r.group(2).hardState()).as("idle group 2's vote in term 7").isEqualTo(new HardState(7, 3, 0));
        assertThat(r.group(0).hardState()).as("group 0's term and vote").isEqualTo(new HardState(1, 1, 12));
        assertThat(r.group(1).hardState()).as("group 1's vote, written again").isEqualTo(new HardState(5, 2, 0));
        assertThat(r.group(0).firstIndex()).isEqualTo(13);
    }

    @Test
    void entriesAGroupOverwroteOrReplacedWithASnapshotHoldNoSegmentAfterARestartToo() {
        SimDisk disk = new SimDisk(8);
        Node n = open(disk);
        // Group 2 led in term 1 and appended 11..20, which never committed: the leader of term 2 replaced them.
        writeAndApply(n.group(2), entries(1, 20, 1, "old"), new HardState(1, 1, 10));
        writeAndApply(n.group(2), entries(11, 12, 2, "new"), new HardState(2, 2, 12));
        // Group 1, a follower with a divergent 1..9, gets a snapshot at 5 from its leader: its whole log replaced.
        writeAndApply(n.group(1), entries(1, 9, 1, "div"), new HardState(1, 1, 0));
        Snapshot received = new Snapshot(new SnapshotMetadata(5, 2, List.of(1, 2, 3)), new byte[] {5});
        n.group(1).writeSnapshot(received);
        n.group(1).applyWritten(received, List.of(), new HardState(2, 0, 5));
        // Both snapshot all they hold, then stay idle: nothing they wrote is live beyond their snapshots.
        compact(n.group(2), 12, 2);
        assertThat(n.group(2).compactionPressureBytes()).as("group 2's dead entries 13..20").isZero();
        assertThat(n.group(1).compactionPressureBytes()).as("group 1's replaced entries 6..9").isZero();
        // Group 0 writes on; the process dies before it compacts, and the log's maxima are read from the files.
        for (long i = 1; i <= 100; i += 4) {
            writeAndApply(n.group(0), entries(i, i + 3, 1, "v"), new HardState(1, 1, i + 3));
        }
        disk.powerCut();

        Node r = open(disk);
        assertThat(r.group(2).snapshot().index()).isEqualTo(12);
        assertThat(r.group(2).lastIndex()).isEqualTo(12);
        assertThat(r.group(1).snapshot().index()).isEqualTo(5);
        assertThat(r.group(1).lastIndex()).isEqualTo(5);
        assertThat(r.group(2).compactionPressureBytes()).isZero();
        assertThat(r.group(1).compactionPressureBytes()).isZero();
        // Group 0's compaction frees every segment: the idle groups' dead entries held them all before (the node's
        // log then grew until max_log_size_bytes refused every write of every group).
        compact(r.group(0), 100, 1);
        assertThat(r.group(0).walBytes()).isLessThan(2 * SEGMENT_BYTES);
        disk.powerCut();

        Node again = open(disk);
        assertThat(again.group(2).lastIndex()).isEqualTo(12);
        assertThat(again.group(2).hardState()).isEqualTo(new HardState(2, 2, 12));
        assertThat(again.group(1).lastIndex()).isEqualTo(5);
        assertThat(again.group(0).lastIndex()).isEqualTo(100);
    }

    @Test
    void aSegmentOfCoveredAndOverwrittenEntriesGoesAndTheOverwrittenOnesAfterItReplayAsOverwritten() {
        SimDisk disk = new SimDisk(9);
        Node n = open(disk);
        // Segment 1: group 1's entries 1..8 of term 1, the last uncommitted, and a large entry of group 0 filling it.
        writeAndApply(n.group(1), entries(1, 8, 1, "a"), new HardState(1, 1, 7));
        writeAndApply(n.group(0), List.of(Entry.normal(1, 1, new byte[300])), new HardState(1, 1, 1));
        // Segment 2: group 1's 9 and 10 of term 1, then the leader of term 2 overwrites from 8 on.
        writeAndApply(n.group(1), entries(9, 10, 1, "a"), new HardState(1, 1, 7));
        writeAndApply(n.group(1), entries(8, 9, 2, "b"), new HardState(2, 2, 7));
        long before = n.group(0).walBytes();
        compact(n.group(0), 1, 1);
        compact(n.group(1), 7, 1);
        // Segment 1 holds nothing live beyond the snapshots (its entry 8 was overwritten): it goes.
        assertThat(n.group(1).walBytes()).isLessThan(before - SEGMENT_BYTES);
        disk.powerCut();

        // Segment 2 begins with 9 and 10 of term 1, whose predecessor went with segment 1: dead, as the overwrite
        // after them says, not a gap in the log.
        Node r = open(disk);
        assertThat(r.group(1).snapshot().index()).isEqualTo(7);
        assertThat(log(r.group(1))).isEqualTo(entries(8, 9, 2, "b"));
        assertThat(r.group(1).hardState()).isEqualTo(new HardState(2, 2, 7));
    }

    @Test
    void aCompactionMakesEachUnlinkDurableBeforeTheNext() throws Exception {
        List<String> ops = new ArrayList<>();
        Disk watched = new ForwardingDisk(new SimDisk(10)) {
            @Override
            protected AppendFile wrap(Path file, AppendFile f) {
                return f;
            }

            @Override
            public void delete(Path file) throws java.io.IOException {
                ops.add("delete " + file.getFileName());
                super.delete(file);
            }

            @Override
            public void syncDirectory(Path dir) throws java.io.IOException {
                ops.add("sync " + dir.getFileName());
                super.syncDirectory(dir);
            }
        };
        SharedWal wal = SharedWal.open(watched, DIR.resolve("wal"), SEGMENT_BYTES, GROUPS, s -> { });
        DurableStorage g = DurableStorage.open(watched, groupDir(0), wal.group(0), s -> { });
        for (long i = 1; i <= 60; i += 4) {
            writeAndApply(g, entries(i, i + 3, 1, "v"), new HardState(1, 1, i + 3));
        }
        ops.clear();
        compact(g, 60, 1);
        // POSIX leaves the order of unsynced directory changes open: an older segment could be back after a power cut
        // without the newer one whose entries overwrote its own, which would bring them back as live.
        List<String> unlinks = ops.stream().filter(o -> o.startsWith("delete ") && o.endsWith(".wal")).toList();
        assertThat(unlinks).as("segments deleted").hasSizeGreaterThan(2);
        for (String unlink : unlinks) {
            assertThat(ops.get(ops.indexOf(unlink) + 1)).as("right after %s", unlink).isEqualTo("sync wal");
        }
    }

    /** Runs {@code op}; false if the simulated disk crashed it. */
    private static boolean completes(Runnable op) {
        try {
            op.run();
            return true;
        } catch (SimDisk.Crash crashed) {
            return false;
        }
    }
}
