package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;

import io.raftline.config.RaftlineConfig;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Clustered Vert.x instances in one JVM, each joined as one node's process would join (its Hazelcast member on its
 * {@code bus_port}), for tests of what crosses the clustered event bus; {@link #close()} stops them all.
 */
final class ClusteredInstances {

    static final Duration WAIT = Duration.ofSeconds(30);

    private final List<Vertx> started = new ArrayList<>();

    /**
     * A configuration of three nodes on loopback with free ports, in memory, with no node id yet.
     *
     * @param clusterName the Hazelcast cluster's name (one per test class, so that test runs do not meet)
     * @return the configuration
     */
    static JsonObject threeNodes(String clusterName) throws java.io.IOException {
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            nodes.add(new JsonObject().put("id", id).put("http_port", FreePorts.next()).put("resp_port", -1)
                    .put("bus_port", FreePorts.next()).put("data_dir", "unused-" + id));
        }
        return new JsonObject().put("cluster_name", clusterName).put("http_host", "127.0.0.1").put("nodes", nodes)
                .put("storage", new JsonObject().put("engine", "memory"));
    }

    /**
     * Starts a clustered Vert.x as node {@code id}'s process would.
     *
     * @param base the configuration without a node id
     * @param id   the node
     * @return the instance
     */
    Vertx join(JsonObject base, int id) throws Exception {
        RaftlineConfig config = RaftlineConfig.fromJson(base.copy().put("node_id", id));
        Vertx v = await(Clustering.builder(config, new VertxOptions()).buildClustered(), WAIT);
        started.add(v);
        return v;
    }

    /** Stops every instance started. */
    void close() throws Exception {
        for (Vertx v : started) {
            await(v.close(), WAIT);
        }
        started.clear();
    }
}
