package io.raftline.server;

import io.raftline.api.AnswerBudget;
import io.raftline.api.KvRequests;
import io.raftline.api.WatchBudget;
import io.raftline.api.grpc.KvGrpcService;
import io.raftline.api.http.BackupApi;
import io.raftline.api.http.ClusterView;
import io.raftline.api.http.HttpLeaderLink;
import io.raftline.api.http.KvApi;
import io.raftline.api.http.MembersApi;
import io.raftline.api.http.WatchApi;
import io.raftline.api.http.PeerDirectory;
import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.node.RaftNode;
import io.raftline.security.ClientAccess;
import io.raftline.security.DeferredRefusal;
import io.raftline.security.RequestGuard;
import io.raftline.transport.grpc.GrpcTransport;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;

/**
 * One node's client port: HTTP (the KV API, {@code /v1/members}, {@code /v1/leader}, {@code /v1/cluster},
 * {@code /health}, {@code /metrics} and the leader's endpoint for forwarded requests) and gRPC (KvService, and RaftService when Raft runs over gRPC) on
 * the same listener, all over one {@link KvRequests} layer.
 */
final class ClientPort {

    private ClientPort() {
    }

    /**
     * Builds the server verticle of node {@code n}'s client port.
     *
     * @param config        the configuration
     * @param n             the node's configuration
     * @param node          the node
     * @param forwardClient HTTP client for forwarding to the leader (owned by the caller)
     * @param peers         where each node's client port is
     * @param cluster       what {@code /v1/cluster} shows
     * @param raftTransport the gRPC transport when Raft runs over gRPC, else null
     * @param faultService  with the gRPC transport and one node per process, the nemesis's faults between processes
     *                      ({@link GrpcFaults}), served next to RaftService under the same checks; else null
     * @param clusterCa     with a separate client CA, which client certificates the cluster CA issued (only those
     *                      may call the forwarding endpoint); null otherwise
     * @return the (undeployed) server
     */
    static HttpServerVerticle create(RaftlineConfig config, NodeConfig n, RaftNode node, HttpClient forwardClient,
            PeerDirectory peers, ClusterView cluster, GrpcTransport raftTransport, Service faultService,
            io.raftline.security.ClusterCaCheck clusterCa) {
        KvRequests requests = requests(config, n, node, forwardClient, peers);
        ClientAccess access = config.clientAccess();
        KvApi api = new KvApi(node, requests, cluster, config.service(), access);
        if (clusterCa != null) {
            api.forwardingOnlyFrom(connection -> {
                try {
                    return connection.isSsl() && clusterCa.issued(connection.peerCertificates());
                } catch (javax.net.ssl.SSLPeerUnverifiedException noCertificate) {
                    return false;
                }
            });
        }
        // A membership change answers once committed: the node's request timeout, plus the hop to the leader.
        WatchBudget watchBudget = new WatchBudget(WatchBudget.DEFAULT_BYTES);
        WatchApi watches = new WatchApi(node, watchBudget);
        MembersApi members = new MembersApi(node, peers, forwardClient, config.service().requestTimeoutMs()
                + config.service().forwardTimeoutMs(), config.adminAccess());
        KvGrpcService kv = new KvGrpcService(node, requests, peers, config.service().maxBodyBytes(), watchBudget);
        // The port's read answers not yet written out, HTTP and gRPC together (AnswerBudget).
        AnswerBudget answers = new AnswerBudget(AnswerBudget.DEFAULT_BYTES, config.limits().requestTimeoutMs());
        api.answersWithin(answers);
        kv.answersWithin(answers);
        Service raft = raftTransport == null ? null : raftTransport.service(n.id());
        long kvMaxMessageBytes = config.service().maxBodyBytes() + 8 * 1024;
        return new HttpServerVerticle("node " + n.id() + " HTTP API", n.host(), n.httpPort(), vx -> {
            Router r = api.router(vx);
            members.mount(r);
            watches.mount(r);
            new BackupApi(node).mount(r);
            Metrics.mount(r);
            return r;
        }, vx -> grpcHandler(vx, kv, kvMaxMessageBytes, raft, faultService, raftTransport, access))
                .limits(config.limits()).guard(requestGuard(config)).tls(config.tls())
                .clientCertificates(clientCertificates(config, raft != null));
    }

