package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The simulated disk keeps exactly what POSIX promises across a power cut, and no more. */
class SimDiskTest {

    private static final Path DIR = Path.of("/data");
    private static final Path FILE = DIR.resolve("f");

    private static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i + 1);
        }
        return b;
    }

    private static SimDisk diskWithSyncedDir(long seed) throws IOException {
        SimDisk d = new SimDisk(seed);
        d.createDirectoriesDurably(DIR);
        return d;
    }

    @Test
    void syncedDataSurvivesAndUnsyncedDataIsKeptUpToARandomCut() throws IOException {
        Set<String> outcomes = new HashSet<>();
        for (long seed = 1; seed <= 200; seed++) {
            SimDisk d = diskWithSyncedDir(seed);
            try (Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(0, 100)));
                f.force(false);
                d.syncDirectory(DIR);
                f.write(ByteBuffer.wrap(bytes(100, 50)));
            }
            d.powerCut();
            byte[] after = d.readAll(FILE);
            assertThat(after.length).isBetween(100, 150);
            assertThat(Arrays.copyOf(after, 100)).as("synced part, seed %d", seed).isEqualTo(bytes(0, 100));
            byte[] tail = Arrays.copyOfRange(after, 100, after.length);
            byte[] written = Arrays.copyOf(bytes(100, 50), tail.length);
            boolean zeroed = false;
            for (int i = 0; i < tail.length; i++) {
                if (tail[i] != written[i]) {
                    // Only a zero-filled end may differ from what was written.
                    assertThat(Arrays.copyOfRange(tail, i, tail.length)).containsOnly(0);
                    zeroed = true;
                    break;
                }
            }
            outcomes.add(tail.length == 0 ? "lost" : tail.length == 50 ? "kept" : "torn");
            if (zeroed) {
                outcomes.add("zeroed");
            }
        }
        assertThat(outcomes).containsExactlyInAnyOrder("lost", "kept", "torn", "zeroed");
    }

    @Test
    void aFileWhoseDirectoryWasNotSyncedMayVanishButNotOnceSynced() throws IOException {
        Set<Boolean> survived = new HashSet<>();
        for (long seed = 1; seed <= 50; seed++) {
            SimDisk d = diskWithSyncedDir(seed);
            try (Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(0, 10)));
                f.force(true);
            }
            d.powerCut();
            boolean exists = !d.list(DIR).isEmpty();
            survived.add(exists);
            if (exists) {
                assertThat(d.readAll(FILE)).isEqualTo(bytes(0, 10));
            }

            SimDisk synced = diskWithSyncedDir(seed);
            try (Disk.AppendFile f = synced.open(FILE, Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(0, 10)));
                f.force(true);
            }
            synced.syncDirectory(DIR);
            synced.powerCut();
            assertThat(synced.readAll(FILE)).isEqualTo(bytes(0, 10));
        }
        assertThat(survived).containsExactlyInAnyOrder(true, false);
    }

    @Test
    void anUnsyncedRenameIsAtomicAndMayBeUndone() throws IOException {
        Set<String> seen = new HashSet<>();
        for (long seed = 1; seed <= 50; seed++) {
            SimDisk d = diskWithSyncedDir(seed);
            Path tmp = DIR.resolve("x.tmp");
            Path target = DIR.resolve("x");
            try (Disk.AppendFile f = d.open(tmp, Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(0, 8)));
                f.force(true);
            }
            d.syncDirectory(DIR);
            d.rename(tmp, target);
            d.powerCut();
            List<String> names = d.list(DIR).stream().map(p -> p.getFileName().toString()).toList();
            assertThat(names).as("seed %d", seed).hasSize(1);
            assertThat(d.readAll(DIR.resolve(names.get(0)))).isEqualTo(bytes(0, 8));
            seen.add(names.get(0));
        }
        assertThat(seen).containsExactlyInAnyOrder("x", "x.tmp");
    }

    @Test
    void anUnsyncedDeleteMayBeUndoneAndAnUnsyncedTruncationToo() throws IOException {
        Set<String> seen = new HashSet<>();
        for (long seed = 1; seed <= 60; seed++) {
            SimDisk d = diskWithSyncedDir(seed);
            try (Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(0, 20)));
                f.force(true);
                d.syncDirectory(DIR);
                f.truncate(5);
            }
            d.powerCut();
            seen.add("length " + d.size(FILE));
            assertThat(d.readAll(FILE)).isIn((Object) bytes(0, 20), (Object) bytes(0, 5));
            d.delete(FILE);
            d.powerCut();
            seen.add("exists " + !d.list(DIR).isEmpty());
        }
        assertThat(seen).contains("length 20", "length 5", "exists true", "exists false");
    }

    @Test
    void aProcessCrashLosesNothingButKillsOpenHandles() throws IOException {
        SimDisk d = diskWithSyncedDir(1);
        Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW);
        f.write(ByteBuffer.wrap(bytes(0, 30)));
        d.processCrash();
        assertThat(d.readAll(FILE)).isEqualTo(bytes(0, 30));
        assertThatThrownBy(() -> f.write(ByteBuffer.wrap(bytes(0, 1)))).isInstanceOf(IOException.class)
                .hasMessageContaining("stale handle");
    }

    @Test
    void injectedFailuresThrowOnceAndSyncNothing() throws IOException {
        SimDisk d = diskWithSyncedDir(3);
        Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW);
        d.syncDirectory(DIR);
        f.write(ByteBuffer.wrap(bytes(0, 10)));
        d.failNextFsync();
        assertThatThrownBy(() -> f.force(false)).isInstanceOf(IOException.class).hasMessageContaining("fsync");
        d.failNextWrite();
        assertThatThrownBy(() -> f.write(ByteBuffer.wrap(bytes(10, 10)))).isInstanceOf(IOException.class)
                .hasMessageContaining("write");
        assertThat(d.size(FILE)).isBetween(10L, 20L);
        assertThat(d.stats().failedFsyncs).isEqualTo(1);
        assertThat(d.stats().failedWrites).isEqualTo(1);
        f.force(false); // the faults were one-shot
    }

    @Test
    void anArmedCrashStopsEverythingUntilApplied() throws IOException {
        SimDisk d = diskWithSyncedDir(4);
        Disk.AppendFile f = d.open(FILE, Disk.OpenMode.CREATE_NEW);
        d.crashAfter(1, true);
        f.write(ByteBuffer.wrap(bytes(0, 10)));
        assertThatThrownBy(() -> f.force(false)).isInstanceOf(SimDisk.Crash.class).hasMessageContaining("power cut");
        assertThat(d.crashStruck()).isTrue();
        assertThatThrownBy(() -> d.list(DIR)).isInstanceOf(SimDisk.Crash.class);
        d.powerCut();
        assertThat(d.crashStruck()).isFalse();
        assertThat(d.stats().crashesInIo).isEqualTo(1);
        assertThatThrownBy(() -> f.write(ByteBuffer.wrap(bytes(0, 1)))).isInstanceOf(IOException.class);
    }

    @Test
    void theSameSeedGivesTheSameDisk() throws IOException {
        assertThat(runAndDescribe(42)).isEqualTo(runAndDescribe(42));
    }

    private static String runAndDescribe(long seed) throws IOException {
        SimDisk d = diskWithSyncedDir(seed);
        for (int i = 0; i < 5; i++) {
            try (Disk.AppendFile f = d.open(DIR.resolve("f" + i), Disk.OpenMode.CREATE_NEW)) {
                f.write(ByteBuffer.wrap(bytes(i, 40)));
                if (i % 2 == 0) {
                    f.force(false);
                }
            }
        }
        d.powerCut();
        StringBuilder sb = new StringBuilder(d.describe());
        for (Path p : d.list(DIR)) {
            sb.append(Arrays.toString(d.readAll(p)));
        }
        return sb.toString();
    }

    /**
     * The real write-ahead log over the simulated disk: after a power cut it recovers every synced record and then
     * an in-order prefix of the unsynced ones, repairing a torn tail when the cut fell inside a record.
     */
    @Test
    void theWalRecoversSyncedRecordsAndAPrefixOfTheRest() throws IOException {
        int torn = 0;
        for (long seed = 1; seed <= 100; seed++) {
            SimDisk d = new SimDisk(seed);
            Path walDir = Path.of("/node/wal");
            List<WalRecord> all = new ArrayList<>();
            try (Wal wal = Wal.open(d, walDir, 256, s -> { })) {
                for (int i = 1; i <= 20; i++) {
                    WalRecord r = new WalRecord.EntryRecord(Entry.normal(i, 1, ("v" + i).getBytes(StandardCharsets.UTF_8)));
                    all.add(r);
                    wal.append(List.of(r));
                    if (i == 12) {
                        wal.sync();
                    }
                }
            }
            d.powerCut();
            List<String> notes = new ArrayList<>();
            try (Wal wal = Wal.open(d, walDir, 256, notes::add)) {
                List<WalRecord> got = wal.recovery().records();
                assertThat(got.size()).as("seed %d", seed).isBetween(12, 20);
                assertThat(got).isEqualTo(all.subList(0, got.size()));
                torn += notes.stream().anyMatch(n -> n.contains("torn tail")) ? 1 : 0;
            }
        }
        assertThat(torn).as("some cuts fell inside a record").isPositive();
    }

    @Test
    void aWalWriteFailureIsFailStop() throws IOException {
        SimDisk d = new SimDisk(9);
        Wal wal = Wal.open(d, Path.of("/node/wal"), 1 << 20, s -> { });
        d.failNextWrite();
        WalRecord r = new WalRecord.EntryRecord(Entry.normal(1, 1, new byte[] {1}));
        assertThatThrownBy(() -> wal.append(List.of(r))).isInstanceOf(StorageException.class)
                .hasMessageContaining("append");
        assertThat(wal.failed()).isTrue();
        assertThatThrownBy(() -> wal.append(List.of(r))).hasMessageContaining("fail-stop");
        assertThatThrownBy(wal::sync).hasMessageContaining("fail-stop");
    }
}
