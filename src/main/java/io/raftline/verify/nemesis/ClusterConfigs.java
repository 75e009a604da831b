package io.raftline.verify.nemesis;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * The configuration of a cluster under test, in {@link io.raftline.config.RaftlineConfig}'s JSON: short Raft
 * timings (heartbeat 50 ms, elections after 300–600 ms, so that a fault costs an election of well under a second
 * and runs and tests stay short) and durable storage, on loopback. It says what the cluster is; where it lives
 * (each node's ports and data directory, the admin API, which process runs which node) is filled in by the harness
 * that starts it, {@link InJvmCluster} or {@link ChildProcessCluster}. Callers adjust the JSON before starting
 * (a transport, snapshot intervals, memory storage).
 */
public final class ClusterConfigs {

    static final int SNAPSHOT_INTERVAL_ENTRIES = 1000;

    private ClusterConfigs() {
    }

    /**
     * A cluster of {@code nodes} members.
     *
     * @param nodes how many (ids 1..nodes; one means a single-node bootstrap)
     * @param seed  the cluster's random seed (elections, network faults)
     * @return the configuration, without ports or data directories
     */
    public static JsonObject cluster(int nodes, long seed) {
        JsonArray members = new JsonArray();
        for (int i = 1; i <= nodes; i++) {
            members.add(new JsonObject().put("id", i));
        }
        return new JsonObject().put("cluster_name", "raftline-test").put("seed", seed).put("http_host", "127.0.0.1")
                .put("single_node", nodes == 1).put("nodes", members)
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 300).put("election_timeout_max_ms", 600))
                .put("storage", new JsonObject().put("engine", "durable"));
    }

    /**
     * A cluster whose client requests time out after {@code requestTimeoutMs} (a forwarded one a second later, so
     * that the leader's own answer, a timeout included, reaches the follower that forwarded it).
     *
     * @param nodes            how many members
     * @param seed             the cluster's random seed
     * @param requestTimeoutMs {@code service.request_timeout_ms}
     * @return the configuration, without ports or data directories
     */
    public static JsonObject cluster(int nodes, long seed, long requestTimeoutMs) {
        return cluster(nodes, seed).put("service", new JsonObject().put("request_timeout_ms", requestTimeoutMs)
                .put("forward_timeout_ms", requestTimeoutMs + 1000));
    }

    /**
     * The cluster of a nemesis run: pre-vote and check-quorum spelled out, and frequent snapshots (every 1,000
     * entries), so that restarted or partitioned nodes also catch up by InstallSnapshot.
     *
     * @param options the run (nodes, seed, request timeout)
     * @return the configuration, without ports or data directories
     */
    static JsonObject forRun(NemesisOptions options) {
        JsonObject c = cluster(options.nodes(), options.seed(), options.requestTimeoutMs())
                .put("cluster_name", "verify-" + Long.toHexString(options.seed()));
        c.getJsonObject("raft").put("pre_vote", true).put("check_quorum", true)
                .put("snapshot_interval_entries", SNAPSHOT_INTERVAL_ENTRIES);
        if (options.groups() > 1) {
            c.put("groups", options.groups());
        }
        c.put("transport", options.transport().configName());
        return c;
    }

    /**
     * A copy of a configuration with every node placed: its data directory {@code dataDir/node-<id>}, and those of
     * the fields {@code where} gives it (its ports) that the configuration does not set already.
     *
     * @param config  the configuration
     * @param dataDir where the nodes keep their files
     * @param where   node id → fields for that node
     * @return the copy
     */
    static JsonObject placed(JsonObject config, Path dataDir, IntFunction<JsonObject> where) {
        JsonObject c = config.copy();
        JsonArray nodes = c.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            int id = n.getInteger("id");
            where.apply(id).forEach(field -> n.put(field.getKey(), n.getValue(field.getKey(), field.getValue())));
            n.put("data_dir", dataDir.resolve("node-" + id).toString());
        }
        return c;
    }

    /**
     * The node ids of a configuration.
     *
     * @param config the configuration
     * @return its members' ids, in order
     */
    static int[] nodeIds(JsonObject config) {
        JsonArray nodes = config.getJsonArray("nodes");
        int[] ids = new int[nodes.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = nodes.getJsonObject(i).getInteger("id");
        }
        return ids;
    }
}
