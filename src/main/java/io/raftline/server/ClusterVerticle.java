package io.raftline.server;

import io.raftline.api.http.AdminApi;
import io.raftline.api.http.MembersApi;
import io.raftline.api.http.PeerDirectory;
import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.config.TlsConfig;
import io.raftline.config.TransportKind;
import io.raftline.events.EventPipeline;
import io.raftline.events.EventPublisher;
import io.raftline.events.PublisherOptions;
import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.node.DurableLogStore;
import io.raftline.node.LogStore;
import io.raftline.node.MemoryLogStore;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeListener;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.NodeOptions;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.node.SharedWalWriter;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.PeerLiveness;
import io.raftline.raft.Role;
import io.raftline.security.AdminAccess;
import io.raftline.security.ClientAccess;
import io.raftline.security.PeerGuard;
import io.raftline.shard.GroupLayout;
import io.raftline.storage.ClusterMark;
import io.raftline.storage.DataDirLock;
import io.raftline.storage.NioDisk;
import io.raftline.storage.RestoreMark;
import io.raftline.shard.LeaderBalancer;
import io.raftline.shard.ReplicaSet;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.LinkFaultTransport;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.raftline.transport.grpc.GrpcTransport;
import io.raftline.ui.ControlHandler;
import io.raftline.ui.UiRouter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Runs the nodes a configuration assigns to this process, with their HTTP APIs and (if configured) the admin
 * API: all of them in local mode ({@code node_id} absent), or one in one-node-per-process mode. It is the
 * composition root: it builds the network conditioner, the transport, each node's log store and verticle,
 * and wires the HTTP layer to them; undeploying it stops everything it deployed.
 *
 * <p>Each node's client port is built by {@link ClientPort}, {@code /v1/cluster} is {@link ClusterStatus}, faults go
 * through one {@link FaultControl} shared by the admin API and the live view, and this class is the
 * {@link PeerDirectory} (the actual HTTP port of each node, known once it listens).
 */
public final class ClusterVerticle extends VerticleBase implements PeerDirectory, LocalNodeControl {

    /**
     * The gRPC transport's options for this configuration: a message must hold the largest entry a client can have
     * the log take (a command of {@code max_body_bytes} and its framing, up to 64 MiB plus) with room for the
     * AppendEntries around it, or a group with such an entry could never replicate it.
     */
    static GrpcTransport.Options grpcOptions(RaftlineConfig config) {
        GrpcTransport.Options defaults = GrpcTransport.Options.DEFAULTS;
        long needed = config.service().maxForwardBytes() + 1024 * 1024;
        return needed <= defaults.maxMessageBytes() ? defaults : defaults.withMaxMessageBytes(needed);
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClusterVerticle.class);
    /** How often a sharded cluster's nodes look whether they lead more groups than their share. */
    private static final long BALANCE_PERIOD_MS = 2_000;
    /**
     * How often the routes to the peers of a clustered event bus are probed: a peer that restarted is reachable without
     * a lookup half a second after it subscribed, at two empty frames per peer a second.
     */
    static final long ROUTE_PROBE_MS = 500;

    private final RaftlineConfig config;
    private final NodeListener listener;
    private final EventPublisher publisher;
    private final NetworkConditioner conditioner;
    private final LinkFaults links;
    private UiRouter ui;
    private ControlHandler control;
    private FaultControl faults;
    /** The local nodes' Raft meters in /metrics (created at start, when the registry is there). */
    private NodeMeters meters = new NodeMeters(null, 1);
    private long metricsTimer = -1;
    /** On a clustered event bus: the timer that keeps the routes to the peers ready ({@link #keepRoutesReady}). */
    private long routeTimer = -1;
    /** Each local node: its verticle, or with {@code "groups"} above 1 its {@link ReplicaSet} of every group. */
    private final Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>();
    /** Each local node's replica of every group, by group (one entry, the node itself, in a cluster of one group). */
    private final Map<Integer, List<? extends RaftNode>> replicas = new ConcurrentSkipListMap<>();
    /** Each local node's record of its peers' liveness (when its groups may quiesce, see {@link #deployNode}). */
    private final Map<Integer, PeerLiveness> livenessByNode = new java.util.concurrent.ConcurrentHashMap<>();
    private LeaderBalancer balancer;
    /**
     * What group 0's replicas report besides the event stream: the membership tracker and the caller's listener
     * (which, as before groups existed, hear group 0 only).
     */
    private final NodeListener groupZeroListener;
    /**
     * With {@code "groups"} above 1: the grid of groups the live view shows and the group it follows in detail (each
     * replica reports to the event stream through its gate here); null for a cluster of one group.
     */
    private GroupView groupView;
    /** One node per process over the clustered event bus: shares the network's faults with the other processes. */
    private NetworkFaultSync faultSync;
    /** One node per process over the clustered event bus: carries node faults to the process that runs the node. */
    private RemoteNodeFaults remoteFaults;
    /** One node per process over the gRPC transport: both of the above, through the peers' FaultService. */
    private GrpcFaults grpcFaults;
    private final Map<Integer, HttpServerVerticle> servers = new ConcurrentSkipListMap<>();
    /** Node id to the deployment ids of its verticles (node, client port), to stop a removed local node. */
    private final Map<Integer, List<String>> deployments = new ConcurrentHashMap<>();
    private Transport transport;
    /** Where each node's client port is: local nodes', then what the groups' memberships and the configuration say. */
    private final AddressDirectory addresses;
    /** The Redis-protocol port each local node listens on. */
    private final Map<Integer, Integer> respPorts = new ConcurrentHashMap<>();
    /**
     * Every node this process has known of since it started: those of the configuration and every member a membership
     * change added since, removed ones too. It never shrinks, on purpose: the local cluster's next node takes the id
     * above all of them ({@link LocalNodes#next}; Raft tells members apart by id only, so a removed node's id given to
     * a new node could count the new node with the old one's votes and log), the gRPC transport accepts answers from
     * these, and the clustered bus keeps routes to them ready. What {@code /v1/cluster} lists is {@link #listed()}:
     * the newest committed membership and the local nodes, so a removed member leaves it.
     */
    private final Set<Integer> known = new ConcurrentSkipListSet<>();
    /**
     * Every group's newest committed membership a local replica reported ({@link NodeListener#membershipCommitted}), by
     * group, with its config index. Committed only: a membership of an entry not committed yet may be truncated away.
     * Group 0's is who {@code /v1/cluster} lists; who the local cluster runs after a restart is every node that is a
     * member of any group, since a sharded change may have stopped part way (a node added to groups G-1..1 and not yet
     * to group 0 is a voter there all the same).
     */
    private final Map<Integer, CommittedMembership> committedByGroup = new ConcurrentHashMap<>();

    /**
     * The membership in effect of each group a local replica reported last (committed or not): who a process of one
     * node looks for on the clustered event bus ({@link BusPeers}) and the banner names as peers.
     */
    private final Map<Integer, io.raftline.raft.Membership> inEffectByGroup = new ConcurrentHashMap<>();
    /** One node per process over the clustered event bus: the timer of {@link BusPeers}, else -1. */
    private long busPeersTimer = -1;

