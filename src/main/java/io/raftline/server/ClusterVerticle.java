package io.raftline.server;

import io.raftline.api.KvRequests;
import io.raftline.api.grpc.KvGrpcService;
import io.raftline.api.http.AdminApi;
import io.raftline.api.http.ClusterView;
import io.raftline.api.http.HttpLeaderLink;
import io.raftline.api.http.KvApi;
import io.raftline.api.http.PeerDirectory;
import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.config.TransportKind;
import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.node.DurableLogStore;
import io.raftline.node.LogStore;
import io.raftline.node.MemoryLogStore;
import io.raftline.node.NodeListener;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.Role;
import io.raftline.server.HttpServerVerticle;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.LinkFaultTransport;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.raftline.transport.grpc.GrpcTransport;
import io.raftline.ui.ControlHandler;
import io.raftline.ui.UiRouter;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs the nodes a configuration assigns to this process, with their HTTP APIs and (if configured) the admin
 * API: all of them in local mode ({@code node_id} absent), or one in one-node-per-process mode. It is the
 * composition root: it builds the network conditioner, the transport, each node's log store and verticle,
 * and wires the HTTP layer to them; undeploying it stops everything it deployed.
 *
 * <p>It also implements the views the HTTP layer needs: {@link ClusterView} (every local node's status, and
 * what the configuration says about remote ones) and {@link PeerDirectory} (the actual HTTP port of each node,
 * known once it listens); faults go through one {@link FaultControl} shared by the admin API and the live view.
 */
public final class ClusterVerticle extends VerticleBase implements ClusterView, PeerDirectory {

    private final RaftlineConfig config;
    private final NodeListener listener;
    private final EventPublisher publisher;
    private final NetworkConditioner conditioner;
    private final LinkFaults links;
    private UiRouter ui;
    private ControlHandler control;
    private FaultControl faults;
    private final Map<Integer, NodeStatus> metricStatuses = new ConcurrentHashMap<>();
    private long metricsTimer = -1;
    private final Map<Integer, RaftNodeVerticle> nodes = new LinkedHashMap<>();
    private final Map<Integer, HttpServerVerticle> servers = new LinkedHashMap<>();
    private final Map<Integer, Address> addresses = new ConcurrentHashMap<>();
    private HttpServerVerticle adminServer;
    private HttpClient forwardClient;
    private GrpcTransport grpcTransport;

    /**
     * Creates the runtime for a configuration.
     *
     * @param config   the validated configuration
     * @param listener told about everything the nodes do
     */
    public ClusterVerticle(RaftlineConfig config, NodeListener listener) {
        this.config = config;
        // Every node reports to the event stream (raft.events, the live view) and to the caller's listener.
        this.publisher = new EventPublisher(config.memberIds());
        this.listener = NodeListener.both(publisher, listener);
        this.conditioner = new NetworkConditioner(config.seed());
        this.links = new LinkFaults(config.seed() + 1);
        for (NodeConfig n : config.nodes()) {
            addresses.put(n.id(), new Address(n.host(), n.httpPort()));
        }
    }

    /**
     * Creates the runtime with no listener.
     *
     * @param config the validated configuration
     */
    public ClusterVerticle(RaftlineConfig config) {
        this(config, NodeListener.NONE);
    }

