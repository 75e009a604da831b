package io.raftline.verify.nemesis;

import io.raftline.config.RaftlineConfig;
import io.raftline.events.EventSink;
import io.raftline.events.NdjsonRecorder;
import io.raftline.faults.NodeFault;
import io.raftline.server.ClusterVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster under test in this JVM: a {@link ClusterVerticle} in local mode on its own Vert.x instance, nodes
 * and admin API on free loopback ports, durable storage in a temporary directory (deleted on close). Faults go
 * through the admin API exactly as an operator's would, so they are published as events too; a crash stops the
 * node at once and a restart rebuilds it from its files. An {@link NdjsonRecorder} on the cluster's event
 * publisher records every published event from the first one, and the verdict is published through the same
 * publisher, so open live views see it as well.
 */
public final class InJvmCluster implements ClusterUnderTest {

    private final Vertx vertx;
    private final ClusterVerticle cluster;
    private final NdjsonRecorder recorder;
    private final Path recording;
    private final Path dataDir;
    private final AdminHttp admin;
    private final URI adminUrl;
    private final Map<Integer, URI> nodeUrls = new LinkedHashMap<>();

    private InJvmCluster(Vertx vertx, ClusterVerticle cluster, NdjsonRecorder recorder, Path recording, Path dataDir) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.recorder = recorder;
        this.recording = recording;
        this.dataDir = dataDir;
        this.admin = new AdminHttp(vertx, 10_000);
        this.adminUrl = URI.create(cluster.adminUrl());
        for (int id : cluster.nodes().keySet()) {
            nodeUrls.put(id, URI.create(cluster.nodeUrl(id)));
        }
    }

    /**
     * Starts a cluster and waits for its first leader (at most 30 s).
     *
     * @param options   the run (nodes, seed, request timeout)
     * @param recording the NDJSON file for the event recording
     * @return the running cluster
     * @throws Exception if it does not start
     */
    public static InJvmCluster start(NemesisOptions options, Path recording) throws Exception {
        Path dataDir = Files.createTempDirectory("raftline-verify-");
        JsonObject json = ClusterConfigs.cluster(options, dataDir, new int[options.nodes() + 1], null)
                .put("admin", new JsonObject().put("host", "127.0.0.1").put("port", 0));
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            NdjsonRecorder recorder = new NdjsonRecorder(vertx, recording.toString(), Recordings.MAX_BYTES);
            cluster.publisher().addSink(new UntilVerdict(recorder));
            Waits.await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            InJvmCluster started = new InJvmCluster(vertx, cluster, recorder, recording, dataDir);
            started.awaitLeader(Duration.ofSeconds(30));
            return started;
        } catch (Exception e) {
            Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(20));
            ChildProcessCluster.deleteTree(dataDir);
            throw e;
        }
    }

    /** Feeds the recorder until the verdict, so that the recording ends with it. */
    private static final class UntilVerdict implements EventSink {
        private final NdjsonRecorder recorder;
        private boolean done;

        UntilVerdict(NdjsonRecorder recorder) {
            this.recorder = recorder;
        }

        @Override
        public void accept(JsonObject event) {
            if (!done) {
                recorder.accept(event);
                done = "CheckVerdict".equals(event.getString("type"));
            }
        }

        @Override
        public void endOfBatch() {
            recorder.endOfBatch();
        }
    }

    @Override
    public List<Integer> nodeIds() {
        return List.copyOf(nodeUrls.keySet());
    }

    @Override
    public Map<Integer, URI> nodeUrls() {
        return Map.copyOf(nodeUrls);
    }

    @Override
    public Future<Integer> leader() {
        return admin.get(adminUrl, "/v1/cluster").map(c -> c.getInteger("leader", 0));
    }

    private Future<Void> nodeAction(int node, NodeFault fault) {
        return admin.json(HttpMethod.POST, adminUrl, "/v1/admin/nodes/" + node + "/" + fault.wireName(), null)
                .mapEmpty();
    }

    @Override
    public Future<Void> crash(int node) {
        return nodeAction(node, NodeFault.CRASH);
    }

    @Override
    public Future<Void> restart(int node) {
        return nodeAction(node, NodeFault.RESTART);
    }

    @Override
    public Future<Void> pause(int node) {
        return nodeAction(node, NodeFault.PAUSE);
    }

    @Override
    public Future<Void> resume(int node) {
        return nodeAction(node, NodeFault.RESUME);
    }

    @Override
    public Future<Void> stall(int node) {
        return nodeAction(node, NodeFault.FREEZE);
    }

    @Override
    public Future<Void> unstall(int node) {
        return nodeAction(node, NodeFault.THAW);
    }

    @Override
    public Future<Void> network(JsonObject faults) {
        return admin.json(HttpMethod.PUT, adminUrl, "/v1/admin/network", faults).mapEmpty();
    }

    @Override
    public Future<Void> healAll() {
        return admin.json(HttpMethod.DELETE, adminUrl, "/v1/admin/network", null).compose(state -> {
            List<Future<Void>> actions = new ArrayList<>();
            JsonArray nodes = state.getJsonArray("nodes", new JsonArray());
            for (int i = 0; i < nodes.size(); i++) {
                JsonObject n = nodes.getJsonObject(i);
                int id = n.getInteger("id");
                if (!n.getBoolean("up", true)) {
                    actions.add(restart(id));
                    continue;
                }
                // A frozen node holds a resume until it is thawed: thaw first.
                Future<Void> thawed = n.getBoolean("frozen", false) ? unstall(id) : Future.succeededFuture();
                if (n.getBoolean("paused", false)) {
                    thawed = thawed.compose(v -> resume(id));
                }
                actions.add(thawed);
            }
            return Future.all(actions).mapEmpty();
        });
    }

    @Override
    public Future<Void> awaitHealthy(Duration timeout) {
        return Waits.eventually(vertx, "every node up and a leader", timeout,
                () -> admin.get(adminUrl, "/v1/cluster").map(c -> {
                    if (c.getInteger("leader", 0) == 0) {
                        return false;
                    }
                    JsonArray nodes = c.getJsonArray("nodes", new JsonArray());
                    for (int i = 0; i < nodes.size(); i++) {
                        JsonObject n = nodes.getJsonObject(i);
                        if (!Boolean.TRUE.equals(n.getBoolean("up")) || Boolean.TRUE.equals(n.getBoolean("paused"))) {
                            return false;
                        }
                    }
                    return true;
                }));
    }

    @Override
    public Future<Map<Integer, JsonObject>> stateHashes() {
        return admin.stateHashes(nodeUrls);
    }

    @Override
    public String liveViewUrl() {
        return adminUrl + "/";
    }

    @Override
    public String crashMethod() {
        return "the node stops at once in this JVM (admin crash), losing what it had not persisted, and restarts"
                + " from its files";
    }

    @Override
    public Future<Path> finishRecording(JsonObject verdict) {
        cluster.publisher().checkVerdict(verdict);
        return cluster.publisher().flushNow().compose(v -> recorder.close()).transform(ar -> {
            try {
                Recordings.ensureVerdict(recording, verdict);
                return Future.succeededFuture(recording);
            } catch (IOException e) {
                return Future.failedFuture(e);
            }
        });
    }

    @Override
    public String recordingNote() {
        return "every event the cluster published, from its first, as the live view received them (message events"
                + " sampled under load, state events complete)";
    }

    @Override
    public void close() {
        try {
            // A run that ended early may leave a node frozen: thaw every node (a no-op for the others) so that
            // nothing it holds is left waiting while the cluster shuts down.
            List<Future<Void>> thaws = new ArrayList<>();
            for (int id : nodeUrls.keySet()) {
                thaws.add(unstall(id).otherwiseEmpty());
            }
            Waits.await(Future.join(thaws).otherwiseEmpty(), Duration.ofSeconds(15));
        } catch (Exception e) {
            // closing anyway: the nodes stop with this JVM's Vert.x in any case
        }
        try {
            Waits.await(admin.close().otherwiseEmpty(), Duration.ofSeconds(5));
            Waits.await(recorder.close().otherwiseEmpty(), Duration.ofSeconds(10));
            Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(30));
        } catch (Exception e) {
            // closing anyway
        } finally {
            ChildProcessCluster.deleteTree(dataDir);
        }
    }
}
