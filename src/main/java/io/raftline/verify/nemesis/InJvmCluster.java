package io.raftline.verify.nemesis;

import io.raftline.config.RaftlineConfig;
import io.raftline.events.EventSink;
import io.raftline.events.NdjsonRecorder;
import io.raftline.faults.NodeFault;
import io.raftline.node.NodeListener;
import io.raftline.server.ClusterVerticle;
import io.raftline.server.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
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
 * A cluster under test in this JVM: a {@link ClusterVerticle} in local mode on a Vert.x instance of its own, nodes
 * and admin API (with the live view) on free loopback ports, storage in a temporary directory (deleted on close).
 * The nemesis runs against it ({@code verify --mode local}), and so do the tests that need a real cluster in this
 * JVM: they reach into it through {@link #verticle()} (its nodes, its fault control, its event publisher).
 *
 * <p>Faults go through the admin API exactly as an operator's would, so they are published as events too; a crash
 * stops the node at once and a restart rebuilds it from its files. With a recording, an {@link NdjsonRecorder} on
 * the cluster's event publisher records every published event from the first one; a run's verdict is published
 * through the same publisher, so open live views see it as well, and it ends the recording.
 */
public final class InJvmCluster implements ClusterUnderTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final ClusterVerticle cluster;
    private final Recording recording;
    private final Path dataDir;
    private final AdminHttp admin;
    private final URI adminUrl;
    private final Map<Integer, URI> nodeUrls = new LinkedHashMap<>();
    private final MembershipClient membership;

    private InJvmCluster(Vertx vertx, ClusterVerticle cluster, Recording recording, Path dataDir) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.recording = recording;
        this.dataDir = dataDir;
        this.admin = new AdminHttp(vertx, 10_000, cluster.raftlineConfig().tls().caFile());
        this.adminUrl = URI.create(cluster.adminUrl());
        for (int id : cluster.nodes().keySet()) {
            nodeUrls.put(id, URI.create(cluster.nodeUrl(id)));
        }
        this.membership = new MembershipClient(vertx, admin, this::nodeUrls);
    }

    /**
     * The cluster of a nemesis run ({@link ClusterConfigs}' run configuration), recording its events.
     *
     * @param options   the run (nodes, seed, request timeout)
     * @param recording the NDJSON file for the event recording
     * @return the running cluster, with a leader
     * @throws Exception if it does not start
     */
    public static InJvmCluster start(NemesisOptions options, Path recording) throws Exception {
        return builder(ClusterConfigs.forRun(options)).recording(recording).start();
    }

    /**
     * Prepares a cluster.
     *
     * @param config the cluster's configuration, as {@link ClusterConfigs} makes it; each node's data directory
     *               and, unless given, its HTTP port (any free one), and the admin API (any free loopback port)
     *               are filled in
     * @return a builder
     */
    public static Builder builder(JsonObject config) {
        return new Builder(config);
    }

    /** What to start: the configuration, and how this JVM runs and watches it. */
    public static final class Builder {
        private final JsonObject config;
        private VertxOptions vertxOptions = new VertxOptions();
        private NodeListener listener = NodeListener.NONE;
        private Path recording;
        private Path dataDir;

        private Builder(JsonObject config) {
            this.config = config.copy();
        }

        /**
         * Options for the cluster's Vert.x instance (metrics, for instance).
         *
         * @param options the options
         * @return this builder
         */
        public Builder vertxOptions(VertxOptions options) {
            this.vertxOptions = options;
            return this;
        }

        /**
         * Told about everything the nodes do, besides the event publisher.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(NodeListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Keeps the nodes' data under {@code dir} ({@code dir/node-<id>}) instead of a fresh temporary directory: a
         * small file system, to see what a full disk does. The cluster deletes it when closed, as its own.
         *
         * @param dir an existing, empty directory
         * @return this builder
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /**
         * Records every event the cluster publishes, from the first, to an NDJSON file the live view replays.
         *
         * @param file the recording
         * @return this builder
         */
        public Builder recording(Path file) {
            this.recording = file;
            return this;
        }

        /**
         * Deploys the cluster and waits (at most 30 s) for its first leader.
         *
         * @return the running cluster
         * @throws Exception if it does not start (everything started is stopped again)
         */
        public InJvmCluster start() throws Exception {
            Path dataDir = this.dataDir != null ? this.dataDir : Files.createTempDirectory("raftline-cluster-");
            JsonObject json = ClusterConfigs.placed(config, dataDir, id -> new JsonObject().put("http_port", 0))
                    .put("admin", (config.getValue("admin") instanceof JsonObject a ? a.copy() : new JsonObject())
                            .put("host", "127.0.0.1").put("port", 0));
            Vertx vertx = Metrics.vertx(vertxOptions);
            try {
                ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json), listener);
                Recording recorder = recording == null ? null : new Recording(vertx, recording);
                if (recorder != null) {
                    cluster.publisher().addSink(recorder);
                }
                Waits.await(vertx.deployVerticle(cluster), START_TIMEOUT);
                InJvmCluster started = new InJvmCluster(vertx, cluster, recorder, dataDir);
                started.awaitLeader(START_TIMEOUT);
                return started;
            } catch (Exception e) {
                Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(20));
                ChildProcessCluster.deleteTree(dataDir);
                throw e;
            }
        }
    }

    /**
     * Feeds an {@link NdjsonRecorder} until the recording is finished: the first {@code CheckVerdict} after
     * {@link #finishRecording} began is its last event, whatever is published after it.
     */
    private static final class Recording implements EventSink {
        private final NdjsonRecorder recorder;
        private final Path file;
        /** Set by the thread that finishes the recording, read on the publisher's event loop. */
        private volatile boolean finishing;
        /** Confined to the publisher's event loop. */
        private boolean done;

        Recording(Vertx vertx, Path file) {
            this.recorder = new NdjsonRecorder(vertx, file.toString(), Recordings.MAX_BYTES);
            this.file = file;
        }

        @Override
        public void accept(JsonObject event) {
            if (!done) {
                recorder.accept(event);
                done = finishing && "CheckVerdict".equals(event.getString("type"));
            }
        }

        @Override
        public void endOfBatch() {
            recorder.endOfBatch();
        }
    }

    /**
     * The cluster itself, for tests that drive its nodes, faults or event publisher directly.
     *
     * @return the deployed verticle
     */
    public ClusterVerticle verticle() {
        return cluster;
    }

    /**
     * The Vert.x instance the cluster runs on (closed with it).
     *
     * @return the instance
     */
    public Vertx vertx() {
        return vertx;
    }

    /**
     * Where a node keeps its files (nothing with {@code storage.engine} {@code memory}).
     *
     * @param node the node
     * @return its data directory
     */
    public Path dataDir(int node) {
        return dataDir.resolve("node-" + node);
    }

    @Override
    public Map<Integer, URI> nodeUrls() {
        return Map.copyOf(nodeUrls);
    }

    @Override
    public Map<Integer, String> respAddresses() {
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (int id : cluster.nodes().keySet()) {
            String address = cluster.respAddress(id);
            if (address != null) {
                out.put(id, address);
            }
        }
        return out;
    }

    @Override
    public MembershipClient membership() {
        return membership;
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

    /**
     * Waits until a sharded cluster's leaders are spread as its leader balancer leaves them: every group led by a node
     * that is up and not paused, and no such node leading two groups more than another (the balancer moves a group
     * only then, so none is being moved, and none will be while no node fails or is cut off). A test that names a
     * group's leader, counts a group's messages or transfers a leadership itself waits for this first: the balancer
     * moves leaderships in a cluster's first seconds and after a node comes back, and each move changes a leader and
     * wakes a quiet group. A cluster of one group only waits for a leader. Parks the calling thread: never call it on
     * an event loop.
     *
     * @param timeout how long at most
     * @throws Waits.TimedOutException if the leaders were not spread in time
     * @throws InterruptedException    if the thread is interrupted meanwhile
     */
    public void awaitLeadersSpread(Duration timeout) throws InterruptedException {
        Waits.eventually("every group led, the leaders spread over the nodes that are up", timeout,
                () -> cluster.describe().map(InJvmCluster::leadersSpread));
    }

    /** Whether {@code /v1/cluster}'s answer shows every group led and the leaders spread: see awaitLeadersSpread. */
    static boolean leadersSpread(JsonObject described) {
        JsonArray groups = described.getJsonArray("groups");
        if (groups == null) {
            return described.getInteger("leader", 0) != 0;
        }
        Map<Integer, Integer> leads = new LinkedHashMap<>();
        JsonArray nodes = described.getJsonArray("nodes", new JsonArray());
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            if (Boolean.TRUE.equals(n.getBoolean("up")) && !Boolean.TRUE.equals(n.getBoolean("paused"))) {
                leads.put(n.getInteger("id"), 0);
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            Integer leader = groups.getJsonObject(g).getInteger("leader", 0);
            if (!leads.containsKey(leader)) {
                return false;
            }
            leads.merge(leader, 1, Integer::sum);
        }
        int most = leads.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        int fewest = leads.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return most - fewest <= 1;
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
        if (recording == null) {
            return Future.failedFuture(new IllegalStateException("this cluster records no events"));
        }
        recording.finishing = true;
        cluster.publisher().checkVerdict(verdict);
        return cluster.publisher().flushNow().compose(v -> recording.recorder.close()).transform(ar -> {
            try {
                Recordings.ensureVerdict(recording.file, verdict);
                return Future.succeededFuture(recording.file);
            } catch (IOException e) {
                return Future.failedFuture(e);
            }
        });
    }

    /**
     * Writes what was recorded so far to the file, which stays open (the live view can replay it meanwhile).
     *
     * @return the recording's file, once written
     */
    public Future<Path> flushRecording() {
        if (recording == null) {
            return Future.failedFuture(new IllegalStateException("this cluster records no events"));
        }
        return cluster.publisher().flushNow().compose(v -> recording.recorder.flush()).map(recording.file);
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
            if (recording != null) {
                Waits.await(recording.recorder.close().otherwiseEmpty(), Duration.ofSeconds(10));
            }
            Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(30));
        } catch (Exception e) {
            // closing anyway
        } finally {
            ChildProcessCluster.deleteTree(dataDir);
        }
    }
}
