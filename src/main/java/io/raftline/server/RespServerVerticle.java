package io.raftline.server;

import io.raftline.api.KvRequests;
import io.raftline.api.resp.RespServer;
import io.raftline.config.LimitsConfig;
import io.raftline.config.TlsConfig;
import io.raftline.node.RaftNode;
import io.raftline.security.ClientAccess;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * Owns one node's Redis-protocol listening socket ({@code resp_port}) and hands each connection to a
 * {@link RespServer}, as {@link HttpServerVerticle} owns the HTTP one: a port that is taken fails the deployment
 * with a message that names it. The listener limits that bound the HTTP ports bound it too (connections, idle
 * timeout), it speaks TLS with the same certificate when the configuration has one (as {@code redis-cli --tls}
 * does), and it asks for {@code AUTH} when {@code security.client_token} is set.
 */
final class RespServerVerticle extends VerticleBase {

    private final String what;
    private final String host;
    private final int port;
    private final RaftNode node;
    private final KvRequests requests;
    private final int maxRequestBytes;
    private final LimitsConfig limits;
    private final TlsConfig tls;
    private final ClientAccess access;
    private NetServer server;
    /** The TLS options the server was started with (null without TLS): what a reload applies again. */
    private volatile io.vertx.core.net.ServerSSLOptions sslOptions;

    /**
     * Loads this listener's TLS files again (see {@link HttpServerVerticle#reloadTls()}).
     *
     * @return completes with whether the options were applied
     */
    Future<Boolean> reloadTls() {
        NetServer s = server;
        io.vertx.core.net.ServerSSLOptions ssl = sslOptions;
        return s == null || ssl == null ? Future.succeededFuture(false) : s.updateSSLOptions(ssl.copy(), true);
    }

    RespServerVerticle(String what, String host, int port, RaftNode node, KvRequests requests, int maxRequestBytes,
            LimitsConfig limits, TlsConfig tls, ClientAccess access) {
        this.what = what;
        this.host = host;
        this.port = port;
        this.node = node;
        this.requests = requests;
        this.maxRequestBytes = maxRequestBytes;
        this.limits = limits;
        this.tls = tls;
        this.access = access;
    }

    @Override
    public Future<?> start() {
        NetServerOptions options = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        if (limits.idleTimeoutMs() > 0) {
            options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.idleTimeoutMs()))
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        }
        if (tls.enabled()) {
            options.setSsl(true).setKeyCertOptions(tls.keyCert());
            if (tls.clientAuth().enabled()) {
                // tls.client_auth: the same handshake as the HTTP client port; a verified certificate stands for AUTH.
                options.setClientAuth(tls.clientAuth().handshake()).setTrustOptions(tls.clientPortTrust());
                tls.withCrls(options);
            }
        }
        RespServer resp = new RespServer(vertx, node, requests, this::actualPort, maxRequestBytes,
                limits.maxConnections(), access, io.raftline.api.AnswerBudget.DEFAULT_BYTES, limits.requestTimeoutMs());
        if (limits.requestTimeoutMs() > 0) {
            // Connections whose replies go unread past the deadline are closed (a timer of this verticle: it ends
            // with it).
            vertx.setPeriodic(1000, t -> resp.dropStalled(System.nanoTime()));
        }
        return vertx.createNetServer(options).connectHandler(resp).listen()
                .onSuccess(bound -> {
                    server = bound;
                    sslOptions = tls.enabled() ? options.getSslOptions() : null;
                })
                .recover(e -> Future.failedFuture(new HttpServerVerticle.PortInUseException(what, host, port, e)));
    }

    @Override
    public Future<?> stop() {
        sslOptions = null; // closed: nothing to reload
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
