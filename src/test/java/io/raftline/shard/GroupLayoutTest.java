package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory keeps the number of groups it was made with: opening it with another number would put keys in
 * the wrong groups, so the node refuses with a message naming the field and both numbers.
 */
class GroupLayoutTest {

    @Test
    void groupZeroIsTheDataDirectoryAndTheOthersAreSubdirectories(@TempDir Path dir) {
        assertThat(GroupLayout.groupDir(dir, 0)).isEqualTo(dir);
        assertThat(GroupLayout.groupDir(dir, 7)).isEqualTo(dir.resolve("group-7"));
    }

    @Test
    void aDirectoryHoldsANodesDataOnceItHasTheMarkerOrALogOrASnapshot(@TempDir Path dir) throws Exception {
        assertThat(GroupLayout.holdsNodeData(dir.resolve("missing"))).isFalse();
        Path empty = Files.createDirectories(dir.resolve("empty").resolve("wal"));
        assertThat(GroupLayout.holdsNodeData(empty.getParent())).as("a log directory without segments").isFalse();
        Path sharded = dir.resolve("sharded");
        GroupLayout.checkOrRecord(sharded, 4);
        assertThat(GroupLayout.holdsNodeData(sharded)).as("the marker").isTrue();
        Path single = Files.createDirectories(dir.resolve("single").resolve("wal"));
        Files.writeString(single.resolve("0000000000000001.wal"), "x");
        assertThat(GroupLayout.holdsNodeData(single.getParent())).as("a segment of one group's log").isTrue();
        Path snapshotted = Files.createDirectories(dir.resolve("snapshotted").resolve("snap"));
        Files.writeString(snapshotted.resolve("0000000000000007.snap"), "x");
        assertThat(GroupLayout.holdsNodeData(snapshotted.getParent())).as("a snapshot").isTrue();
    }

    @Test
    void aShardedNodeRecordsItsGroupsAndRefusesAnotherNumber(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("node-1");
        GroupLayout.checkOrRecord(data, 16);
        assertThat(Files.readString(data.resolve(GroupLayout.MARKER)).trim()).isEqualTo("16");
        GroupLayout.checkOrRecord(data, 16);
        assertThatThrownBy(() -> GroupLayout.checkOrRecord(data, 4)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("groups").hasMessageContaining("is 4").hasMessageContaining("16 groups");
        assertThatThrownBy(() -> GroupLayout.checkOrRecord(data, 1)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("16 groups");
    }

    @Test
    void aSingleGroupsDataIsNotOpenedAsShardedAndAnEmptyDirectoryIsLeftUnmarked(@TempDir Path dir) throws Exception {
        Path fresh = dir.resolve("fresh");
        GroupLayout.checkOrRecord(fresh, 1);
        assertThat(fresh.resolve(GroupLayout.MARKER)).doesNotExist();

        // Made the way a node of one group makes its data: a write-ahead log in data_dir/wal.
        Path single = dir.resolve("single");
        io.raftline.storage.DurableStorage.open(single, 4096, note -> { }).close();
        GroupLayout.checkOrRecord(single, 1);
        assertThatThrownBy(() -> GroupLayout.checkOrRecord(single, 8)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("holds data of 1 group");
        assertThat(single.resolve(GroupLayout.MARKER)).doesNotExist();
    }

    @Test
    void aGroupWithAWriteAheadLogOfItsOwnIsRefused(@TempDir Path dir) throws Exception {
        GroupLayout.checkOrRecord(dir, 4);
        GroupLayout.checkNoGroupLogs(dir, 4);
        Files.createDirectories(dir.resolve("group-2/wal"));
        Files.write(dir.resolve("group-2/wal/0000000000000001.wal"), new byte[16]);
        assertThatThrownBy(() -> GroupLayout.checkNoGroupLogs(dir, 4)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("group-2").hasMessageContaining("share the log");
    }

    @Test
    void aMarkerThatIsNotANumberIsNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(GroupLayout.MARKER), "sixteen\n");
        assertThatThrownBy(() -> GroupLayout.checkOrRecord(dir, 16)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sixteen");
    }
}