    /** A committed membership and the index of the entry (or snapshot) it comes from. */
    private record CommittedMembership(long index, io.raftline.raft.Membership membership) {
    }
    private HttpServerVerticle adminServer;
    /** The clustered event bus with per-node certificates: learns the peers' certificates (null otherwise). */
    private io.raftline.security.PeerKeyExchange keyExchange;
    /** With TLS: reloads renewed certificates into the listeners and the forwarding client (null otherwise). */
    private io.raftline.security.CertificateReloader certificates;
    /** With a separate client CA: which client certificates the cluster CA issued (nodes); null otherwise. */
    private io.raftline.security.ClusterCaCheck clusterCa;
    private io.vertx.core.http.HttpClientAgent forwardClient;
    private ClusterStatus status;
    private GrpcTransport grpcTransport;
    /** What a node sends to its peers' client ports ({@link ClientAccess#peerAuthorization()}), or null. */
    private final String peerAuthorization;

    /**
     * Creates the runtime for a configuration.
     *
     * @param config   the validated configuration
     * @param listener told about everything the nodes do
     */
    public ClusterVerticle(RaftlineConfig config, NodeListener listener) {
        this.config = config;
        // Every node reports to the event stream (raft.events, the live view) and to the caller's listener.
        // Every process redacts its own events, whether or not it serves the live view: with one node per process
        // its events are relayed to the process that does.
        PublisherOptions eventOptions = PublisherOptions.DEFAULTS.withEventValues(config.security().eventValues());
        this.publisher = new EventPublisher(config.memberIds(), eventOptions, System::currentTimeMillis,
                timing(config.raft()), new EventPipeline(eventOptions));
        this.groupZeroListener = NodeListener.both(membershipTracker(), listener);
        this.listener = NodeListener.both(publisher, groupZeroListener);
        this.conditioner = new NetworkConditioner(config.seed());
        publisher.setOutboxSource(conditioner::inNetworkFrom);
        this.links = new LinkFaults(config.seed() + 1);
        this.peerAuthorization = config.clientAccess().peerAuthorization();
        Map<Integer, Address> configured = new java.util.HashMap<>();
        for (NodeConfig n : config.nodes()) {
            configured.put(n.id(), new Address(n.host(), n.httpPort()));
            known.add(n.id());
        }
        this.addresses = new AddressDirectory(configured, MembersApi::address);
    }

    /**
     * Learns members and their addresses from the memberships the local nodes report (at start and on every
     * change, committed or not; group 0's here, the other groups' through {@link #otherGroupMembers}): a member added
     * at runtime is reached at the URL its change recorded, unless it runs here ({@link AddressDirectory}). The newest
     * membership of each group ({@link #committedByGroup}) follows the committed ones only: a configuration entry may
     * be truncated away (a deposed leader's), and committed ones never are, so the highest index among them is the
     * newest for good.
     */
    private NodeListener membershipTracker() {
        return new NodeListener() {
            @Override
            public void coreEvent(int node, long term, Role role, CoreEvent event) {
                learnMembers(node, 0, event);
            }

            @Override
            public void membershipCommitted(int node, long index, io.raftline.raft.Membership membership) {
                groupCommitted(0, index, membership);
            }
        };
    }

    /** Keeps the newest committed membership of {@code group} that a local replica reported. */
    private void groupCommitted(int group, long index, io.raftline.raft.Membership membership) {
        if (membership.isEmpty()) {
            return;
        }
        committedByGroup.merge(group, new CommittedMembership(index, membership),
                (old, now) -> now.index() >= old.index() ? now : old);
    }

    /**
     * Learns the members of a reported membership (the gRPC transport takes their answers) and the addresses it
     * recorded. Every group's replicas report here, not group 0's alone: a member may be in some groups and not yet,
     * or never, in group 0 (a sharded change makes group 0's last and may stop before it; {@code ?group=g} changes
     * one group), and that group's leader must reach it and take its answers. Before, only group 0 taught them: over
     * gRPC a node added to another group first was unreachable there, and never caught up to be promoted. Which
     * group's address wins where two differ, and when an address leaves, is {@link AddressDirectory}'s to decide.
     *
     * @param node  the local node whose replica reported
     * @param group the replica's group
     * @param event what the replica reported
     */
    private void learnMembers(int node, int group, CoreEvent event) {
        if (event instanceof CoreEvent.MembershipChanged mc) {
            if (!mc.membership().isEmpty()) {
                inEffectByGroup.put(group, mc.membership());
            }
            known.addAll(mc.membership().all());
            forgetPeers(addresses.reported(node, group, mc.index(), mc.membership()));
        }
    }

    /**
     * Lets the gRPC transport go of its links to nodes no group lists any more (removed from the cluster), so that
     * each removed node does not keep a watchdog timer and two clients for the life of the process. A node added back
     * later gets a new link at its first message. The event bus holds no connection or timer of its own per peer.
     */
    private void forgetPeers(Set<Integer> gone) {
        GrpcTransport grpc = grpcTransport;
        if (grpc == null || gone.isEmpty()) {
            return;
        }
        for (int id : gone) {
            LOG.info("node {} is no longer a member of any group: any gRPC link to it is closed", id);
            grpc.forget(id);
        }
    }

    /**
     * The gRPC transport, for tests that look at its links.
     *
     * @return it, or null on the event bus (or before start)
     */
    GrpcTransport grpcTransport() {
        return grpcTransport;
    }

    /**
     * What the replicas of a group other than 0 report besides the event stream: the members they learn, and the
     * group's committed membership (who a restart of the local cluster runs).
     */
    private NodeListener otherGroupMembers(int group) {
        return new NodeListener() {
            @Override
            public void coreEvent(int node, long term, Role role, CoreEvent event) {
                learnMembers(node, group, event);
            }

            @Override
            public void membershipCommitted(int node, long index, io.raftline.raft.Membership membership) {
                groupCommitted(group, index, membership);
            }
        };
    }