    /**
     * What a client port's TLS handshake asks of clients: {@code tls.client_auth}; without it, a certificate is asked for
     * (not required) where Raft peers call the same port (gRPC transport), so that the Raft service can tell them by it.
     *
     * @param config the configuration
     * @param raft   whether the port serves Raft calls
     * @return the handshake's setting
     */
    static io.vertx.core.http.ClientAuth clientCertificates(RaftlineConfig config, boolean raft) {
        if (config.tls().clientAuth().enabled()) {
            return config.tls().clientAuth().handshake();
        }
        return raft ? io.vertx.core.http.ClientAuth.REQUEST : io.vertx.core.http.ClientAuth.NONE;
    }

    /**
     * The host and origin checks of every listener of this configuration: the names clients may call it by are the
     * configured hosts (every node's, the admin listener's) and {@code security.allowed_hosts}; the origins besides a
     * server's own are {@code security.allowed_origins}.
     *
     * @param config the configuration
     * @return the guard
     */
    static RequestGuard requestGuard(RaftlineConfig config) {
        java.util.Set<String> hosts = new java.util.HashSet<>(config.security().allowedHosts());
        config.nodes().forEach(node -> hosts.add(node.host()));
        if (config.admin() != null) {
            hosts.add(config.admin().host());
        }
        return new RequestGuard(hosts, config.security().allowedOrigins());
    }

    /**
     * The request layer of node {@code n}'s client protocols: serves here or forwards to the leader over HTTP.
     *
     * @param config        the configuration
     * @param n             the node's configuration
     * @param node          the node
     * @param forwardClient HTTP client for forwarding to the leader
     * @param peers         where each node's client port is
     * @return the layer
     */
    static KvRequests requests(RaftlineConfig config, NodeConfig n, RaftNode node, HttpClient forwardClient,
            PeerDirectory peers) {
        // One node per process: the members may run other releases (a rolling upgrade). The local cluster's nodes all
        // run this one.
        io.raftline.api.ReleaseGate gate = config.nodeId() != 0 ? new PeerReleases(n.id(), peers, forwardClient)
                : io.raftline.api.ReleaseGate.NONE;
        return new KvRequests(node, new HttpLeaderLink(forwardClient, peers, n.id(),
                config.service().forwardTimeoutMs()), gate);
    }

    /**
     * Builds the Redis-protocol listener of node {@code n}, over the same request layer as its HTTP and gRPC APIs.
     *
     * @param config        the configuration
     * @param n             the node's configuration ({@link NodeConfig#respPort()} at least 0)
     * @param node          the node
     * @param forwardClient HTTP client for forwarding to the leader
     * @param peers         where each node's client port is
     * @return the (undeployed) listener
     */
    static RespServerVerticle resp(RaftlineConfig config, NodeConfig n, RaftNode node, HttpClient forwardClient,
            PeerDirectory peers) {
        // One request's arguments together get the HTTP body limit, plus room for the keys of a multi-key command.
        int maxRequestBytes = (int) Math.min(Integer.MAX_VALUE, config.service().maxCommandBytes());
        return new RespServerVerticle("node " + n.id() + " Redis protocol", n.host(), n.respPort(), node,
                requests(config, n, node, forwardClient, peers), maxRequestBytes, config.limits(), config.tls(),
                config.clientAccess());
    }

