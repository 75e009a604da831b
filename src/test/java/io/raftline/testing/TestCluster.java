package io.raftline.testing;

import io.raftline.config.RaftlineConfig;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Starts a real cluster (nodes with durable storage, HTTP APIs, admin API) on loopback with ephemeral ports and test timings
 * (tick 10 ms, heartbeat 50 ms, election 150–300 ms), and offers bounded waits. Tests block their own JUnit
 * thread on futures (never an event loop), always with a deadline.
 */
public final class TestCluster {

    private TestCluster() {
    }

    /**
     * A configuration for {@code n} nodes on ephemeral ports, with an admin API.
     *
     * @param n                nodes (1 means a single-node bootstrap)
     * @param requestTimeoutMs client request timeout
     * @return the JSON, to tweak before {@link RaftlineConfig#fromJson}
     */
    public static JsonObject configJson(int n, long requestTimeoutMs) {
        JsonArray nodes = new JsonArray();
        // Durable storage, as in production, in a fresh directory that `mvn clean` removes.
        java.nio.file.Path data = java.nio.file.Path.of("target", "test-data", java.util.UUID.randomUUID().toString());
        for (int i = 1; i <= n; i++) {
            nodes.add(new JsonObject().put("id", i).put("http_port", 0)
                    .put("data_dir", data.resolve("node-" + i).toString()));
        }
        return new JsonObject().put("cluster_name", "test").put("seed", 7).put("single_node", n == 1)
                .put("nodes", nodes)
                .put("admin", new JsonObject().put("port", 0))
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 300).put("election_timeout_max_ms", 600))
                .put("service", new JsonObject().put("request_timeout_ms", requestTimeoutMs)
                        .put("forward_timeout_ms", requestTimeoutMs + 1000));
    }

    /**
     * Deploys a cluster and waits for its first leader.
     *
     * @param vertx the test's Vert.x
     * @param json  the configuration
     * @return the running cluster
     */
    public static ClusterVerticle start(Vertx vertx, JsonObject json) throws InterruptedException {
        ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
        Waits.await(vertx.deployVerticle(cluster));
        Waits.await(cluster.awaitLeader(Waits.TIMEOUT.toMillis()));
        return cluster;
    }
}
