package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import io.raftline.raft.StorageException;
import io.raftline.shard.GroupBackup;
import io.raftline.storage.DataDirLock;
import io.raftline.storage.RestoreMark;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A restore is all or nothing: when it fails for one node, the nodes done before it are not left seeded (a cluster
 * half restored, whose seeded nodes could elect a leader and take writes without the others), every data directory is
 * as it was before, and the error names the node and the cause.
 */
class BackupRestoreAllOrNothingTest {

    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("raftline-restore-");
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Node 1's directory exists (empty), node 2's is missing with two of its parents, node 3's lies under a regular
     * file, so it cannot be created: before, nodes 1 and 2 were left seeded.
     */
    @Test
    void aRestoreThatFailsOnTheLastNodeLeavesEveryDirectoryAsItWas() throws Exception {
        Path backup = backup(5);
        Files.createDirectories(dir.resolve("n1"));
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where a directory should be");
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 41, 3000),
                Map.of(1, dir.resolve("n1"), 2, dir.resolve("deep/er/n2"), 3, blocker.resolve("n3")));
        List<String> before = tree();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config));
        assertThat(tree()).as("every directory as before the restore").isEqualTo(before);
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageContaining("restore failed at node 3 (" + blocker.resolve("n3") + ") while locking its"
                        + " data directory: cannot create " + blocker.resolve("n3") + ": Not a directory;")
                .hasMessageContaining("nothing was restored: every node's data directory is as it was");

        // Once the cause is gone, the same restore seeds all three, and leaves no staging behind.
        Files.delete(blocker);
        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            assertSeeded(Path.of(config.nodes().get(id - 1).dataDir()));
        }
    }

    /**
     * Every node's directory lies in a parent that is missing: node 1's part creates it, and the others' directories go
     * in it. A failure at node 3 undoes them all, the parent included, and says nothing is left. Before, node 1's part
     * was undone first, found the parent not empty (nodes 2 and 3's directories were still there) and the message said
     * to remove it by hand, while the parent was left behind empty.
     */
    @Test
    void aParentOneNodeCreatedForOthersIsRemovedAndNotReportedLeft() throws Exception {
        Path backup = backup(5);
        Path shared = dir.resolve("x");
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 97, 3000),
                Map.of(1, shared.resolve("n1"), 2, shared.resolve("n2"), 3, shared.resolve("n3")));
        List<String> before = tree();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config, (node, staged) -> {
            if (node == 3) {
                throw new IOException("No space left on device");
            }
        }));
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageEndingWith("No space left on device; nothing was restored: every node's data directory is"
                        + " as it was");
        assertThat(tree()).as("the parent removed too").isEqualTo(before);

        // Something another process put in that parent meanwhile stays, and is named: nothing else is.
        Throwable again = catchThrowable(() -> Backups.restore(backup, config, (node, staged) -> {
            if (node == 1) {
                Files.writeString(shared.resolve("theirs"), "not the restore's");
            }
            if (node == 3) {
                throw new IOException("No space left on device");
            }
        }));
        assertThat(again).hasMessageEndingWith("undoing it failed, remove by hand: " + shared.toAbsolutePath()
                .normalize() + " (not empty)");
        assertThat(shared).isDirectory();
        try (Stream<Path> inside = Files.list(shared)) {
            assertThat(inside.map(p -> p.getFileName().toString())).containsExactly("theirs");
        }
    }

    /**
     * A restore that creates a node's data directory (and parents of it) makes each new directory durable in its
     * parent: everything it writes inside is synced, but a directory's own entry is not until its parent is. Before,
     * the directories were created unsynced, so a power cut after "restored" and before the nodes started could take a
     * node's whole directory away, its {@code RESTORING} mark with it, and that node started empty beside seeded ones.
     */
    @Test
    void theDirectoriesARestoreCreatesAreSyncedInTheirParents() throws Exception {
        Path backup = backup(5);
        Files.createDirectories(dir.resolve("n1"));
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 47, 3000),
                Map.of(1, dir.resolve("n1"), 2, dir.resolve("deep/er/n2"), 3, dir.resolve("n3")));
        List<Path> synced = new ArrayList<>();
        io.raftline.storage.Disk disk = new io.raftline.storage.ForwardingDisk(io.raftline.storage.NioDisk.INSTANCE) {
            @Override
            protected AppendFile wrap(Path p, AppendFile f) {
                return f;
            }

            @Override
            public void syncDirectory(Path d) throws IOException {
                super.syncDirectory(d);
                synced.add(d.toAbsolutePath().normalize());
            }
        };

        Backups.restore(backup, config, () -> { }, (node, staged) -> { }, disk);

        Path root = dir.toAbsolutePath().normalize();
        assertThat(synced).as("the parent of each directory the restore created, and no other")
                .containsExactlyInAnyOrder(root, root.resolve("deep"), root.resolve("deep/er"), root);
        for (int id = 1; id <= 3; id++) {
            assertSeeded(Path.of(config.nodes().get(id - 1).dataDir()));
        }
    }

    /**
     * A configuration whose nodes keep nothing on disk ({@code "storage": {"engine": "memory"}}) never reads a data
     * directory: the restore seeded every one and said so, and the cluster then started empty. It is refused, and
     * nothing is written.
     */
    @Test
    void aRestoreIntoNodesThatKeepNothingOnDiskIsRefused() throws Exception {
        Path backup = backup(5);
        JsonObject json = ClusterConfigs.cluster(3, 43, 3000);
        json.put("storage", new JsonObject().put("engine", "memory"));
        RaftlineConfig config = config(json, Map.of(1, dir.resolve("n1"), 2, dir.resolve("n2"), 3, dir.resolve("n3")));
        List<String> before = tree();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config));
        assertThat(failed).isInstanceOf(IOException.class).hasMessageContaining("\"engine\": \"memory\"");
        assertThat(tree()).as("nothing written").isEqualTo(before);
    }

    /**
     * A failure found once every node's state is written (a full disk, a check of what was written), here on the last
     * node of a sharded cluster: no node's directory gets anything, those that existed stay, empty.
     */
    @Test
    void aFailureAfterEveryNodeIsPreparedLeavesNothingEither() throws Exception {
        Path backup = dir.resolve("groups.snap");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GroupBackup.writeTo(List.of(state(3), state(0), state(7), state(2)), out);
        Files.write(backup, out.toByteArray());
        for (int id = 1; id <= 3; id++) {
            Files.createDirectories(dir.resolve("n" + id));
        }
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 43, 3000).put("groups", 4),
                threeDirs());
        List<String> before = tree();
        List<Integer> prepared = new ArrayList<>();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config, (node, staged) -> {
            prepared.add(node);
            if (node == 3) {
                throw new IOException("No space left on device");
            }
        }));
        assertThat(prepared).containsExactly(1, 2, 3);
        assertThat(tree()).as("every directory as before the restore").isEqualTo(before);
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageContaining("restore failed at node 3 (" + dir.resolve("n3") + ") while writing its state:"
                        + " No space left on device; nothing was restored");

        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            Path d = dir.resolve("n" + id);
            assertSeeded(d);
            assertThat(d.resolve("group-2")).isDirectory();
            assertThat(d.resolve("group-2").resolve(DataDirLock.FILE)).exists();
        }
    }

    /**
     * A restore killed ({@code kill -9}) once two of three nodes' states are written: every directory is marked, no
     * node starts on one (the first two hold a staged state, the third nothing), and the same restore run again redoes
     * them all, leaving neither marks nor staging behind.
     */
    @Test
    void aRestoreKilledHalfWayIsRefusedByTheNodesAndRedoneByTheNextRun() throws Exception {
        Path backup = backup(6);
        JsonObject json = withDataDirs(ClusterConfigs.cluster(3, 47, 3000),
                threeDirs());
        Path configFile = dir.resolve("cluster.json");
        Files.writeString(configFile, json.encodePrettily());
        RaftlineConfig config = RaftlineConfig.fromJson(json);

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RestoreUntilKilled.class.getName(),
                backup.toString(), configFile.toString(), "2").redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("staged 2")) {
                // the child's log lines
            }
            assertThat(line).as("the child wrote node 2's state").isEqualTo("staged 2");
            child.destroyForcibly().waitFor();
        }

        for (int id = 1; id <= 3; id++) {
            Path d = dir.resolve("n" + id);
            assertThat(RestoreMark.of(d)).as("node %d's mark", id).contains(RestoreMark.Phase.WRITING);
            int node = id;
            assertThat(catchThrowable(() -> RestoreMark.settleAtStart(node, d))).as("node %d starts", id)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("node " + id + " cannot start")
                    .hasMessageContaining("run the same `snapshot restore` again");
        }
        try (Stream<Path> staged = Files.list(dir.resolve("n1"))) {
            assertThat(staged.map(p -> p.getFileName().toString())).as("node 1 holds its staged state")
                    .anyMatch(n -> n.startsWith(".restore-"));
        }

        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            Path d = dir.resolve("n" + id);
            assertSeeded(d);
            assertThat(RestoreMark.of(d)).as("node %d's mark", id).isEmpty();
            assertThat(RestoreMark.settleAtStart(id, d)).isFalse();
        }
        // A directory a node has started on (unmarked, not empty) is never redone.
        Throwable again = catchThrowable(() -> Backups.restore(backup, config));
        assertThat(again).isInstanceOf(IOException.class).hasMessageContaining("is not empty");
    }

    /**
     * A backup file that is not there is named as missing: the exception's own message is only the path, and the
     * command line printed {@code raftline snapshot restore: nosuch.snap} and nothing else. Nothing is written.
     */
    @Test
    void aMissingBackupIsNamedAsMissing() throws Exception {
        Path missing = dir.resolve("nosuch.snap");
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 67, 3000), threeDirs());
        List<String> before = tree();

        assertThat(catchThrowable(() -> Backups.restore(missing, config))).isInstanceOf(IOException.class)
                .hasMessage("cannot read the backup " + missing + ": no such file or directory");
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * A data directory that is a regular file is refused saying so, before anything is written. Before, the message was
     * its path alone ({@code raftline snapshot restore: /tmp/rb/afile}), a {@code NotDirectoryException}'s.
     */
    @Test
    void aDataDirectoryThatIsAFileIsCalledNotADirectory() throws Exception {
        Path backup = backup(5);
        Path file = Files.writeString(dir.resolve("afile"), "not a directory");
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 101, 3000),
                Map.of(1, dir.resolve("n1"), 2, file, 3, dir.resolve("n3")));
        List<String> before = tree();

        assertThat(catchThrowable(() -> Backups.restore(backup, config))).isInstanceOf(IOException.class)
                .hasMessage("the data directory of node 2 (" + file + ") is not a directory: give data_dir a"
                        + " directory, or a path where one can be created");
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * A data directory the file system will not create ({@code /proc} refuses any new entry, ENOENT) is named with the
     * reason. Before, the cause was the exception's message, the path alone: {@code ... while locking its data
     * directory: /proc/raftline-x; ...}. The other nodes' directories are undone.
     */
    @Test
    void aDirectoryThatCannotBeCreatedIsNamedWithTheReason() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc");
        Path backup = backup(5);
        Path proc = Path.of("/proc/raftline-" + System.nanoTime());
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 103, 3000),
                Map.of(1, dir.resolve("n1"), 2, proc, 3, dir.resolve("n3")));
        List<String> before = tree();

        assertThat(catchThrowable(() -> Backups.restore(backup, config))).isInstanceOf(IOException.class)
                .hasMessage("restore failed at node 2 (" + proc + ") while locking its data directory: cannot create "
                        + proc + ": no such file or directory; nothing was restored: every node's data directory is"
                        + " as it was");
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * A backup with a flipped bit, or cut short, is refused naming what is likely: damage. The message said only "is
     * not a Raftline backup", as of a file of another kind. Nothing is written.
     */
    @Test
    void aDamagedBackupIsCalledDamaged() throws Exception {
        byte[] good = Files.readAllBytes(backup(6));
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x10;
        Path bitFlipped = Files.write(dir.resolve("flipped.snap"), flipped);
        Path truncated = Files.write(dir.resolve("truncated.snap"), java.util.Arrays.copyOf(good, good.length - 7));
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 71, 3000), threeDirs());
        List<String> before = tree();

        for (Path damaged : List.of(bitFlipped, truncated)) {
            assertThat(catchThrowable(() -> Backups.restore(damaged, config))).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(damaged + " is damaged or not a Raftline backup: ");
        }
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * A restore killed while it locked the directories: node 1's is locked and marked, node 2's locked but not marked
     * yet, node 3's not made. Node 2's directory holds its lock file only: it was refused as "not empty" by the next
     * run (with a hint about node 1's mark that did not apply), while node 1's mark kept node 1 from starting. The same
     * restore run again seeds all three.
     */
    @Test
    void aRestoreKilledWhileLockingIsRedoneByTheNextRun() throws Exception {
        Path backup = backup(5);
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 59, 3000), threeDirs());
        DataDirLock.acquire(dir.resolve("n1")).close();
        RestoreMark.mark(dir.resolve("n1"), RestoreMark.Phase.WRITING);
        DataDirLock.acquire(dir.resolve("n2")).close();

        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            Path d = dir.resolve("n" + id);
            assertSeeded(d);
            assertThat(RestoreMark.of(d)).as("node %d's mark", id).isEmpty();
        }
    }

    /**
     * The same on a sharded cluster: node 1 locked (every group) and marked, node 2 killed after locking two of its
     * four groups, node 3 killed while its mark was being written ({@code RESTORING.tmp}, no {@code RESTORING}). The
     * next run seeds all three and leaves no half-written mark behind; a directory with anything else in it is still
     * refused.
     */
    @Test
    void aShardedRestoreKilledWhileLockingIsRedoneByTheNextRun() throws Exception {
        Path backup = dir.resolve("groups.snap");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GroupBackup.writeTo(List.of(state(3), state(0), state(7), state(2)), out);
        Files.write(backup, out.toByteArray());
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 61, 3000).put("groups", 4), threeDirs());
        for (int g = 0; g < 4; g++) {
            DataDirLock.acquire(io.raftline.shard.GroupLayout.groupDir(dir.resolve("n1"), g)).close();
        }
        RestoreMark.mark(dir.resolve("n1"), RestoreMark.Phase.WRITING);
        DataDirLock.acquire(dir.resolve("n2")).close();
        DataDirLock.acquire(dir.resolve("n2").resolve("group-1")).close();
        for (int g = 0; g < 4; g++) {
            DataDirLock.acquire(io.raftline.shard.GroupLayout.groupDir(dir.resolve("n3"), g)).close();
        }
        Files.writeString(dir.resolve("n3").resolve(RestoreMark.FILE + ".tmp"), "wri");

        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            Path d = dir.resolve("n" + id);
            assertSeeded(d);
            assertThat(RestoreMark.of(d)).as("node %d's mark", id).isEmpty();
            assertThat(d.resolve(RestoreMark.FILE + ".tmp")).doesNotExist();
            assertThat(d.resolve("group-2").resolve("snap")).isDirectory();
        }

        // Something beside the lock files (here in a group's directory) is data: refused as before.
        Path other = dir.resolve("other");
        DataDirLock.acquire(other).close();
        Files.writeString(Files.createDirectories(other.resolve("group-1")).resolve("wal"), "a node ran here");
        RaftlineConfig otherConfig = config(ClusterConfigs.cluster(3, 61, 3000).put("groups", 4),
                Map.of(1, other, 2, dir.resolve("o2"), 3, dir.resolve("o3")));
        assertThat(catchThrowable(() -> Backups.restore(backup, otherConfig))).isInstanceOf(IOException.class)
                .hasMessageContaining("the data directory of node 1 (" + other + ") is not empty");
    }

    /**
     * Unmarked data beside marked directories (a restore stopped between its last two steps, one of whose nodes then
     * started): refused, nothing touched, and the message says what the marks mean.
     */
    @Test
    void unmarkedDataBesideMarkedDirectoriesIsRefusedAndExplained() throws Exception {
        Path backup = backup(4);
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 53, 3000),
                threeDirs());
        // Every state in place; node 1's mark said "written", and node 1 removed it and ran; 2 and 3 still say
        // "writing" (a restore stopped while it rewrote the marks).
        Backups.restore(backup, config);
        Files.writeString(dir.resolve("n1").resolve("ran"), "a node ran here");
        for (int id = 2; id <= 3; id++) {
            RestoreMark.mark(dir.resolve("n" + id), RestoreMark.Phase.WRITING);
        }
        List<String> before = tree();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config));
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageContaining("the data directory of node 1 (" + dir.resolve("n1") + ") is not empty")
                .hasMessageContaining("nodes [2, 3] hold the mark of a restore that was stopped: if that restore's"
                        + " nodes have started, it had written every node's state");
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * A restore stopped while it marked the directories: node 1's holds its lock file and a mark saying
     * {@code writing}, nodes 2 and 3's their lock files only, and nodes 2 and 3 then started on them, as a new, empty
     * cluster. The rerun refuses, and must not say that the stopped restore had written every node's state (before, it
     * did, and following it left the empty cluster): it says the state was never written and that the directories of
     * nodes 2 and 3 must be moved away. Once they are, the restore seeds all three.
     */
    @Test
    void markedDirectoriesWithoutTheirStateAreNotExplainedAsWritten() throws Exception {
        Path backup = backup(4);
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 83, 3000), threeDirs());
        DataDirLock.acquire(dir.resolve("n1")).close();
        RestoreMark.mark(dir.resolve("n1"), RestoreMark.Phase.WRITING);
        for (int id = 2; id <= 3; id++) {
            DataDirLock.acquire(dir.resolve("n" + id)).close();
            Files.writeString(dir.resolve("n" + id).resolve("wal"), "an empty cluster ran here");
        }
        List<String> before = tree();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config));
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageContaining("the data directory of node 2 (" + dir.resolve("n2") + ") is not empty")
                .hasMessageContaining("nodes [1] hold the mark of a restore that was stopped before it had written"
                        + " the nodes' state")
                .hasMessageContaining("move the directories of nodes [2, 3] away before running the restore again")
                .hasMessageNotContaining("had written every node's state");
        assertThat(tree()).isEqualTo(before);

        for (int id = 2; id <= 3; id++) {
            Files.move(dir.resolve("n" + id), dir.resolve("old-n" + id));
        }
        assertThat(Backups.restore(backup, config).seeded()).hasSize(3);
        for (int id = 1; id <= 3; id++) {
            assertSeeded(dir.resolve("n" + id));
            assertThat(RestoreMark.of(dir.resolve("n" + id))).isEmpty();
        }
    }

    /**
     * Every directory is locked before any is marked, so that a restore stopped while it locks them leaves lock files
     * only (which a rerun redoes, and on which a node that starts starts like on an empty directory, beside no marked
     * one). Seen from the sync of node 3's new directory, made while it is locked: node 1's directory has no mark yet.
     */
    @Test
    void everyDirectoryIsLockedBeforeAnyIsMarked() throws Exception {
        Path backup = backup(5);
        Files.createDirectories(dir.resolve("n1"));
        Files.createDirectories(dir.resolve("n2"));
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 89, 3000), threeDirs());
        List<Boolean> node1MarkedWhileLockingNode3 = new ArrayList<>();
        io.raftline.storage.Disk disk = new io.raftline.storage.ForwardingDisk(io.raftline.storage.NioDisk.INSTANCE) {
            @Override
            protected AppendFile wrap(Path p, AppendFile f) {
                return f;
            }

            @Override
            public void syncDirectory(Path d) throws IOException {
                super.syncDirectory(d);
                node1MarkedWhileLockingNode3.add(Files.exists(dir.resolve("n1").resolve(RestoreMark.FILE)));
            }
        };

        Backups.restore(backup, config, () -> { }, (node, staged) -> { }, disk);
        assertThat(node1MarkedWhileLockingNode3).containsExactly(false);
        for (int id = 1; id <= 3; id++) {
            assertSeeded(dir.resolve("n" + id));
        }
    }

    /**
     * A node started and stopped on a directory after the restore checked them all, before it locked that one: the
     * check is made again under the lock, so the restore is refused there, before writing anything, with the node's
     * data as the node left it and no other directory keeping anything. Before, the directory was checked only before
     * it was locked, and the restore put its mark and state beside the node's data.
     */
    @Test
    void aNodeThatRanAfterTheCheckIsFoundUnderTheLock() throws Exception {
        Path backup = backup(5);
        for (int id = 1; id <= 3; id++) {
            Files.createDirectories(dir.resolve("n" + id));
        }
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 59, 3000), threeDirs());
        List<String> before = new ArrayList<>();

        Throwable failed = catchThrowable(() -> Backups.restore(backup, config, () -> {
            // What a node leaves: its lock file (released) and its data.
            Path n2 = dir.resolve("n2");
            DataDirLock lock = DataDirLock.acquire(n2);
            Files.writeString(n2.resolve("wal"), "a node ran here");
            lock.close();
            before.addAll(tree());
        }, (node, staged) -> { }));
        assertThat(failed).isInstanceOf(IOException.class)
                .hasMessageContaining("restore failed at node 2 (" + dir.resolve("n2") + ") while locking its data"
                        + " directory: the data directory is not empty any more")
                .hasMessageContaining("nothing was restored");
        assertThat(before).contains("n2/wal 15");
        assertThat(tree()).as("the node's data as it left it, the other directories as before").isEqualTo(before);
    }

    /**
     * A restore stopped while removing its marks, after every node's state was written (each mark then says
     * {@code written}): the node removes its mark and starts.
     */
    @Test
    void aMarkThatSaysWrittenIsRemovedByTheNodeThatFindsIt() throws Exception {
        Path d = Files.createDirectories(dir.resolve("n1"));
        RestoreMark.mark(d, RestoreMark.Phase.WRITING);
        RestoreMark.mark(d, RestoreMark.Phase.WRITTEN);
        assertThat(RestoreMark.of(d)).contains(RestoreMark.Phase.WRITTEN);
        assertThat(RestoreMark.settleAtStart(1, d)).isTrue();
        assertThat(d.resolve(RestoreMark.FILE)).doesNotExist();
        assertThat(RestoreMark.settleAtStart(1, d)).isFalse();
    }

    /**
     * A cluster of one process per machine: every node's entry names the same path (each machine has its own), and
     * the configuration's {@code node_id} says which node this machine runs. Only that node's directory is seeded, with
     * the whole membership. Before, every member's directory was seeded, the same one three times: the second lock
     * failed, calling the directory in use by another running node.
     */
    @Test
    void aPerProcessConfigurationSeedsItsOwnNodeOnly() throws Exception {
        Path backup = backup(5);
        Path shared = dir.resolve("var-lib-raftline");
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 73, 3000).put("node_id", 2),
                Map.of(1, shared, 2, shared, 3, shared));

        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.seeded()).containsExactly(shared);
        assertSeeded(shared);
        assertThat(RestoreMark.of(shared)).isEmpty();
        io.raftline.storage.DurableStorage storage = io.raftline.storage.DurableStorage.open(shared,
                config.storage().segmentBytes(), warning -> { });
        try {
            assertThat(storage.snapshot().metadata().index()).isEqualTo(5);
            assertThat(storage.snapshot().metadata().voters()).as("every member").containsExactly(1, 2, 3);
        } finally {
            storage.close();
        }
        try (Stream<Path> inside = Files.list(dir)) {
            assertThat(inside.map(p -> p.getFileName().toString())).as("nothing else written")
                    .containsExactlyInAnyOrder("backup.snap", "var-lib-raftline");
        }
    }

    /**
     * Two nodes of one configuration that name the same directory (here spelt two ways) are refused before anything is
     * written, saying so, rather than as a directory in use by another running node.
     */
    @Test
    void twoNodesNamingTheSameDirectoryAreRefused() throws Exception {
        Path backup = backup(5);
        RaftlineConfig config = config(ClusterConfigs.cluster(3, 79, 3000),
                Map.of(1, dir.resolve("a"), 2, dir.resolve("b"), 3, dir.resolve("x/../a")));
        List<String> before = tree();

        assertThat(catchThrowable(() -> Backups.restore(backup, config))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("nodes 1 and 3 name the same data directory ("
                        + dir.resolve("a").toAbsolutePath().normalize() + ")");
        assertThat(tree()).isEqualTo(before);
    }

    /**
     * The command line: a configuration the restore cannot use (nodes that keep nothing on disk, two nodes naming one
     * directory, a node_id that joins, another number of groups than the backup's) exits 2, as an invalid
     * configuration does (docs/configuration.md, exit codes); it exited 1, as a runtime failure. A refusal of what is on disk still exits 1.
     */
    @Test
    void aConfigurationTheRestoreCannotUseExits2() throws Exception {
        Path backup = backup(5);
        JsonObject memory = withDataDirs(ClusterConfigs.cluster(3, 107, 3000), threeDirs());
        memory.put("storage", new JsonObject().put("engine", "memory"));
        JsonObject shared = withDataDirs(ClusterConfigs.cluster(3, 107, 3000),
                Map.of(1, dir.resolve("n1"), 2, dir.resolve("n1"), 3, dir.resolve("n3")));
        JsonObject joins = withDataDirs(ClusterConfigs.cluster(4, 107, 3000), Map.of(1, dir.resolve("n1"), 2,
                dir.resolve("n2"), 3, dir.resolve("n3"), 4, dir.resolve("n4"))).put("node_id", 4);
        joins.getJsonArray("nodes").getJsonObject(3).put("join", true);
        JsonObject twoGroups = withDataDirs(ClusterConfigs.cluster(3, 107, 3000), threeDirs()).put("groups", 2);
        Map<JsonObject, String> refusals = new java.util.LinkedHashMap<>();
        refusals.put(memory, "raftline snapshot restore: the configuration's nodes keep nothing on disk");
        refusals.put(shared, "raftline snapshot restore: nodes 1 and 2 name the same data directory");
        refusals.put(joins, "raftline snapshot restore: node 4 (the configuration's node_id) joins a running cluster");
        refusals.put(twoGroups, "raftline snapshot restore: " + backup + " is a backup of 1 Raft group but the"
                + " configuration has \"groups\": 2");
        List<String> before = tree();
        for (Map.Entry<JsonObject, String> e : refusals.entrySet()) {
            Path conf = Files.writeString(Files.createTempFile("raftline-restore-conf-", ".json"), e.getKey().encode());
            try {
                MainTest.Result r = MainTest.run("snapshot", "restore", backup.toString(), "--conf", conf.toString());
                assertThat(r.code()).as(r.err()).isEqualTo(2);
                assertThat(r.err()).startsWith(e.getValue());
            } finally {
                Files.delete(conf);
            }
        }
        assertThat(tree()).isEqualTo(before);

        Files.writeString(Files.createDirectories(dir.resolve("n2")).resolve("wal"), "a node ran here");
        Path conf = Files.writeString(Files.createTempFile("raftline-restore-conf-", ".json"),
                withDataDirs(ClusterConfigs.cluster(3, 107, 3000), threeDirs()).encode());
        try {
            MainTest.Result r = MainTest.run("snapshot", "restore", backup.toString(), "--conf", conf.toString());
            assertThat(r.code()).as("not empty: what is on disk, not the configuration").isEqualTo(1);
            assertThat(r.err()).contains("is not empty");
        } finally {
            Files.delete(conf);
        }
    }

    /**
     * What the command says to do next: start the cluster (local mode); with a node_id, restore the other members
     * first, each with its own configuration; a configuration of one node just starts it. The one-node case said "and
     * the configurations of the other nodes it lists, one process each", of a configuration listing no other.
     */
    @Test
    void theSuccessMessageSaysWhatToDoNext() throws Exception {
        Path backup = backup(5);
        JsonObject local = withDataDirs(ClusterConfigs.cluster(3, 109, 3000),
                Map.of(1, dir.resolve("l1"), 2, dir.resolve("l2"), 3, dir.resolve("l3")));
        JsonObject perProcess = withDataDirs(ClusterConfigs.cluster(3, 109, 3000), threeDirs()).put("node_id", 2);
        JsonObject alone = withDataDirs(ClusterConfigs.cluster(1, 109, 3000), Map.of(1, dir.resolve("one")))
                .put("node_id", 1);
        Map<JsonObject, String> expected = new java.util.LinkedHashMap<>();
        expected.put(local, "into [" + dir.resolve("l1") + ", " + dir.resolve("l2") + ", " + dir.resolve("l3")
                + "]; start the cluster with --conf ");
        expected.put(perProcess, "into [" + dir.resolve("n2") + "]; restore nodes [1, 3] too, each with its own"
                + " configuration, before starting any node; then start node 2 with --conf ");
        expected.put(alone, "into [" + dir.resolve("one") + "]; start the node with --conf ");
        for (Map.Entry<JsonObject, String> e : expected.entrySet()) {
            Path conf = Files.writeString(Files.createTempFile("raftline-restore-conf-", ".json"), e.getKey().encode());
            try {
                MainTest.Result r = MainTest.run("snapshot", "restore", backup.toString(), "--conf", conf.toString());
                assertThat(r.code()).as(r.err()).isZero();
                assertThat(r.out()).startsWith("restored revision 5, 5 keys, state hash ").contains(e.getValue() + conf)
                        .doesNotContain("the configurations of the other nodes it lists");
            } finally {
                Files.delete(conf);
            }
        }
    }

    /** A state machine's state after {@code writes} writes. */
    private static KvSnapshot state(int writes) {
        KvStateMachine kv = new KvStateMachine();
        for (int i = 1; i <= writes; i++) {
            kv.apply(i, KvCodec.encode(new KvCommand.Put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8),
                    KvCommand.UNCONDITIONAL, null)));
        }
        return kv.capture();
    }

    /** Nodes 1-3 in {@code n1}..{@code n3} of the test's directory. */
    private Map<Integer, Path> threeDirs() {
        return Map.of(1, dir.resolve("n1"), 2, dir.resolve("n2"), 3, dir.resolve("n3"));
    }

    /** A backup of the state after {@code writes} writes, in the test's directory. */
    private Path backup(int writes) throws IOException {
        return Files.write(dir.resolve("backup.snap"), state(writes).toByteArray());
    }

    private static RaftlineConfig config(JsonObject json, Map<Integer, Path> dataDirs) {
        return RaftlineConfig.fromJson(withDataDirs(json, dataDirs));
    }

    private static JsonObject withDataDirs(JsonObject json, Map<Integer, Path> dataDirs) {
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            n.put("http_port", 0).put("data_dir", dataDirs.get(n.getInteger("id")).toString());
        }
        return json;
    }

    /** Everything under the test's directory: each path, a file's size. */
    private List<String> tree() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.sorted().map(p -> dir.relativize(p) + (Files.isDirectory(p) ? "/" : " " + size(p))).toList();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A node's directory seeded: its lock file and the restored state, no staging directory left. */
    private static void assertSeeded(Path d) throws IOException {
        try (Stream<Path> inside = Files.list(d)) {
            List<String> names = inside.map(p -> p.getFileName().toString()).toList();
            assertThat(names).as("%s", d).contains(DataDirLock.FILE).hasSizeGreaterThan(1)
                    .noneMatch(n -> n.startsWith(".restore-"));
        }
    }
}