    @Override
    public Future<?> start() {
        Transport wire;
        if (config.transport() == TransportKind.GRPC) {
            // Each node's client port serves RaftService too; peers are found where their HTTP API is.
            grpcTransport = new GrpcTransport(vertx, conditioner, listener::messageDropped,
                    id -> httpAddress(id).filter(a -> a.port() > 0)
                            .map(a -> SocketAddress.inetSocketAddress(a.port(), a.host())),
                    Set.copyOf(config.memberIds()), GrpcTransport.Options.DEFAULTS);
            wire = grpcTransport;
        } else {
            wire = new EventBusTransport(vertx, conditioner, listener::messageDropped);
        }
        Transport transport = new LinkFaultTransport(vertx, wire, links, listener::messageDropped);
        forwardClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(64));
        List<NodeConfig> local = config.nodeId() == 0 ? config.nodes()
                : List.of(config.node(config.nodeId()).orElseThrow());
        Future<?> chain = vertx.deployVerticle(publisher);
        for (NodeConfig n : local) {
            // Opening a durable store replays its files: blocking I/O, so it runs on a worker.
            chain = chain.compose(v -> openStore(n)).compose(store -> {
                RaftNodeVerticle node = new RaftNodeVerticle(config.nodeOptions(n.id()), transport, store, listener);
                nodes.put(n.id(), node);
                return vertx.deployVerticle(node);
            });
        }
        for (NodeConfig n : local) {
            // Built once the node exists (its store is opened asynchronously above).
            chain = chain.compose(v -> {
                KvRequests requests = new KvRequests(nodes.get(n.id()), new HttpLeaderLink(forwardClient, this, n.id(),
                        config.service().forwardTimeoutMs()));
                KvApi api = new KvApi(nodes.get(n.id()), requests, this, config.service().maxBodyBytes());
                KvGrpcService kv = new KvGrpcService(nodes.get(n.id()), requests, this, config.service().maxBodyBytes());
                Service raft = grpcTransport == null ? null : grpcTransport.service(n.id());
                HttpServerVerticle server = new HttpServerVerticle("node " + n.id() + " HTTP API", n.host(),
                        n.httpPort(), vx -> {
                            Router r = api.router(vx);
                            Metrics.mount(r);
                            return r;
                        }, vx -> grpcHandler(vx, kv, raft));
                servers.put(n.id(), server);
                return vertx.deployVerticle(server)
                        .onSuccess(x -> addresses.put(n.id(), new Address(n.host(), server.actualPort())));
            });
        }
        if (config.admin() != null) {
            // The admin port also serves the live view: the page at "/", the SockJS bridge, the WebJars.
            chain = chain.compose(v -> {
                control = new ControlHandler(vertx, nodes, faults(), publisher);
                ui = new UiRouter(vertx, control, Set.of());
                AdminApi admin = new AdminApi(faults(), this, config.admin().token());
                List<Future<Void>> mounted = new ArrayList<>();
                adminServer = new HttpServerVerticle("admin API and live view", config.admin().host(),
                        config.admin().port(), vx -> {
                            Router root = Router.router(vx);
                            Metrics.mount(root);
                            mounted.add(ui.mount(root));
                            root.route("/*").subRouter(admin.router(vx));
                            return root;
                        });
                return vertx.deployVerticle(adminServer).compose(x -> Future.all(mounted));
            });
        }
        // Raft gauges for /metrics read a status refreshed once a second, never the nodes' loops directly.
        chain = chain.onSuccess(v -> {
            if (Metrics.enabled()) {
                for (NodeConfig n : local) {
                    Metrics.registerNode(n.id(), metricStatuses);
                }
                refreshMetrics();
                metricsTimer = vertx.setPeriodic(1000, t -> refreshMetrics());
            }
        });
        // Other processes of a one-node-per-process cluster ask this one for its nodes' status.
        for (NodeConfig n : local) {
            chain = chain.compose(v -> vertx.eventBus().<Object>consumer(statusAddress(n.id()),
                    msg -> nodes.get(n.id()).status().onComplete(ar -> {
                        if (ar.succeeded()) {
                            msg.reply(statusJson(ar.result()));
                        } else {
                            msg.fail(503, ar.cause().getMessage());
                        }
                    })).completion());
        }
        return chain;
    }

    private void refreshMetrics() {
        for (RaftNodeVerticle node : nodes.values()) {
            node.status().onSuccess(s -> metricStatuses.put(s.id(), s));
        }
    }

    /** Largest KV gRPC message: the largest value plus room for the key and the idempotency key. */
    private long kvMaxMessageBytes() {
        return config.service().maxBodyBytes() + 8 * 1024;
    }

    /**
     * The gRPC side of one node's client port: RaftService calls (only with the gRPC transport) go to a server
     * sized for Raft batches and snapshot chunks, everything else to the KV server, sized for one value.
     */
    private Handler<HttpServerRequest> grpcHandler(Vertx vx, KvGrpcService kv, Service raft) {
        GrpcServer kvServer = kv.bind(GrpcServer.server(vx, new GrpcServerOptions()
                .setMaxMessageSize(kvMaxMessageBytes()).setScheduleDeadlineAutomatically(true)));
        if (raft == null) {
            return kvServer;
        }
        GrpcServer raftServer = GrpcServer.server(vx, new GrpcServerOptions()
                .setMaxMessageSize(grpcTransport.options().maxMessageBytes())).addService(raft);
        String raftPath = "/" + raft.name().fullyQualifiedName() + "/";
        return request -> {
            if (request.path().startsWith(raftPath)) {
                raftServer.handle(request);
            } else {
                kvServer.handle(request);
            }
        };
    }

    private Future<LogStore> openStore(NodeConfig n) {
        if (!config.storage().durable()) {
            return Future.succeededFuture(new MemoryLogStore());
        }
        return vertx.executeBlocking(() -> DurableLogStore.open(vertx, n.id(), Path.of(n.dataDir()),
                config.storage().segmentBytes()));
    }

    @Override
    public Future<?> stop() {
        if (metricsTimer >= 0) {
            vertx.cancelTimer(metricsTimer);
        }
        List<Future<?>> closing = new ArrayList<>();
        if (forwardClient != null) {
            closing.add(forwardClient.close());
        }
        if (grpcTransport != null) {
            closing.add(grpcTransport.close());
        }
        return Future.join(closing);
    }

    // ---------------------------------------------------------------- accessors

    /**
     * The local nodes.
     *
     * @return node id → node
     */
    public Map<Integer, ? extends RaftNode> nodes() {
        return nodes;
    }

    /**
     * How faults are inflicted on this process's nodes and the messages they send (what the admin API and the
     * live view use).
     *
     * @return the fault control, once the nodes are deployed
     */
    public FaultControl faults() {
        if (faults == null) {
            faults = new FaultControl(nodes, config.memberIds(), conditioner, links, publisher);
        }
        return faults;
    }

    /**
     * The event publisher every local node reports to: add a sink (an {@code NdjsonRecorder}) before deploying
     * this verticle to record a whole run, or report a check's verdict on it.
     *
     * @return the publisher
     */
    public EventPublisher publisher() {
        return publisher;
    }

    /**
     * The base URL of a node's HTTP API (its actual port once listening).
     *
     * @param id the node
     * @return {@code http://host:port}
     */
    public String nodeUrl(int id) {
        return addresses.get(id).url();
    }

    /**
     * The base URL of the admin API.
     *
     * @return {@code http://host:port}, or null if there is none
     */
    public String adminUrl() {
        return adminServer == null ? null : "http://" + config.admin().host() + ":" + adminServer.actualPort();
    }

    /**
     * Completes with the leader's id once a leader is known to a majority of the local nodes (or to the only
     * local node), or fails after the timeout.
     *
     * @param timeoutMs how long to wait
     * @return the leader's id
     */
    public Future<Integer> awaitLeader(long timeoutMs) {
        Promise<Integer> promise = Promise.promise();
        long deadline = System.currentTimeMillis() + timeoutMs;
        long timer = vertx.setPeriodic(20, t -> describe().onSuccess(c -> {
            int leader = c.getInteger("leader");
            if (leader != 0) {
                vertx.cancelTimer(t);
                promise.tryComplete(leader);
            } else if (System.currentTimeMillis() > deadline) {
                vertx.cancelTimer(t);
                promise.tryFail("no leader elected within " + timeoutMs + " ms");
            }
        }));
        return promise.future().onFailure(e -> vertx.cancelTimer(timer));
    }

    // ---------------------------------------------------------------- PeerDirectory

    @Override
    public Optional<Address> httpAddress(int nodeId) {
        return Optional.ofNullable(addresses.get(nodeId));
    }

    // ---------------------------------------------------------------- ClusterView

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
        for (NodeConfig n : config.nodes()) {
            if (nodes.containsKey(n.id())) {
                continue;
            }
            if (overBus) {
                asks.add(vertx.eventBus().<JsonObject>request(statusAddress(n.id()), null,
                        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(500))
                        .onSuccess(m -> out.put(n.id(), m.body())).otherwiseEmpty());
            } else if (forwardClient != null && config.nodeId() != 0) {
                Address a = addresses.get(n.id());
                asks.add(forwardClient.request(new io.vertx.core.http.RequestOptions()
                                .setMethod(io.vertx.core.http.HttpMethod.GET).setHost(a.host()).setPort(a.port())
                                .setURI("/v1/cluster?scope=local").setConnectTimeout(500).setIdleTimeout(500))
                        .compose(req -> req.send()).compose(resp -> resp.body())
                        .onSuccess(body -> {
                            JsonArray list = body.toJsonObject().getJsonArray("nodes", new JsonArray());
                            for (int i = 0; i < list.size(); i++) {
                                JsonObject o = list.getJsonObject(i);
                                if (o.getInteger("id", 0) == n.id() && Boolean.TRUE.equals(o.getBoolean("local"))) {
                                    o.remove("url");
                                    o.remove("local");
                                    out.put(n.id(), o);
                                }
                            }
                        }).otherwiseEmpty());
            }
        }
        return Future.join(asks).otherwiseEmpty().map(v -> out);
    }

    @Override
    public Future<JsonObject> describeLocal() {
        return describe(false);
    }

    @Override
    public Future<JsonObject> describe() {
        return describe(true);
    }

    private Future<JsonObject> describe(boolean askOthers) {
        List<Future<NodeStatus>> statuses = new ArrayList<>();
        for (RaftNodeVerticle n : nodes.values()) {
            statuses.add(n.status());
        }
        Future<Map<Integer, JsonObject>> remote = askOthers ? remoteStatuses() : Future.succeededFuture(Map.of());
        return Future.all(Future.all(statuses), remote).map(both -> {
            io.vertx.core.CompositeFuture all = both.resultAt(0);
            Map<Integer, JsonObject> others = both.resultAt(1);
            Map<Integer, NodeStatus> byId = new LinkedHashMap<>();
            for (int i = 0; i < all.size(); i++) {
                NodeStatus s = all.resultAt(i);
                byId.put(s.id(), s);
            }
            JsonArray list = new JsonArray();
            int leader = 0;
            long leaderTerm = -1;
            long term = 0;
            for (NodeConfig n : config.nodes()) {
                NodeStatus s = byId.get(n.id());
                Address a = addresses.get(n.id());
                if (s == null) {
                    JsonObject o = others.get(n.id());
                    if (o == null) {
                        list.add(new JsonObject().put("id", n.id()).put("url", a.url()).put("local", false)
                                .putNull("up").put("role", "Unknown"));
                    } else {
                        term = Math.max(term, o.getLong("term", 0L));
                        if ("Leader".equals(o.getString("role")) && o.getLong("term", 0L) > leaderTerm) {
                            leader = n.id();
                            leaderTerm = o.getLong("term");
                        }
                        list.add(o.copy().put("url", a.url()).put("local", false));
                    }
                    continue;
                }
                term = Math.max(term, s.term());
                if (s.up() && s.role() == Role.LEADER && s.term() > leaderTerm) {
                    leader = s.id();
                    leaderTerm = s.term();
                }
                list.add(statusJson(s).put("url", a.url()).put("local", true));
            }
            if (leader == 0 && nodes.size() < config.nodes().size()) {
                // One node per process: report the leader this node follows.
                for (NodeStatus s : byId.values()) {
                    if (s.up() && s.leader() != 0) {
                        leader = s.leader();
                    }
                }
            }
            return new JsonObject().put("cluster", config.clusterName()).put("leader", leader).put("term", term)
                    .put("nodes", list);
        });
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
                .put("storage", new JsonObject().put("engine", s.storage().engine()).put("failed", s.storage().failed())
                        .put("fsyncs", s.storage().fsyncs()).put("entriesWritten", s.storage().entriesWritten())
                        .put("walBytes", s.storage().walBytes()));
    }
}
