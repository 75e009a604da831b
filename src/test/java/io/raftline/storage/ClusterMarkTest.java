package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory names the cluster whose data it holds: a node of another cluster is refused with a message that
 * names the field, the directory and both clusters, and says what to do.
 */
class ClusterMarkTest {

    @Test
    void aNewDirectoryTakesTheConfiguredNameAndKeepsIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("node-1");
        ClusterMark.checkOrRecord(data, "raftline", false);
        assertThat(Files.readString(data.resolve(ClusterMark.FILE))).isEqualTo("raftline\n");
        ClusterMark.checkOrRecord(data, "raftline", true);
        assertThat(Files.readString(data.resolve(ClusterMark.FILE))).isEqualTo("raftline\n");
        assertThat(data.resolve(ClusterMark.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void anotherClustersDataIsRefusedAndTheMarkIsLeftAsItWas(@TempDir Path dir) throws Exception {
        ClusterMark.checkOrRecord(dir, "raftline-local", false);
        assertThatThrownBy(() -> ClusterMark.checkOrRecord(dir, "raftline", true))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cluster_name: is \"raftline\"")
                .hasMessageContaining(dir + " holds the data of the cluster \"raftline-local\"")
                .hasMessageContaining("move " + dir + " away")
                .hasMessageContaining("\"cluster_name\": \"raftline-local\"");
        assertThat(Files.readString(dir.resolve(ClusterMark.FILE))).isEqualTo("raftline-local\n");
    }

    @Test
    void aDirectoryWithoutDataTakesTheNewNameOverAnOldMark(@TempDir Path dir) throws Exception {
        ClusterMark.checkOrRecord(dir, "first", false);
        ClusterMark.checkOrRecord(dir, "second", false);
        assertThat(Files.readString(dir.resolve(ClusterMark.FILE))).isEqualTo("second\n");
    }

    @Test
    void dataWrittenBeforeTheMarkExistedIsAdopted(@TempDir Path dir) throws Exception {
        DurableStorage.open(dir, 4096, note -> { }).close();
        ClusterMark.checkOrRecord(dir, "raftline", true);
        assertThat(Files.readString(dir.resolve(ClusterMark.FILE))).isEqualTo("raftline\n");
    }

    @Test
    void namesAreComparedWhole(@TempDir Path dir) throws Exception {
        ClusterMark.checkOrRecord(dir, "prod eu ", false);
        ClusterMark.checkOrRecord(dir, "prod eu ", true);
        assertThatThrownBy(() -> ClusterMark.checkOrRecord(dir, "prod eu", true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("\"prod eu \"");
    }
}
