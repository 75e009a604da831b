package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.storage.ClusterMark;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node does not start on another cluster's data. Regression: the processes of {@code conf/node-*.json} (cluster
 * "raftline"), started after the local cluster of {@code conf/local-3.json} ("raftline-local"), whose data directories
 * they share, carried on with its log, terms and membership: a node the local cluster had removed campaigned in vain,
 * and a node whose foreign log is longer and of later terms could have been elected and overwritten its peers'
 * committed writes.
 */
class DataDirectoryClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aNodeStartedOnAnotherClustersDataIsRefusedAndItsOwnClusterStartsOnIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("node-1");
        start(config("raftline-local", data));
        assertThat(Files.readString(data.resolve(ClusterMark.FILE))).isEqualTo("raftline-local\n");

        Throwable refused = catchThrowable(() -> start(config("raftline", data)));
        Throwable cause = refused;
        while (cause != null && !(cause instanceof ConfigException)) {
            cause = cause.getCause();
        }
        assertThat(cause).as("the start of cluster \"raftline\" on the data of \"raftline-local\": %s", refused)
                .isInstanceOf(ConfigException.class);
        assertThat(cause.getMessage()).startsWith("cluster_name: is \"raftline\"")
                .contains("holds the data of the cluster \"raftline-local\"");
        assertThat(Files.readString(data.resolve(ClusterMark.FILE))).isEqualTo("raftline-local\n");

        start(config("raftline-local", data));
    }

    /** Deploys the cluster verticle of {@code conf} in a Vert.x instance of its own, then closes it. */
    private static void start(JsonObject conf) throws Exception {
        Vertx v = Vertx.vertx();
        try {
            await(v.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf))), WAIT);
        } finally {
            await(v.close(), WAIT);
        }
    }

    private static JsonObject config(String name, Path data) throws java.io.IOException {
        JsonArray members = new JsonArray().add(new JsonObject().put("id", 1).put("http_port", FreePorts.next())
                .put("resp_port", -1).put("data_dir", data.toString()));
        return ClusterConfigs.cluster(1, 47).put("nodes", members).put("cluster_name", name);
    }
}
