package io.raftline.server;

import io.raftline.api.KvRequests;
import io.raftline.api.resp.RespServer;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * Owns one node's Redis-protocol listening socket ({@code resp_port}) and hands each connection to a
 * {@link RespServer}, as {@link HttpServerVerticle} owns the HTTP one: a port that is taken fails the deployment
 * with a message that names it.
 */
final class RespServerVerticle extends VerticleBase {

    private final String what;
    private final String host;
    private final int port;
    private final RaftNode node;
    private final KvRequests requests;
    private final int maxRequestBytes;
    private NetServer server;

    RespServerVerticle(String what, String host, int port, RaftNode node, KvRequests requests, int maxRequestBytes) {
        this.what = what;
        this.host = host;
        this.port = port;
        this.node = node;
        this.requests = requests;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public Future<?> start() {
        NetServerOptions options = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        RespServer resp = new RespServer(vertx, node, requests, this::actualPort, maxRequestBytes,
                RespServer.DEFAULT_MAX_CLIENTS);
        return vertx.createNetServer(options).connectHandler(resp).listen()
                .onSuccess(bound -> server = bound)
                .recover(e -> Future.failedFuture(new HttpServerVerticle.PortInUseException(what, host, port, e)));
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    /**
     * The port actually bound (useful when configured as 0).
     *
     * @return the port, or -1 before start
     */
    int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}
