package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableStorageTest {

    @TempDir
    Path dir;

    private static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(i, term, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private DurableStorage open(List<String> notes) {
        return DurableStorage.open(dir, 512, notes::add);
    }

    private static void writeAndApply(DurableStorage s, List<Entry> es, HardState hs) {
        s.write(es, hs, true);
        s.applyWritten(null, es, hs);
    }

    @Test
    void recoversLogAndHardState() {
        DurableStorage s = open(new ArrayList<>());
        writeAndApply(s, entries(1, 10, 1), new HardState(1, 1, 8));
        s.close();
        DurableStorage r = open(new ArrayList<>());
        assertThat(r.hardState()).isEqualTo(new HardState(1, 1, 8));
        assertThat(r.lastIndex()).isEqualTo(10);
        assertThat(r.entries(1, 11, Long.MAX_VALUE)).isEqualTo(entries(1, 10, 1));
        assertThat(r.recoveredEntries()).isEqualTo(10);
        r.close();
    }

    @Test
    void laterEntriesReplaceAConflictingSuffix() {
        DurableStorage s = open(new ArrayList<>());
        writeAndApply(s, entries(1, 10, 1), new HardState(1, 0, 4));
        writeAndApply(s, entries(6, 7, 2), new HardState(2, 3, 4));
        assertThat(s.lastIndex()).isEqualTo(7);
        s.close();
        DurableStorage r = open(new ArrayList<>());
        assertThat(r.lastIndex()).isEqualTo(7);
        assertThat(r.term(5)).isEqualTo(1);
        assertThat(r.term(6)).isEqualTo(2);
        r.close();
    }

    @Test
    void snapshotPlusLogAfterItAndCompaction() throws IOException {
        DurableStorage s = open(new ArrayList<>());
        for (long i = 1; i <= 100; i += 10) {
            writeAndApply(s, entries(i, i + 9, 1), new HardState(1, 1, i + 9));
        }
        long walBefore = s.walBytes();
        Snapshot snap = new Snapshot(new SnapshotMetadata(80, 1, List.of(1, 2, 3)), "state@80".getBytes(StandardCharsets.UTF_8));
        long freed = s.compact(snap);
        s.applyCompaction(snap);
        assertThat(freed).isPositive();
        assertThat(s.walBytes()).isLessThan(walBefore);
        assertThat(s.firstIndex()).isEqualTo(81);
        s.close();
        DurableStorage r = open(new ArrayList<>());
        assertThat(r.snapshot()).isEqualTo(snap);
        assertThat(r.firstIndex()).isEqualTo(81);
        assertThat(r.lastIndex()).isEqualTo(100);
        assertThat(r.hardState()).isEqualTo(new HardState(1, 1, 100));
        try (Stream<Path> files = Files.list(dir.resolve("snap"))) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".snap"));
        }
        r.close();
    }

    @Test
    void snapshotFromLeaderReplacesTheLog() {
        DurableStorage s = open(new ArrayList<>());
        writeAndApply(s, entries(1, 5, 1), new HardState(1, 1, 3));
        Snapshot snap = new Snapshot(new SnapshotMetadata(50, 3, List.of(1, 2, 3)), new byte[] {7});
        s.writeSnapshot(snap);
        s.write(List.of(), new HardState(3, 0, 50), true);
        s.applyWritten(snap, List.of(), new HardState(3, 0, 50));
        assertThat(s.firstIndex()).isEqualTo(51);
        s.close();
        DurableStorage r = open(new ArrayList<>());
        assertThat(r.snapshot().index()).isEqualTo(50);
        assertThat(r.lastIndex()).isEqualTo(50);
        assertThat(r.hardState().commit()).isEqualTo(50);
        r.close();
    }

    @Test
    void damagedNewestSnapshotFallsBackOrFailsClearlyOnAGap() throws IOException {
        DurableStorage s = open(new ArrayList<>());
        for (long i = 1; i <= 60; i += 10) {
            writeAndApply(s, entries(i, i + 9, 1), new HardState(1, 1, i + 9));
        }
        Snapshot snap = new Snapshot(new SnapshotMetadata(50, 1, List.of(1)), new byte[] {1, 2, 3});
        assertThat(s.compact(snap)).as("segments covered by the snapshot are deleted").isPositive();
        s.close();
        Path file;
        try (Stream<Path> files = Files.list(dir.resolve("snap"))) {
            file = files.filter(p -> p.toString().endsWith(".snap")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 1;
        Files.write(file, b);
        List<String> notes = new ArrayList<>();
        // The WAL segments before index 50 were deleted: without the snapshot there is a gap.
        assertThatThrownBy(() -> open(notes)).isInstanceOf(StorageException.class)
                .hasMessageContaining("log gap during recovery");
        assertThat(notes).anySatisfy(n -> assertThat(n).contains("is damaged"));
    }

    @Test
    void tornTailIsReportedInRecoveryNotes() throws IOException {
        DurableStorage s = open(new ArrayList<>());
        writeAndApply(s, entries(1, 3, 1), new HardState(1, 1, 2));
        s.close();
        Path seg;
        try (Stream<Path> files = Files.list(dir.resolve("wal"))) {
            seg = files.sorted().reduce((a, c) -> c).orElseThrow();
        }
        Files.write(seg, new byte[] {0, 0, 0, 40, 1, 2}, java.nio.file.StandardOpenOption.APPEND);
        DurableStorage r = open(new ArrayList<>());
        assertThat(r.recoveryNotes()).singleElement().asString().contains("truncated torn tail");
        assertThat(r.lastIndex()).isEqualTo(3);
        r.close();
    }
}