    /**
     * The nodes {@code /v1/cluster} lists: the members of the newest committed membership known, and every local
     * node.
     */
    private java.util.Collection<Integer> listed() {
        Set<Integer> out = new java.util.TreeSet<>(nodes.keySet());
        CommittedMembership m = committedByGroup.get(0);
        out.addAll(m == null ? config.memberIds() : m.membership().all());
        return out;
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
        openPortWarnings(config).forEach(LOG::warn);
        meters = new NodeMeters(Metrics.registry(), config.groups());
        Transport wire;
        if (config.transport() == TransportKind.GRPC) {
            // Each node's client port serves RaftService too; peers are found where their HTTP API is.
            GrpcTransport.PeerTls peerTls = null;
            if (config.tls().enabled()) {
                clusterCa = clusterCaCheck();
                // Mutual TLS between nodes, from the same PEM files as the listeners (the configuration checked that
                // the CA is given and that the certificate names the nodes this process runs).
                TlsConfig tls = config.tls();
                peerTls = new GrpcTransport.PeerTls(tls.keyCert(), tls.trust(),
                        new PeerGuard(config.security().peerIdentity(), clusterCa),
                        () -> tls.clientOptionsByValue(true), tls.crlFiles());
                Metrics.registerPeerGuard("grpc", config.nodeId(), peerTls.guard());
            }
            grpcTransport = new GrpcTransport(vertx, conditioner, listener::messageDropped,
                    id -> httpAddress(id).filter(a -> a.port() > 0)
                            .map(a -> SocketAddress.inetSocketAddress(a.port(), a.host())),
                    known, grpcOptions(config), config.nodeId() == 0 ? context : null, peerTls, config.groups());
            if (peerTls == null) {
                // No certificate tells a node from a client: with a client token or a cluster secret, Raft calls carry
                // a credential only nodes hold (never the client token), and ClientPort asks for it.
                grpcTransport.presenting(config.newRaftCallCredential());
            }
            wire = grpcTransport;
            if (config.nodeId() != 0) {
                // One node per process: the network's faults are the cluster's, and a node fault asked of any process
                // reaches the process that runs the node (served on the client port, see deployClientPort).
                grpcFaults = new GrpcFaults(vertx, faults(), config.nodeId(), config.security().clusterSecret(),
                        grpcTransport, id -> httpAddress(id).filter(a -> a.port() > 0)
                                .map(a -> SocketAddress.inetSocketAddress(a.port(), a.host())));
            }
        } else {
            String secret = config.security().clusterSecret();
            if (Clustering.clustered(config) && !secret.isEmpty() && config.tls().enabled()
                    && config.security().peerIdentity() == io.raftline.config.PeerIdentityPolicy.NODE) {
                // Per-node certificates (the configuration checked that this one names exactly this node): each frame
                // carries a tag of the key of its sender and receiver, so a member cannot speak for another.
                PeerGuard guard = new PeerGuard(config.security().peerIdentity());
                Metrics.registerPeerGuard("eventbus", config.nodeId(), guard);
                keyExchange = new io.raftline.security.PeerKeyExchange(vertx, config.nodeId(), secret, config.tls(),
                        guard);
                wire = new EventBusTransport(vertx, conditioner, listener::messageDropped, keyExchange.keys(),
                        keyExchange::want, guard, config.groups());
            } else if (Clustering.clustered(config) && !secret.isEmpty()) {
                // Frames between processes carry a tag of the cluster secret, verified before they reach a node.
                PeerGuard guard = new PeerGuard(config.security().peerIdentity());
                Metrics.registerPeerGuard("eventbus", config.nodeId(), guard);
                wire = new EventBusTransport(vertx, conditioner, listener::messageDropped,
                        new io.raftline.security.FrameAuthenticator(secret), guard, config.groups());
            } else {
                wire = new EventBusTransport(vertx, conditioner, listener::messageDropped, config.groups());
            }
        }
        transport = new LinkFaultTransport(vertx, wire, links, conditioner, listener::messageDropped);
        HttpClientOptions clientOptions = new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true);
        long headTimeoutMs = config.limits().requestHeadTimeoutMs();
        if (headTimeoutMs > 0) {
            // The other nodes close a kept-alive HTTP/1.1 connection that sends no request within their head deadline:
            // this client lets its idle connections go first, so that a forward never races that close.
            clientOptions.setKeepAliveTimeout((int) Math.max(1, Math.min(60, headTimeoutMs / 2000)));
        }
        if (config.tls().enabled()) {
            // The other nodes' client ports speak TLS too: verify them against the configured CA (or the JVM's).
            clientOptions.setSsl(true).setVerifyHost(true);
            if (!config.tls().caFile().isEmpty()) {
                clientOptions.setTrustOptions(config.tls().trust());
            }
            if (config.tls().clientAuth().enabled()) {
                // The other nodes' client ports ask for a client certificate: present this node's own (the cluster CA
                // signed it), so that forwarding, status and membership calls pass with "required" too.
                clientOptions.setKeyCertOptions(config.tls().keyCert());
            }
            // A node whose certificate was revoked is not called either.
            config.tls().withCrls(clientOptions);
        }
        // Requests waiting for one of the 64 connections to a peer are bounded too: beyond what the leader would accept
        // anyway (its pending writes and reads), a forward fails at once (503) instead of queueing without end.
        forwardClient = PeerHttpClient.create(vertx, clientOptions, new PoolOptions().setHttp1MaxSize(64)
                .setMaxWaitQueueSize(config.service().maxPendingProposals() + config.service().maxPendingReads()));
        status = new ClusterStatus(vertx, config, nodes, this, forwardClient, this::listed);
        List<NodeConfig> local = config.nodeId() == 0 ? config.nodes()
                : List.of(config.node(config.nodeId()).orElseThrow());
        if (config.groups() > 1) {
            // Focus switches need every node's replicas in this process (the local cluster), or every process told
            // over the clustered event bus.
            boolean clustered = config.nodeId() != 0 && vertx.isClustered();
            groupView = new GroupView(vertx, publisher, config.groups(), config.nodeId() == 0 || clustered, clustered,
                    () -> replicas);
        }
        publisher.onAudienceReturn(this::reportNodeStates);
        if (config.tls().enabled() && config.tls().reloadIntervalMs() > 0) {
            certificates = new io.raftline.security.CertificateReloader(vertx, config.tls(),
                    config.tls().reloadIntervalMs());
            // The files read again (by value: a client given its path-based options again would keep its old context).
            boolean present = config.tls().clientAuth().enabled();
            certificates.register("the forwarding client", () -> vertx.executeBlocking(
                    () -> config.tls().clientOptionsByValue(present), false)
                    .compose(ssl -> forwardClient.updateSSLOptions(ssl, true)));
            if (grpcTransport != null) {
                // What each node presents when it calls its peers' Raft service, and the CA it verifies them with.
                certificates.register("the gRPC transport's peer clients", grpcTransport::reloadTls);
            }
            if (grpcFaults != null) {
                certificates.register("the gRPC fault service's client", grpcFaults::reloadTls);
            }
            if (keyExchange != null) {
                // A renewed certificate and key: new pair keys, announced to the peers; a new CA or revocation list
                // applied to the peers' certificates.
                certificates.register("the event bus's pair keys", keyExchange::reload);
            }
        }
        Future<?> chain = warmUpTls().compose(v -> vertx.deployVerticle(publisher));
        if (keyExchange != null) {
            // Before the node exists: its first frames need the keys, and its certificate must answer its peers.
            chain = chain.compose(v -> keyExchange.start());
        }
        for (NodeConfig n : local) {
            chain = chain.compose(v -> deployNode(n));
        }
        if (wire instanceof EventBusTransport bus && config.nodeId() != 0 && vertx.isClustered()) {
            chain = chain.onSuccess(v -> keepRoutesReady(bus));
            if (((io.vertx.core.internal.VertxInternal) vertx).clusterManager() instanceof NodeClusterManager m) {
                // Once the node's store is open (its data directory exists and is this node's).
                chain = chain.onSuccess(v -> busPeersTimer = new BusPeers(config.nodeId(),
                        config.storage().durable() ? Path.of(config.node(config.nodeId()).orElseThrow().dataDir())
                                : null, m::nodesOnBus, m.joinedThrough(), () -> Map.copyOf(inEffectByGroup))
                        .start(vertx));
            }
        }
        if (config.nodeId() != 0 && vertx.isClustered()) {
            // One node per process: a partition, loss or delay set on any process is the whole cluster's.
            faultSync = new NetworkFaultSync(vertx, faults(), config.nodeId(), config.security().clusterSecret());
            chain = chain.compose(v -> faultSync.start());
            // And a crash, pause or freeze asked of any process reaches the process that runs the node.
            remoteFaults = new RemoteNodeFaults(vertx, faults(), config.nodeId(), config.security().clusterSecret());
            chain = chain.compose(v -> remoteFaults.start());
        }
        if (grpcFaults != null) {
            grpcFaults.start();
        }
        for (NodeConfig n : local) {
            // Built once the node exists (its store is opened asynchronously above).
            chain = chain.compose(v -> deployClientPort(n));
        }
        if (grpcFaults != null) {
            // Once the port listens (a change another process sent before then found it closed), in the background.
            chain = chain.onSuccess(v -> grpcFaults.catchUp());
        }
        if (config.nodeId() == 0) {
            chain = chain.compose(v -> restoreAddedNodes());
        }
        if (config.admin() != null) {
            // The admin port also serves the live view: the page at "/", the SockJS bridge, the WebJars.
            chain = chain.compose(v -> {
                control = new ControlHandler(vertx, nodes, faults(), publisher, this,
                        groupView == null ? io.raftline.ui.GroupFocus.SINGLE : groupView,
                        config.service().maxBodyBytes());
                AdminAccess access = config.adminAccess();
                ui = new UiRouter(vertx, control, Set.copyOf(config.security().allowedOrigins()), access);
                AdminApi admin = new AdminApi(faults(), status, access,
                        config.nodeId() == 0 ? this : null);
                List<Future<Void>> mounted = new ArrayList<>();
                adminServer = new HttpServerVerticle("admin API and live view", config.admin().host(),
                        config.admin().port(), vx -> {
                            Router root = Router.router(vx);
                            root.route().handler(io.raftline.api.http.RequestEscapes::check);
                            Metrics.mount(root);
                            mounted.add(ui.mount(root));
                            Router adminRouter = admin.router(vx);
                            root.route("/*").subRouter(adminRouter);
                            AdminApi.installErrorHandlers(root, adminRouter);
                            return root;
                        }).limits(config.limits()).guard(ClientPort.requestGuard(config)).tls(config.tls());
                return vertx.deployVerticle(adminServer).compose(x -> {
                    if (certificates != null) {
                        certificates.register("the admin API", adminServer::reloadTls);
                    }
                    return Future.all(mounted);
                });
            });
        }
        // Raft gauges for /metrics read a status refreshed once a second, never the nodes' loops directly.
        chain = chain.onSuccess(v -> {
            if (Metrics.enabled()) {
                for (int id : nodes.keySet()) {
                    meters.add(id);
                }
                refreshMetrics();
                metricsTimer = vertx.setPeriodic(1000, t -> refreshMetrics());
            }
        });
        if (config.groups() > 1) {
            // Leaders spread over the voters, and back after a crash heals.
            chain = chain.compose(v -> {
                // A transfer of a running leader ends within an election timeout (the core aborts it) or with the
                // target's election; twice the longest election timeout is past both.
                balancer = new LeaderBalancer(vertx, () -> replicas, BALANCE_PERIOD_MS, this::hears,
                        2L * config.raft().electionTimeoutMaxMs());
                balancer.start();
                return groupView.start();
            });
        }
        if (Metrics.enabled()) {
            Metrics.registerAuthRefusals();
        }
        if (certificates != null) {
            chain = chain.compose(v -> certificates.start()).onSuccess(v -> {
                if (!config.tls().crlFiles().isEmpty() && Metrics.enabled()) {
                    Metrics.registerCrlNextUpdate(certificates);
                }
            });
        } else if (!config.tls().crlFiles().isEmpty()) {
            // Not read again while running: an out-of-date list is reported once, at start.
            chain = chain.compose(v -> vertx.executeBlocking(() -> io.raftline.security.RevocationLists.check(
                    config.tls().crlFiles(), config.tls().certificateAuthorities()), false)).onSuccess(c -> {
                        if (c.stale(java.time.Instant.now())) {
                            LOG.error("{}", c.staleMessage());
                        }
                    });
        }
        // Other processes of a one-node-per-process cluster ask this one for its nodes' status.
        return chain.compose(v -> status.serveStatusRequests());
    }

    /**
     * One node per process over the clustered event bus: probes every other member now and every
     * {@link #ROUTE_PROBE_MS} ms ({@link EventBusTransport#probe}), so that the route to each peer (who subscribed its
     * address, a connection to its process) is resolved before an election needs it, also between followers, which
     * send each other nothing until their leader dies, and to a peer that restarted since.
     */
    private void keepRoutesReady(EventBusTransport bus) {
        Runnable probe = () -> {
            for (int id : known) {
                if (!nodes.containsKey(id)) {
                    bus.probe(id);
                }
            }
        };
        probe.run();
        routeTimer = vertx.setPeriodic(ROUTE_PROBE_MS, t -> probe.run());
    }

    /**
     * With TLS, initializes the JDK's and Netty's TLS classes and loads the JDK's default trust store on a worker
     * thread, before any listener or peer connection exists. Otherwise the first TLS connection of the process (a
     * peer's stream, a forwarded request) does it on an event loop: measured 2-3.5 s of blocked event loop at the
     * start of a process on a busy 2-core machine.
     */
    private Future<Void> warmUpTls() {
        if (!config.tls().enabled()) {
            return Future.succeededFuture();
        }
        if (clusterCa == null) {
            clusterCa = clusterCaCheck();
        }
        if (clusterCa != null && certificates != null) {
            certificates.register("the cluster CA check", () -> clusterCa.load(vertx));
        }
        return vertx.executeBlocking(() -> {
            javax.net.ssl.SSLContext.getDefault().createSSLEngine().getSupportedCipherSuites();
            io.netty.handler.ssl.SslContextBuilder.forClient();
            return null;
        }).compose(v -> clusterCa == null ? Future.succeededFuture() : clusterCa.load(vertx).mapEmpty());
    }

    /**
     * With a separate client CA, the check that tells the cluster CA's client certificates (nodes) from the client
     * CA's (key-value clients); null when the client ports trust the cluster CA only.
     */
    private io.raftline.security.ClusterCaCheck clusterCaCheck() {
        return config.tls().clientCaFile().isEmpty() ? null
                : new io.raftline.security.ClusterCaCheck(Path.of(config.tls().caFile()));
    }

    /**
     * Opens the node's store (replaying its files: blocking I/O, on a worker) and deploys its verticle; on a sharded
     * cluster, one store and one verticle per group, one after the other, grouped into the node's {@link ReplicaSet}.
     */
    private Future<Void> deployNode(NodeConfig n) {
        int groups = config.groups();
        boolean shared = groups > 1 && config.storage().durable();
        // The data directory's lock first, before anything under it is read or written: the node's marks (CLUSTER,
        // groups, a restore's RESTORING) and a sharded node's shared log included. Before, those were checked and
        // written first and the lock taken only when group 0's store opened, so a node started on a directory that
        // `snapshot restore` held (it never locks data_dir/wal) wrote its marks and a log there before it gave up, and
        // two nodes started together on a new directory could each write their own marks. Group 0's store holds the
        // lock from then on; the other groups' directories and data_dir/wal are locked, under it, as they open.
        Future<LockedDir> locked = !config.storage().durable() ? Future.succeededFuture(LockedDir.NONE)
                : vertx.executeBlocking(() -> LockedDir.take(Path.of(n.dataDir())));
        // One node per process: peers that shard over another number of groups would map keys to groups otherwise
        // (GroupCountGuard); checked before this node writes anything. A data directory that holds the node's data
        // already has its number fixed (GroupLayout refuses to open it with another), so only a node that starts
        // without data asks its peers: a restart does not wait for them (the check took 0.25-0.5 s of a restart's
        // 3-4.5 s, and failover.py kills the next leader 4 s after it restarted the last one).
        // Whether the data directory holds the node's data already is read once, under the lock: for that question
        // and for the cluster mark below (nothing is written into the directory in between).
        Future<Void> agreed = locked.compose(d -> config.nodeId() != 0 && !d.holdsData()
                ? GroupCountGuard.check(n.id(), groups, config.nodeIds(), this, forwardClient)
                : Future.succeededFuture());
        // A sharded node's groups write one log: opened here, held by each group's store once it opens.
        Future<SharedWalWriter> layout = agreed.compose(ok -> !config.storage().durable() ? Future.succeededFuture()
                : vertx.executeBlocking(() -> {
                    Path dataDir = locked.result().lock().dir();
                    if (RestoreMark.settleAtStart(n.id(), dataDir)) {
                        LOG.info("[Node {}] {} held a restore written on every node but for its marks: mark removed",
                                n.id(), dataDir);
                    }
                    ClusterMark.checkOrRecord(dataDir, config.clusterName(), locked.result().holdsData());
                    GroupLayout.checkOrRecord(dataDir, groups);
                    if (!shared) {
                        return null;
                    }
                    GroupLayout.checkNoGroupLogs(dataDir, groups);
                    return SharedWalWriter.open(n.id(), NioDisk.INSTANCE, dataDir.resolve("wal"),
                            config.storage().segmentBytes(), groups);
                })).recover(e -> locked.failed() || locked.result().lock() == null ? Future.failedFuture(e)
                        : release(locked.result().lock()).transform(x -> Future.failedFuture(e)));
        List<RaftNodeVerticle> deployed = new java.util.concurrent.CopyOnWriteArrayList<>();
        // The node's groups share one record of its peers' liveness whenever they may quiesce (docs/sharding.md), a
        // single group too (raft.quiesce_ms set): a quiet follower's timer stands still, and only this record (the
        // keepalives) tells it that its leader's node died. Null when groups never quiesce: nothing changes then.
        io.raftline.raft.RaftConfig raft = config.nodeOptions(n).raft();
        PeerLiveness liveness = NodeHost.livenessFor(raft, System.nanoTime());
        // A sharded node whose groups never quiesce ("quiesce_ms": 0) keeps a record too, for the leader balancer only
        // (whom it may hand a group): fed by what its replicas receive, not given to them, so nothing of their
        // behaviour or of the wire changes. Without it the balancer took every peer for reachable and handed a group
        // to a crashed node every round, each attempt holding that group's writes until the transfer timed out.
        PeerLiveness heardOnly = liveness != null || groups == 1 ? null
                : new PeerLiveness(raft.electionTimeoutMinMs() * 1_000_000L, raft.heartbeatMs() * 1_000_000L,
                        System.nanoTime());
        if (liveness != null || heardOnly != null) {
            livenessByNode.put(n.id(), liveness != null ? liveness : heardOnly);
        }
        SharedStateLoss loss = groups > 1 ? new SharedStateLoss(n.id()) : null;
        Future<Void> chain = layout.mapEmpty();
        for (int g = 0; g < groups; g++) {
            int group = g;
            // Group 0's store takes the data directory's lock over.
            chain = chain.compose(v -> deployReplica(n, group, group == 0 ? locked.result().lock() : null,
                    layout.result(), liveness, heardOnly, loss)).map(replica -> {
                deployed.add(replica);
                if (loss != null) {
                    loss.deployed(replica);
                }
                return null;
            });
        }
        chain = chain.andThen(x -> {
            if (layout.result() != null) {
                layout.result().release(vertx);
            }
        });
        return chain.map(v -> {
            replicas.put(n.id(), List.copyOf(deployed));
            nodes.put(n.id(), groups == 1 ? deployed.get(0) : new ReplicaSet(n.id(), deployed));
            return (Void) null;
        }).onFailure(e -> {
            // Whatever replicas started are stopped again: a node runs all its groups or none.
            List<String> ids = deployments.remove(n.id());
            for (String d : ids == null ? List.<String>of() : ids) {
                vertx.undeploy(d);
            }
        });
    }

    /**
     * Opens one group's store of a node and deploys that group's verticle; with {@code heardOnly}, what the replica
     * receives is noted there first ({@link HeardTransport}). {@code lock}, if given, is the group's directory's lock,
     * taken already: the store holds it from now on. {@code loss} (a sharded node) hears the loss of state the
     * replica's core may find out, to tell the node's other groups.
     */
    private Future<RaftNodeVerticle> deployReplica(NodeConfig n, int group, DataDirLock lock, SharedWalWriter sharedLog,
            PeerLiveness liveness, PeerLiveness heardOnly, SharedStateLoss loss) {
        Path dir = GroupLayout.groupDir(Path.of(n.dataDir()), group);
        Future<LogStore> opened;
        try {
            opened = sharedLog == null ? openStore(n, lock) : vertx.executeBlocking(() ->
                    lock != null ? DurableLogStore.openGroup(vertx, n.id(), lock, group, sharedLog, NioDisk.INSTANCE)
                            : DurableLogStore.openGroup(vertx, n.id(), dir, group, sharedLog, NioDisk.INSTANCE));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // Vert.x is closing and runs no more blocking work: the store will not open to take the lock over.
            if (lock != null) {
                lock.close();
            }
            throw closing;
        }
        return opened.compose(store -> (group == 0 ? rejoinGuard(n, store) : Future.<Void>succeededFuture())
                .recover(e -> store.close().transform(x -> Future.<Void>failedFuture(e))).map(store)).compose(store -> {
            // One group: the node reports to the event stream as before. Several: through its gate in the group
            // view, open while the live view follows its group.
            NodeListener shown = groupView == null ? listener : NodeListener.both(groupView.listener(n.id(), group),
                    group == 0 ? groupZeroListener : otherGroupMembers(group));
            NodeListener reports = loss == null ? shown : NodeListener.both(shown, loss.listener(group));
            Transport wire = heardOnly == null ? transport.group(group)
                    : new HeardTransport(transport.group(group), heardOnly);
            RaftNodeVerticle node = new RaftNodeVerticle(groupOptions(config.nodeOptions(n), group),
                    wire, store, reports, liveness, group == 0);
            return vertx.deployVerticle(node).onSuccess(d -> deployments.computeIfAbsent(n.id(),
                    k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(d)).map(node);
        });
    }

    /**
     * Whether local node {@code self} hears from {@code peer} now, by its record of its peers' liveness (true if it
     * keeps none: one group that never quiesces): whom the leader balancer may hand a group.
     *
     * @param self a local node
     * @param peer another node
     * @return false once {@code peer} has been silent for the minimum election timeout
     */
    boolean hears(int self, int peer) {
        PeerLiveness l = livenessByNode.get(self);
        return l == null || !l.silent(peer, System.nanoTime());
    }

    /**
     * A group's transport that notes every message its replica receives in the node's liveness record before handing
     * it on: the record of a sharded node whose groups never quiesce, which the replicas themselves do not keep (see
     * {@link #deployNode}). Sending is the underlying transport's.
     */
    private static final class HeardTransport implements Transport {
        private final Transport wire;
        private final PeerLiveness heard;

        HeardTransport(Transport wire, PeerLiveness heard) {
            this.wire = wire;
            this.heard = heard;
        }

        @Override
        public void send(io.raftline.raft.message.Message m) {
            wire.send(m);
        }

        @Override
        public void sendAll(List<io.raftline.raft.message.Message> messages) {
            wire.sendAll(messages);
        }

        @Override
        public Future<Registration> register(int nodeId, io.vertx.core.Handler<io.raftline.raft.message.Message> h) {
            return wire.register(nodeId, m -> {
                heard.heard(m.from(), System.nanoTime());
                h.handle(m);
            });
        }

        @Override
        public io.raftline.transport.TransportQueues queues(int nodeId) {
            return wire.queues(nodeId);
        }
    }

    /**
     * Reports every local node's state (its replica of the followed group, when sharded) to the event stream: the
     * live view's audience returned after a spell in which no one watched and the per-write events were not reported.
     */
    private void reportNodeStates() {
        if (groupView != null) {
            groupView.resync();
            return;
        }
        nodes.forEach((id, node) -> GroupView.reportState(publisher, id, 0, node, () -> { }));
    }

    /**
     * A group's node options: its own random seed (elections of different groups must not time out in step), its
     * share of the key space's quota (each group's leader checks the keys of its group only) and of the node's watch
     * history.
     */
    private NodeOptions groupOptions(NodeOptions o, int group) {
        if (config.groups() == 1) {
            return o;
        }
        long quota = o.quotaBytes() == 0 ? 0 : Math.max(1, (o.quotaBytes() + config.groups() - 1) / config.groups());
        return new NodeOptions(o.raft(), o.seed() + 1_000_003L * group, o.maxPendingProposals(),
                o.requestTimeoutMs(), quota, o.maxPendingReads(), config.groups(), group, o.watchLeaderlessMs());
    }

    /**
     * Local cluster: brings the process back to the newest memberships the recovered logs hold committed (a removal a
     * deposed leader appended but never committed must not keep a voter out). Nodes a previous run added at
     * runtime are members there but not in the configuration: they are started again, where {@link #addNode()} put
     * them (a voter left out would count against every quorum). Configured nodes a previous run removed are stopped
     * again (their own log may not even say so: the entry that removed them never reached them).
     *
     * <p>On a sharded cluster a node runs if it is a member of <em>any</em> group, and is stopped only if every group
     * has a committed change and none lists it. A sharded change goes from group G-1 down to group 0 and may stop
     * part way (the live view's add, {@code POST /v1/members}), and {@code ?group=g} changes one group: before, only
     * group 0's membership counted, so a node added to the other groups but not yet to group 0 was not started again,
     * and a configured node removed from group 0 alone was stopped, a voter missing from every other group.
     */
    private Future<Void> restoreAddedNodes() {
        Set<Integer> members = new java.util.TreeSet<>();
        boolean everyGroupChanged = true;
        for (int g = 0; g < config.groups(); g++) {
            CommittedMembership c = committedByGroup.get(g);
            if (c == null) {
                everyGroupChanged = false;
                continue;
            }
            members.addAll(c.membership().all());
            everyGroupChanged &= c.index() > 0;
        }
        Future<Void> chain = Future.succeededFuture();
        if (members.isEmpty()) {
            return chain;
        }
        for (int id : members) {
            if (!nodes.containsKey(id) && config.node(id).isEmpty()) {
                NodeConfig n = LocalNodes.place(config, id);
                known.add(id);
                chain = chain.compose(v -> deployNode(n)).compose(v -> deployClientPort(n));
            }
        }
        if (everyGroupChanged) {
            for (int id : List.copyOf(nodes.keySet())) {
                if (!members.contains(id)) {
                    CommittedMembership zero = committedByGroup.get(0);
                    LOG.info("node {} was removed from the cluster (no group lists it; group 0's membership {} at"
                            + " index {}): not started", id, zero.membership(), zero.index());
                    chain = chain.compose(v -> stopLocal(id));
                }
            }
        }
        return chain;
    }

    /** Stops a local node's verticles and forgets it (its data directory stays). */
    private Future<Void> stopLocal(int id) {
        List<String> ids = deployments.remove(id);
        nodes.remove(id);
        replicas.remove(id);
        servers.remove(id);
        respPorts.remove(id);
        // Its series leave /metrics, and a refresh that asked it for its status just before cannot bring them back.
        meters.remove(id);
        forgetPeers(addresses.stopped(id));
        List<Future<?>> undeploys = new ArrayList<>();
        for (String d : ids == null ? List.<String>of() : ids) {
            undeploys.add(vertx.undeploy(d));
        }
        return Future.join(undeploys).mapEmpty();
    }

    /**
     * One node per process: a node whose store is empty (or recorded a loss: a sharded node's, in any group's
     * directory) must not rejoin under its id if the cluster has counted on it ({@link RejoinGuard}). A joining node
     * ({@code "join": true}) too: once added and promoted it votes and acknowledges like any voter, and a brand-new
     * one passes (no leader saw it acknowledge).
     * The local cluster's nodes share one process and one fate, so there is no one to ask.
     */
    private Future<Void> rejoinGuard(NodeConfig n, LogStore store) {
        if (config.nodeId() == 0 || !config.storage().durable()) {
            return Future.succeededFuture();
        }
        Path dataDir = Path.of(n.dataDir());
        int groups = config.groups();
        Future<List<Integer>> lostInOthers = groups == 1 ? Future.succeededFuture(List.of())
                : vertx.executeBlocking(() -> {
                    List<Integer> lostIn = new ArrayList<>();
                    for (int g = 1; g < groups; g++) {
                        if (DurableLogStore.stateLostRecordedIn(GroupLayout.groupDir(dataDir, g))) {
                            lostIn.add(g);
                        }
                    }
                    return lostIn;
                });
        return lostInOthers.compose(lostIn -> RejoinGuard.check(n.id(), store, lostIn, groups, config.nodeIds(), this,
                forwardClient));
    }

    /** Deploys the node's client port (HTTP and gRPC) and records the port it actually listens on. */
    private Future<Void> deployClientPort(NodeConfig n) {
        HttpServerVerticle server = ClientPort.create(config, n, nodes.get(n.id()), forwardClient, this, status,
                grpcTransport, grpcFaults == null ? null : grpcFaults.service(), clusterCa);
        servers.put(n.id(), server);
        Future<Void> http = vertx.deployVerticle(server).onSuccess(d -> {
            if (certificates != null) {
                certificates.register("node " + n.id() + " HTTP API", server::reloadTls);
            }
            addresses.local(n.id(), new Address(n.host(), server.actualPort()));
            deployments.computeIfAbsent(n.id(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(d);
        }).mapEmpty();
        if (n.respPort() == NodeConfig.NO_RESP) {
            return http;
        }
        RespServerVerticle resp = ClientPort.resp(config, n, nodes.get(n.id()), forwardClient, this);
        return http.compose(v -> vertx.deployVerticle(resp)).onSuccess(d -> {
            if (certificates != null) {
                certificates.register("node " + n.id() + " Redis protocol", resp::reloadTls);
            }
            respPorts.put(n.id(), resp.actualPort());
            deployments.computeIfAbsent(n.id(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(d);
        }).mapEmpty();
    }

    /**
     * Local cluster only: starts one more node in this process, waiting to join (empty membership), with the
     * next free id, a port and data directory that follow the configured nodes' pattern, then has the leader add it
     * as a learner and promote it once it caught up. What the live view's "add node" does.
     *
     * @return the new node's id and URL, once it is a voter; fails with an {@link UnsupportedOperationException} in
     *         one-node-per-process mode
     */
    @Override
    public Future<JsonObject> addNode() {
        if (config.nodeId() != 0) {
            return Future.failedFuture(new UnsupportedOperationException("only the local cluster starts nodes itself;"
                    + " start a process with a joining configuration (conf/node-4.json) and POST /v1/members"));
        }
        // Deployed from this verticle's context, whoever asks (the live view's control handler runs elsewhere), so
        // the new node's verticles are this verticle's children like the configured ones.
        return onOwnContext(this::startAndJoin);
    }

    private Future<JsonObject> startAndJoin() {
        // On a worker (the choice looks at the data directories of ids used before), taken there at once so that a
        // second add, whose choice runs next on the same worker, takes the id after it.
        return vertx.executeBlocking(() -> {
            NodeConfig n = LocalNodes.next(config, known);
            known.add(n.id());
            return n;
        }).compose(this::startAndJoin);
    }

    private Future<JsonObject> startAndJoin(NodeConfig n) {
        // A node whose client port cannot listen (its port taken) is stopped again before the add fails: nothing was
        // proposed for it yet, and left running it stayed in the process for good, no member and unreachable, listed by
        // /health, the fault API and the live view (and holding its data directory).
        return deployNode(n).compose(v -> deployClientPort(n).recover(e -> stopLocal(n.id())
                .transform(x -> Future.<Void>failedFuture(e instanceof HttpServerVerticle.PortInUseException
                        ? new NodeRequestException(NodeRequestException.Reason.PORT_IN_USE, 0, "node " + n.id()
                                + " was not added: its client " + e.getMessage())
                        : e)))).compose(v -> {
                    // Its replicas' gauges too, as for the configured nodes: without them /metrics had no
                    // raftline_group_* line of an added node in any group.
                    meters.add(n.id());
                    String url = nodeUrl(n.id());
                    Future<JsonArray> joined = config.groups() == 1 ? LocalNodes.join(vertx, nodes, n.id(), url)
                            : LocalNodes.joinEveryGroup(vertx, replicas, config.groups(), n.id(), url);
                    return joined.map(m -> new JsonObject().put("id", n.id()).put("url", url).put("members", m));
                });
    }

    /**
     * Local cluster only: removes a member through the leader (a removed leader hands over first), then stops the
     * node in this process; its data directory stays. What the live view's "remove node" does.
     *
     * @param id the member to remove
     * @return the membership after the change; fails with an {@link UnsupportedOperationException} in
     *         one-node-per-process mode (use {@code DELETE /v1/members/{id}})
     */
    @Override
    public Future<JsonObject> removeNode(int id) {
        if (config.nodeId() != 0) {
            return Future.failedFuture(new UnsupportedOperationException("only the local cluster stops nodes itself;"
                    + " use DELETE /v1/members/" + id + " and stop that process"));
        }
        return onOwnContext(() -> (config.groups() == 1 ? LocalNodes.remove(vertx, nodes, id)
                : LocalNodes.removeFromEveryGroup(vertx, replicas, config.groups(), id)).compose(m -> stopLocal(id)
                .map(x -> new JsonObject().put("removed", id).put("members", m))));
    }

    /**
     * What to say at start about ports that listen beyond loopback unprotected: without TLS what crosses them (tokens,
     * values, Raft messages) travels in clear text, and where no credential is asked for anyone who reaches a client
     * port reads and writes every key ({@link #clientAccessWarning}). The defaults bind loopback only; a configuration
     * that opens a port is the operator's choice, so this warns rather than refuses (docs/security.md), but never
     * silently (an audit's note).
     *
     * @param config the configuration
     * @return the warnings, none if every port of this process binds loopback or is protected
     */
    static List<String> openPortWarnings(RaftlineConfig config) {
        List<String> clientPorts = new ArrayList<>();
        for (NodeConfig n : config.nodes()) {
            if ((config.nodeId() == 0 || n.id() == config.nodeId()) && !loopbackHost(n.host())) {
                clientPorts.add("node " + n.id() + " at " + n.host());
            }
        }
        List<String> open = new ArrayList<>(clientPorts);
        if (config.admin() != null && !loopbackHost(config.admin().host())) {
            open.add("the admin port at " + config.admin().host());
        }
        List<String> warnings = new ArrayList<>();
        if (!open.isEmpty() && !config.tls().enabled()) {
            warnings.add(String.join(", ", open) + ": listening beyond loopback without TLS: tokens, keys, values and"
                    + " Raft messages cross the network in clear text (set tls.*, docs/security.md)");
        }
        // The admin port serves no key-value API (the admin token guards it): only the nodes' ports count here.
        if (!clientPorts.isEmpty()) {
            String access = clientAccessWarning(!config.security().clientToken().isEmpty(),
                    config.tls().clientAuth());
            if (access != null) {
                warnings.add(String.join(", ", clientPorts) + ": listening beyond loopback " + access);
            }
        }
        return warnings;
    }

    /**
     * What a client port that listens beyond loopback lets in, as the end of a warning, or null when every key-value
     * client must prove itself. A client token lets in its holders only; {@code tls.client_auth} {@code "required"}
     * lets in holders of a certificate the cluster CA (or {@code tls.client_ca_file}) signed only, token or not (the
     * handshake comes first); {@code "request"} lets a client without a certificate in when no token is set (the
     * configuration refuses that, but the warning must not lie if it ever gets here). Before, the warning looked at
     * the token alone and told an operator who required client certificates that anyone read and wrote every key.
     *
     * @param clientToken whether {@code security.client_token} is set
     * @param clientAuth  {@code tls.client_auth}
     * @return the end of the warning, or null
     */
    static String clientAccessWarning(boolean clientToken, io.raftline.config.ClientCertAuth clientAuth) {
        if (clientToken || clientAuth == io.raftline.config.ClientCertAuth.REQUIRED) {
            return null;
        }
        if (clientAuth == io.raftline.config.ClientCertAuth.REQUEST) {
            return "with tls.client_auth \"request\" and no security.client_token: a client without a certificate is"
                    + " let in, so anyone who reaches a client port reads and writes every key (set"
                    + " security.client_token, or tls.client_auth \"required\"; docs/security.md)";
        }
        return "without security.client_token or tls.client_auth \"required\": anyone who reaches a client port reads"
                + " and writes every key (docs/security.md)";
    }

    /** A host name that binds loopback only, told from its text (no lookup on the event loop). */
    private static boolean loopbackHost(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
    }

    /** Runs {@code action} on this verticle's context; the result completes there. */
    private <T> Future<T> onOwnContext(java.util.function.Supplier<Future<T>> action) {
        if (io.vertx.core.Vertx.currentContext() == context) {
            return action.get();
        }
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> action.get().onComplete(done));
        return done.future();
    }

    private void refreshMetrics() {
        nodes.forEach((id, node) -> {
            List<? extends RaftNode> groups = config.groups() > 1 ? replicas.get(id) : null;
            meters.refresh(id, node.status(), groups == null ? null : ReplicaSet.statuses(groups));
        });
    }

    /** A node's store of one group: in memory, or on disk in the directory {@code lock} holds (taken over). */
    private Future<LogStore> openStore(NodeConfig n, DataDirLock lock) {
        if (!config.storage().durable()) {
            return Future.succeededFuture(new MemoryLogStore());
        }
        return vertx.executeBlocking(() -> DurableLogStore.open(vertx, n.id(), lock, config.storage().segmentBytes(),
                NioDisk.INSTANCE));
    }

    /**
     * A node's data directory, locked, and whether it held the node's data when locked; {@link #NONE} for a node that
     * keeps its data in memory.
     */
    private record LockedDir(DataDirLock lock, boolean holdsData) {
        static final LockedDir NONE = new LockedDir(null, false);

        /**
         * Locks {@code dataDir} (created durably first, as nothing else makes it so: the lock would create it without
         * syncing its parent), then looks whether it holds data. Blocking file I/O.
         *
         * @throws io.raftline.raft.StorageException naming the directory if another node (or a restore) holds it
         */
        static LockedDir take(Path dataDir) throws java.io.IOException {
            NioDisk.INSTANCE.createDirectoriesDurably(dataDir);
            DataDirLock lock = DataDirLock.acquire(dataDir);
            try {
                return new LockedDir(lock, GroupLayout.holdsNodeData(dataDir));
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
        }
    }

    /**
     * Lets go of a data directory's lock that a start took and no store took over (the start failed first), on a
     * worker; on this thread if Vert.x runs no more blocking work (it is closing, and {@code executeBlocking} throws):
     * a lock left held refuses the directory to the next start in this JVM, an embedding application's or a test's.
     */
    private Future<Void> release(DataDirLock lock) {
        try {
            return vertx.executeBlocking(() -> {
                lock.close();
                return null;
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            lock.close();
            return Future.succeededFuture();
        }
    }

    @Override
    public Future<?> stop() {
        if (metricsTimer >= 0) {
            vertx.cancelTimer(metricsTimer);
        }
        meters.removeAll();
        if (busPeersTimer >= 0) {
            vertx.cancelTimer(busPeersTimer);
        }
        if (routeTimer >= 0) {
            vertx.cancelTimer(routeTimer);
        }
        if (balancer != null) {
            balancer.stop();
        }
        if (certificates != null) {
            certificates.stop();
        }
        if (groupView != null) {
            groupView.stop();
        }
        if (faultSync != null) {
            faultSync.stop();
        }
        if (remoteFaults != null) {
            remoteFaults.stop();
        }
        List<Future<?>> closing = new ArrayList<>();
        if (keyExchange != null) {
            closing.add(keyExchange.stop());
        }
        if (forwardClient != null) {
            closing.add(forwardClient.close());
        }
        if (grpcFaults != null) {
            closing.add(grpcFaults.stop());
        }
        if (grpcTransport != null) {
            closing.add(grpcTransport.close());
        }
        return Future.join(closing);
    }

    // ---------------------------------------------------------------- accessors

    /**
     * What reloads renewed TLS certificates (its counters show what it did).
     *
     * @return the reloader, or null without TLS or with {@code tls.reload_interval_ms} 0
     */
    public io.raftline.security.CertificateReloader certificateReloader() {
        return certificates;
    }

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
            faults = new FaultControl(nodes, this::listed, conditioner, links, publisher);
        }
        return faults;
    }

    /** The configured timing the live view draws election-timeout rings with (see docs/events.md, ClusterInfo). */
    private static io.vertx.core.json.JsonObject timing(io.raftline.config.RaftSettings raft) {
        return new io.vertx.core.json.JsonObject().put("tickMs", raft.tickMs()).put("heartbeatMs", raft.heartbeatMs())
                .put("electionMs", new io.vertx.core.json.JsonArray().add(raft.electionTimeoutMinMs())
                        .add(raft.electionTimeoutMaxMs()));
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
     * @return {@code http://host:port}, or {@code https://} with TLS
     */
    public String nodeUrl(int id) {
        PeerDirectory.Address a = addresses.address(id).orElseThrow(() -> new IllegalArgumentException("node " + id
                + " has no known address"));
        return config.tls().scheme() + "://" + a.host() + ":" + a.port();
    }

    /**
     * The other nodes this process's nodes replicate with: the members of every group's membership in effect, or the
     * configured nodes before any membership is known. What the start banner names as peers: after members were
     * replaced, the configuration still lists the old ones.
     *
     * @return node ids, without the local nodes
     */
    public java.util.SortedSet<Integer> peers() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
        inEffectByGroup.values().forEach(m -> out.addAll(m.all()));
        if (out.isEmpty()) {
            out.addAll(config.memberIds());
        }
        out.removeAll(nodes.keySet());
        return out;
    }

    /**
     * The configuration this runtime was built from.
     *
     * @return the validated configuration
     */
    public RaftlineConfig raftlineConfig() {
        return config;
    }

    /**
     * Where a node's Redis-protocol listener is, for {@code redis-cli -h host -p port}.
     *
     * @param id the node
     * @return {@code host:port}, or null if the node runs none
     */
    public String respAddress(int id) {
        Integer port = respPorts.get(id);
        return port == null ? null : addresses.address(id).map(a -> a.host() + ":" + port).orElse(null);
    }

    /**
     * The base URL of the admin API.
     *
     * @return {@code http://host:port}, or null if there is none
     */
    public String adminUrl() {
        return adminServer == null ? null : config.tls().scheme() + "://" + config.admin().host() + ":"
                + adminServer.actualPort();
    }

    /**
     * What {@code /v1/cluster} shows, as JSON. Its questions to other nodes are asked from this verticle's context,
     * whoever calls (an embedding program or a test calls from its own thread, which Vert.x 5.0.7's HTTP client does
     * not serve reliably: docs/decisions.md, "Vert.x HTTP calls are made on a Vert.x context").
     *
     * @return every node's state and the leader
     */
    public Future<JsonObject> describe() {
        return onOwnContext(status::describe);
    }

    /**
     * Completes with the leader's id once a leader is known to a majority of the local nodes (or to the only
     * local node), and on a sharded cluster once every group has a leader, or fails after the timeout.
     *
     * @param timeoutMs how long to wait
     * @return the leader's id
     */
    public Future<Integer> awaitLeader(long timeoutMs) {
        Promise<Integer> promise = Promise.promise();
        long deadline = System.currentTimeMillis() + timeoutMs;
        long timer = vertx.setPeriodic(20, t -> status.describe().onSuccess(c -> {
            int leader = c.getInteger("leader");
            // On a sharded cluster, every group must have its leader: a client may ask any key.
            io.vertx.core.json.JsonArray groups = c.getJsonArray("groups", new io.vertx.core.json.JsonArray());
            for (int g = 0; g < groups.size(); g++) {
                if (groups.getJsonObject(g).getInteger("leader", 0) == 0) {
                    leader = 0;
                }
            }
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
        return addresses.address(nodeId);
    }

    @Override
    public String scheme() {
        return config.tls().scheme();
    }

    @Override
    public String peerAuthorization() {
        return peerAuthorization;
    }
}
