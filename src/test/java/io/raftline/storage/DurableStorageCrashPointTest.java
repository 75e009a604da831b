package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A crash before every single disk change of the storage's multi-step operations (compaction, installing a
 * snapshot from the leader, a write), as a process kill and as a power cut: recovery must always succeed and give
 * the state before the operation or after it, never a mix that loses what was durable. Then the recovered node
 * goes on (writes and fsyncs more entries and a new term), the power fails, and everything it built on what it
 * recovered must still be there: recovery must not trust anything it has not made durable, nor leave the log in a
 * shape the next recovery reads differently. The simulator reaches these points at random; this walks every one.
 */
class DurableStorageCrashPointTest {

    private static final Path DIR = Path.of("/node");
    /** Small segments, so that compaction has whole segments to delete. */
    private static final long SEGMENT_BYTES = 256;

    private static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(i, term, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static DurableStorage open(SimDisk disk) {
        return DurableStorage.open(disk, DIR, SEGMENT_BYTES, s -> { });
    }

    private static void writeAndApply(DurableStorage s, List<Entry> es, HardState hs) {
        s.write(es, hs, true);
        s.applyWritten(null, es, hs);
    }

    /**
     * Runs {@code op} on a storage prepared by {@code setup}, crashing before its k-th disk change, for every k until
     * the operation completes, and hands each recovered storage to {@code check}.
     *
     * @return how many crash points were tried
     */
    private static int atEveryCrashPoint(Consumer<DurableStorage> setup, Consumer<DurableStorage> op,
            Consumer<DurableStorage> check) {
        int points = 0;
        for (boolean powerCut : new boolean[] {false, true}) {
            for (long seed = 1; seed <= 4; seed++) {
                for (int k = 0; ; k++) {
                    SimDisk disk = new SimDisk(seed * 1000 + k);
                    DurableStorage s = open(disk);
                    setup.accept(s);
                    disk.crashAfter(k, powerCut);
                    boolean completed;
                    try {
                        op.accept(s);
                        completed = true;
                    } catch (SimDisk.Crash crashed) {
                        completed = false;
                    }
                    disk.endCrashPoint(completed);
                    DurableStorage r = open(disk);
                    check.accept(r);
                    goOnThenLosePower(disk, r);
                    points++;
                    if (completed) {
                        break;
                    }
                }
            }
        }
        return points;
    }

    /** The recovered node appends two entries of a new term and fsyncs; after a power cut they and all before them stay. */
    private static void goOnThenLosePower(SimDisk disk, DurableStorage r) {
        long next = r.lastIndex() + 1;
        long term = Math.max(r.hardState().term(), 8) + 1;
        HardState hs = new HardState(term, 1, r.hardState().commit());
        List<Entry> recovered = r.lastIndex() >= r.firstIndex()
                ? r.entries(r.firstIndex(), r.lastIndex() + 1, Long.MAX_VALUE) : List.of();
        Snapshot snapshot = r.snapshot();
        writeAndApply(r, entries(next, next + 1, term), hs);
        disk.powerCut();
        DurableStorage again = open(disk);
        assertThat(again.snapshot()).as("snapshot after a power cut that followed recovery").isEqualTo(snapshot);
        List<Entry> expected = new ArrayList<>(recovered);
        expected.addAll(entries(next, next + 1, term));
        assertThat(again.entries(again.firstIndex(), again.lastIndex() + 1, Long.MAX_VALUE))
                .as("log after a power cut that followed recovery").isEqualTo(expected);
        assertThat(again.hardState()).isEqualTo(hs);
    }

    /**
     * Compaction writes the snapshot file, then the snapshot record and the hard state, fsyncs, then deletes the
     * segments the snapshot covers. The last hard state lives in a segment it deletes, so deleting first and
     * crashing before the hard state is rewritten would lose the node's term and vote.
     */
    @Test
    void compactionNeverLosesTheLogNorTheHardState() {
        int points = atEveryCrashPoint(s -> {
            writeAndApply(s, entries(1, 20, 1), new HardState(1, 1, 20));
            // Entries only (no hard state change): they start a new segment, leaving the hard state in the old one.
            writeAndApply(s, entries(21, 25, 1), null);
        }, s -> {
            Snapshot snap = new Snapshot(new SnapshotMetadata(22, 1, List.of(1, 2, 3)), new byte[] {22});
            s.compact(snap);
            s.applyCompaction(snap);
        }, r -> {
            assertThat(r.hardState().term()).as("term").isEqualTo(1);
            assertThat(r.hardState().vote()).as("vote").isEqualTo(1);
            assertThat(r.hardState().commit()).isIn(20L, 22L);
            assertThat(r.snapshot().index()).isIn(0L, 22L);
            assertThat(r.lastIndex()).isEqualTo(25);
            assertThat(r.entries(r.firstIndex(), 26, Long.MAX_VALUE))
                    .isEqualTo(entries(r.firstIndex(), 25, 1));
        });
        assertThat(points).isGreaterThan(20);
    }

    /**
     * Installing a snapshot from the leader: its file, its WAL record, then the entries after it and the hard
     * state. Recovery gives the old log or the snapshot followed by a prefix of the new entries.
     */
    @Test
    void installingASnapshotGivesTheOldLogOrTheNewOne() {
        Snapshot snap = new Snapshot(new SnapshotMetadata(30, 3, List.of(1, 2, 3)), new byte[] {30});
        int points = atEveryCrashPoint(s -> writeAndApply(s, entries(1, 12, 1), new HardState(1, 2, 8)), s -> {
            s.writeSnapshot(snap);
            s.write(entries(31, 33, 3), new HardState(3, 0, 30), true);
            s.applyWritten(snap, entries(31, 33, 3), new HardState(3, 0, 30));
        }, r -> {
            if (r.snapshot().isEmpty()) {
                assertThat(r.entries(1, 13, Long.MAX_VALUE)).isEqualTo(entries(1, 12, 1));
                assertThat(r.lastIndex()).isEqualTo(12);
                assertThat(r.hardState()).isEqualTo(new HardState(1, 2, 8));
            } else {
                assertThat(r.snapshot()).isEqualTo(snap);
                assertThat(r.lastIndex()).isBetween(30L, 33L);
                assertThat(r.entries(31, r.lastIndex() + 1, Long.MAX_VALUE))
                        .isEqualTo(entries(31, r.lastIndex(), 3));
                assertThat(r.hardState()).isIn(new HardState(1, 2, 30), new HardState(3, 0, 30));
            }
        });
        assertThat(points).isGreaterThan(20);
    }

    /** A write of entries that overwrite a conflicting suffix: the old suffix or a prefix of the new entries. */
    @Test
    void anOverwritingWriteGivesTheOldSuffixOrAPrefixOfTheNewOne() {
        int points = atEveryCrashPoint(s -> writeAndApply(s, entries(1, 15, 1), new HardState(1, 1, 5)), s -> {
            s.write(entries(8, 12, 2), new HardState(2, 2, 5), true);
            s.applyWritten(null, entries(8, 12, 2), new HardState(2, 2, 5));
        }, r -> {
            List<Entry> got = r.entries(1, r.lastIndex() + 1, Long.MAX_VALUE);
            assertThat(got.subList(0, 7)).isEqualTo(entries(1, 7, 1));
            if (r.lastIndex() == 15 && got.get(7).term() == 1) {
                assertThat(got).isEqualTo(entries(1, 15, 1));
            } else {
                assertThat(r.lastIndex()).isBetween(8L, 12L);
                assertThat(got.subList(7, got.size())).isEqualTo(entries(8, r.lastIndex(), 2));
            }
            assertThat(r.hardState()).isIn(new HardState(1, 1, 5), new HardState(2, 2, 5));
        });
        assertThat(points).isGreaterThan(5);
    }
}