    /**
     * Answers a gRPC call with status UNAUTHENTICATED (16) without reading any message: a "trailers-only" response,
     * the form gRPC uses for a refused call, once the client has sent its request ({@link DeferredRefusal}).
     */
    private static void unauthenticated(Vertx vx, HttpServerRequest request, String message) {
        HttpServerResponse response = request.response();
        request.handler(data -> { });
        DeferredRefusal.afterRequest(vx, request.end(), () -> {
            if (response.closed()) {
                return; // the connection went away meanwhile: nobody to answer
            }
            response.setStatusCode(200).putHeader("content-type", "application/grpc").putHeader("grpc-status", "16")
                    .putHeader("grpc-message", java.net.URLEncoder.encode(message,
                            java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"))
                    .end();
        });
    }

    /** The most a gzip message of a Raft call from a caller without a node's certificate is inflated to. */
    static final long UNAUTHENTICATED_INFLATE_BYTES = 64 * 1024;

    /**
     * How far a Raft call's gzip messages may be inflated: to the largest Raft message for a caller whose certificate
     * names a node, or without TLS (where the credential was checked before), but only to
     * {@link #UNAUTHENTICATED_INFLATE_BYTES} for a TLS caller without one. The Raft service refuses such a caller
     * (UNAUTHENTICATED), but only once the gRPC server has its call, after this check inflated what it sent: 64 MiB a
     * message, on the event loop, for anyone who could open a TLS connection to the port.
     */
    private static long raftInflateBound(GrpcTransport raft, HttpServerRequest request, long raftMaxMessageBytes) {
        io.raftline.security.PeerGuard guard = raft.guard();
        return guard != null && GrpcTransport.callerIdentity(guard, request.connection()) == null
                ? Math.min(UNAUTHENTICATED_INFLATE_BYTES, raftMaxMessageBytes) : raftMaxMessageBytes;
    }

    /**
     * The gRPC side: RaftService calls (only with the gRPC transport) go to a server sized for Raft batches and
     * snapshot chunks, everything else to the KV server, sized for one value (plus room for the key and the
     * idempotency key).
     */
    private static Handler<HttpServerRequest> grpcHandler(Vertx vx, KvGrpcService kv, long kvMaxMessageBytes,
            Service raft, Service faults, GrpcTransport raftTransport, ClientAccess access) {
        GrpcServer grpcKv = kv.bind(GrpcServer.server(vx, new GrpcServerOptions()
                .setMaxMessageSize(kvMaxMessageBytes).setScheduleDeadlineAutomatically(true)));
        Handler<HttpServerRequest> kvServer = access.required() ? request -> {
            String refusal = access.refusal(request.getHeader("authorization"),
                    () -> io.raftline.security.ClientCertificates.presented(request.connection()));
            if (refusal == null) {
                grpcKv.handle(GrpcFrameCheck.checked(request, kvMaxMessageBytes));
            } else {
                io.raftline.security.AuthRefusals.process().refused("gRPC client API",
                        String.valueOf(request.remoteAddress()), refusal);
                unauthenticated(vx, request, refusal);
            }
        } : request -> grpcKv.handle(GrpcFrameCheck.checked(request, kvMaxMessageBytes));
        if (raft == null) {
            return kvServer;
        }
        long raftMaxMessageBytes = raftTransport.options().maxMessageBytes();
        GrpcServer raftServer = GrpcServer.server(vx, new GrpcServerOptions()
                .setMaxMessageSize(raftMaxMessageBytes)).addService(raft);
        String raftPath = "/" + raft.name().fullyQualifiedName() + "/";
        // The faults between processes are the nodes' as Raft is: the same credential, the same certificate checks.
        GrpcServer faultServer = faults == null ? null : GrpcServer.server(vx, new GrpcServerOptions()
                .setMaxMessageSize(GrpcFaults.MAX_MESSAGE_BYTES)).addService(faults);
        String faultPath = faults == null ? null : "/" + faults.name().fullyQualifiedName() + "/";
        // Without TLS no certificate tells a node from anyone who can reach the port: with a client token or a cluster
        // secret configured, Raft calls need the nodes' credential (GrpcTransport#presenting, RaftCallCredential), or
        // a client could write through the log (an AppendEntries at a higher term); the client token is not one, since
        // every key-value client holds it. With TLS the Raft service checks the caller's certificate instead
        // (RaftEndpoint, PeerGuard).
        io.raftline.security.RaftCallCredential credential = raftTransport.guard() == null
                ? raftTransport.credential() : null;
        return request -> {
            boolean toRaft = request.path().startsWith(raftPath);
            if (toRaft || (faultPath != null && request.path().startsWith(faultPath))) {
                String refusal = credential != null ? credential.refusal(request::getHeader) : null;
                if (refusal != null) {
                    io.raftline.security.AuthRefusals.process().refused(toRaft ? "gRPC Raft service"
                            : "gRPC fault service", String.valueOf(request.remoteAddress()), refusal);
                    unauthenticated(vx, request, refusal);
                } else if (toRaft) {
                    raftServer.handle(GrpcFrameCheck.checked(request, raftInflateBound(raftTransport, request,
                            raftMaxMessageBytes)));
                } else {
                    faultServer.handle(GrpcFrameCheck.checked(request, GrpcFaults.MAX_MESSAGE_BYTES));
                }
            } else {
                kvServer.handle(request);
            }
        };
    }
}
