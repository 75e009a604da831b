package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {

    @TempDir
    Path dir;

    private static Snapshot snap(long index) {
        return new Snapshot(new SnapshotMetadata(index, 2, List.of(1, 2, 3)), ("state-" + index).getBytes());
    }

    @Test
    void aSavedFileHoldsExactlyTheEncodingItIsReadFrom() throws IOException {
        // save() writes the header, the data and the checksum apart (the data is not copied into one buffer).
        Snapshot s = new Snapshot(SnapshotMetadata.of(7, 3, new io.raftline.raft.Membership(List.of(1, 2, 3), List.of(4),
                java.util.Map.of(4, "http://127.0.0.1:8084"))), "the key space".getBytes());
        new SnapshotStore(dir).save(s);
        try (Stream<Path> files = Files.list(dir)) {
            Path saved = files.filter(p -> p.toString().endsWith(".snap")).findFirst().orElseThrow();
            assertThat(Files.readAllBytes(saved)).isEqualTo(SnapshotStore.encode(s));
        }
        assertThat(new SnapshotStore(dir).loadNewest(w -> { }).orElseThrow()).isEqualTo(s);
    }

    /**
     * A save that fails part way (a full disk: the data write meets "No space left on device") deletes its temporary
     * file: left there it held most of a snapshot's size until the next start, keeping the disk full.
     */
    @Test
    void aFailedSaveDeletesItsTemporaryFile() throws IOException {
        Disk full = new ForwardingDisk(NioDisk.INSTANCE) {
            @Override
            protected AppendFile wrap(Path file, AppendFile f) {
                return new ForwardingFile(f) {
                    private int writes;

                    @Override
                    public void write(java.nio.ByteBuffer src) throws IOException {
                        if (++writes > 1) {
                            throw new IOException("No space left on device");
                        }
                        super.write(src);
                    }
                };
            }
        };
        SnapshotStore store = new SnapshotStore(full, dir);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> store.save(snap(5))))
                .isInstanceOf(io.raftline.raft.StorageException.class).hasMessageContaining("No space left on device");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.toList()).as("nothing of the failed save is left").isEmpty();
        }
    }

    @Test
    void keepsTheTwoNewestAndLoadsTheNewest() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        for (long i = 10; i <= 40; i += 10) {
            store.save(snap(i));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.count()).isEqualTo(2);
        }
        assertThat(store.loadNewest(w -> { })).contains(snap(40));
    }

    @Test
    void everyBitFlipIsDetectedAndTheOlderSnapshotUsed() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(snap(10));
        store.save(snap(20));
        Path newest = dir.resolve(String.format("%016x-%016x.snap", 20, 2));
        byte[] good = Files.readAllBytes(newest);
        for (int pos = 0; pos < good.length; pos++) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x04;
            Files.write(newest, bad);
            List<String> warnings = new ArrayList<>();
            assertThat(store.loadNewest(warnings::add)).as("flip at %d", pos).contains(snap(10));
            assertThat(warnings).singleElement().asString().contains("is damaged");
            Files.move(newest.resolveSibling(newest.getFileName() + ".corrupt"), newest,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void leftoverTemporaryFilesAreIgnored() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(snap(5));
        Files.write(dir.resolve(String.format("%016x-%016x.snap.tmp", 9, 2)), new byte[] {1, 2});
        assertThat(store.loadNewest(w -> { })).contains(snap(5));
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
