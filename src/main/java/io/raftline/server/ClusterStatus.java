package io.raftline.server;

import io.raftline.api.http.ClusterView;
import io.raftline.api.http.PeerDirectory;
import io.raftline.config.RaftlineConfig;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.shard.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /v1/cluster} shows: every node of the configuration with its role, term, indexes, storage
 * counters and state, and the leader. The nodes of this process answer directly; nodes in other processes are
 * asked with a short timeout (over the clustered event bus, or over HTTP when Raft runs over gRPC), so a dead
 * process shows as {@code Unknown} instead of stalling the answer.
 */
final class ClusterStatus implements ClusterView {

    private final Vertx vertx;
    private final RaftlineConfig config;
    private final Map<Integer, ? extends RaftNode> nodes;
    private final PeerDirectory peers;
    private final HttpClient client;
    private final java.util.function.Supplier<java.util.Collection<Integer>> known;

    /**
     * @param vertx  the Vert.x instance
     * @param config the configuration (every node of the cluster)
     * @param nodes  the nodes of this process
     * @param peers  where each node's client port is
     * @param client HTTP client for asking other processes (owned by the caller)
     * @param known  the node ids to list: the members of the newest membership known, and the local nodes
     */
    ClusterStatus(Vertx vertx, RaftlineConfig config, Map<Integer, ? extends RaftNode> nodes, PeerDirectory peers,
            HttpClient client, java.util.function.Supplier<java.util.Collection<Integer>> known) {
        this.vertx = vertx;
        this.config = config;
        this.nodes = nodes;
        this.peers = peers;
        this.client = client;
        this.known = known;
    }

    /** Event-bus address where a node's process answers status requests (one node per process). */
    static String statusAddress(int nodeId) {
        return "raftline.status." + nodeId;
    }

    /**
     * Nodes running in other processes, asked with a short timeout so that a dead process shows as unknown instead
     * of stalling the answer: over the clustered event bus when there is one, otherwise (Raft over gRPC, no cluster
     * manager) over HTTP, {@code GET /v1/cluster?scope=local} on the node's client port.
     */
    private Future<Map<Integer, JsonObject>> remoteStatuses() {
        Map<Integer, JsonObject> out = new java.util.concurrent.ConcurrentHashMap<>();
        List<Future<?>> asks = new ArrayList<>();
        boolean overBus = Clustering.clustered(config);
        for (int id : known.get()) {
            if (nodes.containsKey(id)) {
                continue;
            }
            if (overBus) {
                asks.add(vertx.eventBus().<JsonObject>request(statusAddress(id), null,
                        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(500))
                        .onSuccess(m -> out.put(id, m.body())).otherwiseEmpty());
            } else if (config.nodeId() != 0 && peers.httpAddress(id).isPresent()) {
                PeerDirectory.Address a = peers.httpAddress(id).orElseThrow();
                asks.add(client.request(peers.authorize(new io.vertx.core.http.RequestOptions()
                                .setMethod(io.vertx.core.http.HttpMethod.GET).setHost(a.host()).setPort(a.port())
                                .setURI("/v1/cluster?scope=local").setConnectTimeout(500).setIdleTimeout(500)))
                        .compose(req -> req.send()).compose(resp -> resp.body())
                        .onSuccess(body -> {
                            JsonArray list = body.toJsonObject().getJsonArray("nodes", new JsonArray());
                            for (int i = 0; i < list.size(); i++) {
                                JsonObject o = list.getJsonObject(i);
                                if (o.getInteger("id", 0) == id && Boolean.TRUE.equals(o.getBoolean("local"))) {
                                    o.remove("url");
                                    o.remove("local");
                                    out.put(id, o);
                                }
                            }
                        }).otherwiseEmpty());
            }
        }
        return Future.join(asks).otherwiseEmpty().map(v -> out);
    }

    /**
     * Answers other processes' status requests for the local nodes on {@link #statusAddress}.
     *
     * @return completes once every consumer is registered
     */
    Future<Void> serveStatusRequests() {
        List<Future<Void>> registered = new ArrayList<>();
        for (Map.Entry<Integer, ? extends RaftNode> e : nodes.entrySet()) {
            registered.add(vertx.eventBus().<Object>consumer(statusAddress(e.getKey()),
                    msg -> nodeJson(e.getValue()).onComplete(ar -> {
                        if (ar.succeeded()) {
                            msg.reply(ar.result());
                        } else {
                            msg.fail(503, ar.cause().getMessage());
                        }
                    })).completion());
        }
        return Future.all(registered).mapEmpty();
    }

    @Override
    public Future<JsonObject> describeLocal() {
        return describe(false);
    }

    @Override
    public Future<JsonObject> describe() {
        return describe(true);
    }

    /**
     * One node's status as JSON; a node of a sharded cluster adds {@code "groups"}, its replica of each group:
     * {@code [{"group","role","term","leader","commit","applied","lastIndex","quiet"}]}.
     */
    private static Future<JsonObject> nodeJson(RaftNode n) {
        if (!(n instanceof ReplicaSet set)) {
            return n.status().map(ClusterStatus::statusJson);
        }
        return ReplicaSet.statuses(set.replicas()).map(all -> {
            JsonArray groups = new JsonArray();
            for (int g = 0; g < all.size(); g++) {
                NodeStatus s = all.get(g);
                groups.add(new JsonObject().put("group", g).put("role", s.roleName()).put("term", s.term())
                        .put("leader", s.leader()).put("commit", s.commit()).put("applied", s.applied())
                        .put("lastIndex", s.lastIndex()).put("quiet", s.quiesced()));
            }
            return statusJson(all.get(0)).put("groups", groups);
        });
    }

