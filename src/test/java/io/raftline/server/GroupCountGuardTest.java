package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes of one cluster, one per process (here one per Vert.x instance on the gRPC transport, each with its own file),
 * must shard the key space over the same number of groups: a node whose {@code "groups"} differs from a running
 * peer's refuses to start, naming the peer and its number.
 */
class GroupCountGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<Vertx> processes = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Vertx v : processes) {
            await(v.close(), WAIT);
        }
    }

    /**
     * Node 1 runs with 2 groups; node 2's file says 3. Regression: node 2 started, and the groups both nodes host
     * (0 and 1) formed with each node mapping keys to them by its own count: a write through the leader of a shared
     * group landed in a group where the other nodes never look for its key.
     */
    @Test
    void aNodeConfiguredWithAnotherNumberOfGroupsThanARunningPeerRefusesToStart() throws Exception {
        JsonObject base = threeNodes();
        await(deploy(base, 1, 2), WAIT);
        Throwable refused = catchThrowable(() -> await(deploy(base, 2, 3), WAIT));
        assertThat(refused).as("node 2 with 3 groups next to node 1 with 2").isNotNull();
        Throwable cause = refused;
        while (!(cause instanceof ConfigException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertThat(cause).isInstanceOf(ConfigException.class);
        assertThat(cause.getMessage()).contains("groups: is 3").contains("node 1 runs with \"groups\": 2");

        // The same file with the peer's number starts.
        await(deploy(base, 3, 2), WAIT);
    }

    private static JsonObject threeNodes() throws java.io.IOException {
        JsonArray members = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            members.add(new JsonObject().put("id", id).put("http_port", FreePorts.next()).put("resp_port", -1));
        }
        return ClusterConfigs.cluster(3, 41).put("nodes", members).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"));
    }

    /** Starts node {@code id} alone in a Vert.x instance of its own, with {@code groups} groups. */
    private io.vertx.core.Future<String> deploy(JsonObject base, int id, int groups) {
        Vertx v = Vertx.vertx();
        processes.add(v);
        JsonObject conf = base.copy().put("node_id", id).put("groups", groups);
        return v.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf)));
    }
}
