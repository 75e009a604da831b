package io.raftline.verify.nemesis;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * The configuration of a cluster under test: fast Raft timings (heartbeat 50 ms, elections after 300–600 ms, so
 * that faults cause elections within the run), durable storage, frequent snapshots (every 1,000 entries, so
 * that restarted or partitioned nodes also catch up by InstallSnapshot), and the run's request timeout.
 */
final class ClusterConfigs {

    static final int SNAPSHOT_INTERVAL_ENTRIES = 1000;

    private ClusterConfigs() {
    }

    /**
     * The JSON of a cluster.
     *
     * @param options   the run
     * @param dataDir   where node {@code i} keeps {@code node-i}
     * @param httpPorts node {@code i}'s HTTP port at index {@code i} (0: any free port)
     * @param busPorts  Hazelcast ports at index {@code i}, or null in local mode
     * @return the configuration (add {@code node_id} and {@code admin} as needed)
     */
    static JsonObject cluster(NemesisOptions options, Path dataDir, int[] httpPorts, int[] busPorts) {
        JsonArray nodes = new JsonArray();
        for (int i = 1; i <= options.nodes(); i++) {
            JsonObject n = new JsonObject().put("id", i).put("http_port", httpPorts[i])
                    .put("data_dir", dataDir.resolve("node-" + i).toString());
            if (busPorts != null) {
                n.put("bus_port", busPorts[i]);
            }
            nodes.add(n);
        }
        return new JsonObject().put("cluster_name", "verify-" + Long.toHexString(options.seed()))
                .put("seed", options.seed()).put("http_host", "127.0.0.1").put("nodes", nodes)
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 300).put("election_timeout_max_ms", 600)
                        .put("pre_vote", true).put("check_quorum", true)
                        .put("snapshot_interval_entries", SNAPSHOT_INTERVAL_ENTRIES))
                .put("service", new JsonObject().put("request_timeout_ms", options.requestTimeoutMs())
                        .put("forward_timeout_ms", options.requestTimeoutMs() + 1000))
                .put("storage", new JsonObject().put("engine", "durable"));
    }
}