    private Future<JsonObject> describe(boolean askOthers) {
        List<Future<JsonObject>> statuses = new ArrayList<>();
        for (RaftNode n : nodes.values()) {
            statuses.add(nodeJson(n));
        }
        Future<Map<Integer, JsonObject>> remote = askOthers ? remoteStatuses() : Future.succeededFuture(Map.of());
        return Future.all(Future.all(statuses), remote).map(both -> {
            io.vertx.core.CompositeFuture all = both.resultAt(0);
            Map<Integer, JsonObject> others = both.resultAt(1);
            Map<Integer, JsonObject> byId = new LinkedHashMap<>();
            for (int i = 0; i < all.size(); i++) {
                JsonObject s = all.resultAt(i);
                byId.put(s.getInteger("id"), s);
            }
            List<JsonObject> reported = new ArrayList<>();
            JsonArray list = new JsonArray();
            int leader = 0;
            long leaderTerm = -1;
            long term = 0;
            java.util.Collection<Integer> listed = known.get();
            for (int id : listed) {
                JsonObject s = byId.get(id);
                String url = peers.url(id).orElse("");
                if (s == null) {
                    JsonObject o = others.get(id);
                    if (o == null) {
                        list.add(new JsonObject().put("id", id).put("url", url).put("local", false)
                                .putNull("up").put("role", "Unknown"));
                    } else {
                        term = Math.max(term, o.getLong("term", 0L));
                        if ("Leader".equals(o.getString("role")) && o.getLong("term", 0L) > leaderTerm) {
                            leader = id;
                            leaderTerm = o.getLong("term");
                        }
                        list.add(o.copy().put("url", url).put("local", false));
                        reported.add(o);
                    }
                    continue;
                }
                long t = s.getLong("term", 0L);
                term = Math.max(term, t);
                if (Boolean.TRUE.equals(s.getBoolean("up")) && "Leader".equals(s.getString("role")) && t > leaderTerm) {
                    leader = id;
                    leaderTerm = t;
                }
                list.add(s.put("url", url).put("local", true));
                reported.add(s);
            }
            if (leader == 0 && nodes.size() < listed.size()) {
                // One node per process: report the leader this node follows.
                for (JsonObject s : byId.values()) {
                    if (Boolean.TRUE.equals(s.getBoolean("up")) && s.getInteger("leader", 0) != 0) {
                        leader = s.getInteger("leader");
                    }
                }
            }
            JsonObject out = new JsonObject().put("cluster", config.clusterName()).put("leader", leader)
                    .put("term", term).put("nodes", list);
            if (config.groups() > 1) {
                out.put("groups", groups(reported, config.groups()));
            }
            return out;
        });
    }

    /**
     * The groups of a sharded cluster from what the nodes reported of their replicas: each group's leader (the one a
     * replica reports as Leader in the highest term, else the leader most replicas follow), its highest term and
     * commit index, each node's role in it, and whether its leader has quiesced it ({@code "quiet"}).
     */
    static JsonArray groups(List<JsonObject> reported, int count) {
        JsonArray out = new JsonArray();
        for (int g = 0; g < count; g++) {
            int leader = 0;
            long leaderTerm = -1;
            long term = 0;
            long commit = 0;
            boolean quiet = false;
            Map<Integer, Integer> followed = new java.util.TreeMap<>();
            JsonObject roles = new JsonObject();
            for (JsonObject node : reported) {
                JsonArray groups = node.getJsonArray("groups");
                if (groups == null || groups.size() <= g || !Boolean.TRUE.equals(node.getBoolean("up"))) {
                    continue;
                }
                JsonObject r = groups.getJsonObject(g);
                int id = node.getInteger("id");
                long t = r.getLong("term", 0L);
                term = Math.max(term, t);
                commit = Math.max(commit, r.getLong("commit", 0L));
                roles.put(String.valueOf(id), r.getString("role"));
                if ("Leader".equals(r.getString("role")) && t > leaderTerm) {
                    leader = id;
                    leaderTerm = t;
                    quiet = r.getBoolean("quiet", false);
                }
                if (r.getInteger("leader", 0) != 0) {
                    followed.merge(r.getInteger("leader"), 1, Integer::sum);
                }
            }
            if (leader == 0) {
                leader = followed.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                        .orElse(0);
            }
            out.add(new JsonObject().put("id", g).put("leader", leader).put("term", term).put("commit", commit)
                    .put("quiet", quiet).put("roles", roles));
        }
        return out;
    }

    /**
     * The JSON of one node's status.
     *
     * @param s the status
     * @return {@code {"id","role","term","leader","commit","applied","lastIndex","snapshotIndex","up","paused",
     *         "pendingProposals"}}
     */
    public static JsonObject statusJson(NodeStatus s) {
        return new JsonObject().put("id", s.id()).put("role", s.roleName()).put("term", s.term())
                .put("leader", s.leader()).put("commit", s.commit()).put("applied", s.applied())
                .put("lastIndex", s.lastIndex()).put("snapshotIndex", s.snapshotIndex()).put("up", s.up())
                .put("paused", s.paused()).put("frozen", s.frozen()).put("stateLost", s.stateLost())
                .put("pendingProposals", s.pendingProposals())
                .put("member", s.membership().isVoter(s.id()) ? "voter" : s.membership().isLearner(s.id()) ? "learner"
                        : "none")
                .put("configIndex", s.configIndex())
                .put("storage", new JsonObject().put("engine", s.storage().engine()).put("failed", s.storage().failed())
                        .put("fsyncs", s.storage().fsyncs()).put("entriesWritten", s.storage().entriesWritten())
                        .put("walBytes", s.storage().walBytes()).put("slowWrites", s.storage().slowWrites())
                        .put("failure", s.storage().failure()));
    }
}
