package io.raftline.server;

import io.raftline.config.LimitsConfig;
import io.raftline.config.TlsConfig;
import io.raftline.security.DescriptorBudget;
import io.raftline.security.RequestGuard;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.netty.handler.codec.TooLongFrameException;
import java.net.BindException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Serves one router on one host and port. The routers are plain objects; this verticle only owns the
 * listening socket, so the node API and the admin API share the same life cycle code, and a port that is
 * already taken fails the deployment with a message that says which port and what for.
 *
 * <p>A port can also serve gRPC: requests whose {@code content-type} starts with {@code application/grpc} go to
 * the gRPC handler before the router sees them (a router's BodyHandler would consume the body gRPC needs), all
 * others to the router. HTTP/1.1, h2c and gRPC (HTTP/2) share the one port.
 *
 * <p>It also holds the limits that protect the listener itself, before any router runs ({@link LimitsConfig}): at most
 * {@code max_connections} open connections (one more is answered 503 {@code too_many_connections} and closed), an idle
 * timeout, a deadline for a request's body to arrive (408 {@code request_timeout} and the connection closed: a client
 * that sends half a body holds nothing for long), a deadline for a request's head ({@code request_head_timeout_ms}:
 * a head trickled byte by byte, or none at all, no longer holds a connection until the idle timeout), request line and
 * head sizes (414 and 431), WebSocket frame sizes;
 * and the {@link RequestGuard}'s host and origin checks. Requests Netty cannot decode are answered as JSON errors
 * like everything else.
 */
public final class HttpServerVerticle extends VerticleBase {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpServerVerticle.class);

    private final String what;
    private final String host;
    private final int port;
    private final Function<Vertx, Router> routerFactory;
    private final Function<Vertx, Handler<HttpServerRequest>> grpcFactory;
    private LimitsConfig limits = LimitsConfig.DEFAULT;
    private TlsConfig tls = TlsConfig.NONE;
    /** Whether the TLS handshake asks clients for a certificate (ports that receive Raft traffic). */
    private io.vertx.core.http.ClientAuth clientCertificates = io.vertx.core.http.ClientAuth.NONE;
    private RequestGuard guard;
    private HttpServer server;
    /** The TLS options the server was started with (null without TLS): what a reload applies again. */
    private volatile io.vertx.core.net.ServerSSLOptions sslOptions;
    /** Open connections; only touched on this verticle's event loop (the server's connections all live there). */
    private int connections;
    /** The process-wide bound on client connections, which keeps descriptors for the storage. */
    private final DescriptorBudget budget = DescriptorBudget.process();
    /** Connections beyond {@code max_connections}: their first request is answered 503, then they are closed. */
    private final Set<HttpConnection> overLimit = Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * Requests whose body had not fully arrived when last looked at, with the time they started, in arrival order
     * (event loop only). Requests whose body has arrived leave from the front as each new one comes in, not at the
     * next sweep only: a request kept for up to a sweep period (1 s by default) kept its whole object graph alive
     * through young collections, which copied 10-12 MB of them at every pause under 30,000 reads a second.
     */
    private ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long sweepTimer = -1;
    /**
     * Every connection Netty accepted for this server, also those Vert.x has not shown to {@link #connected} yet (a
     * plain-text first head with h2c on, an HTTP/2 connection before its SETTINGS): null if this Vert.x hides them.
     */
    private AcceptedConnections accepted;
    /** Connections closed because their request head was late (written on the event loop only). */
    private volatile long headTimeouts;

    private record Pending(HttpServerRequest request, long startedNanos) {
        /** The body has arrived (or the exchange is over): no longer the request timeout's business. */
        boolean arrived() {
            return request.isEnded() || request.response().closed();
        }
    }

    /**
     * HTTP/1.x connections that must complete a request head by a deadline (event loop only): until their first
     * request, and again once their latest request's response has ended. A WebSocket leaves at its upgrade. HTTP/2
     * connections are watched by their streams instead ({@link #quietHttp2}).
     */
    private final Map<HttpConnection, HeadWait> awaitingHead = new IdentityHashMap<>();

    /**
     * HTTP/2 connections, which must keep a stream open or start one within the head's deadline of having none (event
     * loop only). A stream exists only once its whole header block has arrived, so a HEADERS frame trickled byte by
     * byte, or a header block spread over CONTINUATION frames sent one every few seconds, starts none; nor do PINGs.
     * A Raft peer's link keeps its Stream call open, so it never waits here.
     */
    private final Map<HttpConnection, StreamWatch> quietHttp2 = new IdentityHashMap<>();

    /** What the sweep last saw of an HTTP/2 connection's streams (Netty's count, read on its event loop). */
    private static final class StreamWatch {
        final io.netty.handler.codec.http2.Http2Connection streams;
        /** The client's latest stream id when last looked at: a new one means a request came meanwhile. */
        int lastStream;
        /** Since when no stream has been open and none started (nanoTime), or 0 while one is open. */
        long quietSince;

        StreamWatch(io.netty.handler.codec.http2.Http2Connection streams, long now) {
            this.streams = streams;
            this.quietSince = now;
        }
    }

    /** Why a connection waits for a head: since when, or behind which request (its response not ended yet). */
    private static final class HeadWait {
        /** When the wait started (nanoTime), or 0 while {@link #latest} is still being answered. */
        long sinceNanos;
        HttpServerRequest latest;

        HeadWait(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }
    }

    /**
     * Most HTTP/2 streams a client may have open at once on one connection of a port that serves gRPC
     * ({@code SETTINGS_MAX_CONCURRENT_STREAMS}). A unary or server-streaming gRPC call holds its one request message
     * until the client half-closes it ({@code OneMessageCall}), and a message on its way is buffered whole by the gRPC
     * layer: each open stream can make the node hold up to two of the largest messages of its service, so this bounds
     * what one connection holds (KV calls: 128 x about 2 MiB with the default {@code max_body_bytes}). It was 1,024,
     * a gigabyte of KV messages per connection. Raft peers need at most five streams per connection (one Stream call
     * and at most {@code SnapshotIntake.MAX_PER_CONNECTION} snapshots); a client that opens more calls at once on one
     * connection has them wait for a stream (gRPC clients queue them) or opens another connection.
     */
    public static final int MAX_CONCURRENT_STREAMS = 128;

    /**
     * Creates the server.
     *
     * @param what          what it serves, for messages ("node 1 HTTP API")
     * @param host          interface to bind
     * @param port          port (0: any free port)
     * @param routerFactory builds the router on start
     */
    public HttpServerVerticle(String what, String host, int port, Function<Vertx, Router> routerFactory) {
        this(what, host, port, routerFactory, null);
    }

    /**
     * Creates a server for HTTP and gRPC on one port.
     *
     * @param what          what it serves, for messages ("node 1 HTTP API")
     * @param host          interface to bind
     * @param port          port (0: any free port)
     * @param routerFactory builds the HTTP router on start
     * @param grpcFactory   builds the gRPC handler on start (null: no gRPC)
     */
    public HttpServerVerticle(String what, String host, int port, Function<Vertx, Router> routerFactory,
            Function<Vertx, Handler<HttpServerRequest>> grpcFactory) {
        this.what = what;
        this.host = host;
        this.port = port;
        this.routerFactory = routerFactory;
        this.grpcFactory = grpcFactory;
    }

    /**
     * Sets the limits (before deployment; the defaults otherwise).
     *
     * @param limits the limits
     * @return this
     */
    public HttpServerVerticle limits(LimitsConfig limits) {
        this.limits = limits;
        return this;
    }

    /**
     * Serves TLS with the configured PEM certificate and key (before deployment; plain HTTP otherwise). With gRPC,
     * HTTP/2 is negotiated by ALPN.
     *
     * @param tls the certificate and key
     * @return this
     */
    public HttpServerVerticle tls(TlsConfig tls) {
        this.tls = tls;
        return this;
    }

    /**
     * What the TLS handshake asks of clients (before deployment; nothing otherwise): a certificate signed by
     * {@code tls.ca_file}, asked for ({@code REQUEST}) or required ({@code REQUIRED}). A port that receives Raft RPCs
     * asks at least: the Raft service accepts a call only from a verified peer certificate, while KV clients on the
     * same port may present none. With {@code tls.client_auth} key-value clients authenticate by it. Either way a
     * client that presents a certificate the CA did not sign fails the handshake.
     *
     * @param auth what to ask
     * @return this
     */
    public HttpServerVerticle clientCertificates(io.vertx.core.http.ClientAuth auth) {
        this.clientCertificates = java.util.Objects.requireNonNull(auth, "auth");
        return this;
    }

    /**
     * Sets the host and origin checks made before routing (before deployment; none otherwise).
     *
     * @param guard the checks
     * @return this
     */
    public HttpServerVerticle guard(RequestGuard guard) {
        this.guard = guard;
        return this;
    }

    /**
     * Whether a request is a gRPC call (including gRPC-Web), by its content type.
     *
     * @param request the request
     * @return true for {@code application/grpc...}
     */
    public static boolean isGrpc(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /**
     * Whether a gRPC request is native gRPC (HTTP/2, not gRPC-Web), which browsers cannot make to a plain-text port.
     *
     * @param request a request {@link #isGrpc} accepted
     * @return true for HTTP/2 without a {@code application/grpc-web*} content type
     */
    static boolean nativeGrpc(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        return request.version() == io.vertx.core.http.HttpVersion.HTTP_2
                && !type.regionMatches(true, 0, "application/grpc-web", 0, 20);
    }

    @Override
    public Future<?> start() {
        Router router = routerFactory.apply(vertx);
        Handler<HttpServerRequest> grpc = grpcFactory == null ? null : grpcFactory.apply(vertx);
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true)
                .setMaxInitialLineLength(limits.maxRequestLineBytes()).setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxWebSocketFrameSize(limits.maxWsFrameBytes()).setMaxWebSocketMessageSize(limits.maxWsFrameBytes());
        if (limits.idleTimeoutMs() > 0) {
            options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.idleTimeoutMs()))
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        }
        if (tls.enabled()) {
            options.setSsl(true).setUseAlpn(true).setKeyCertOptions(tls.keyCert());
            if (clientCertificates != io.vertx.core.http.ClientAuth.NONE && !tls.caFile().isEmpty()) {
                // Key-value clients' certificates may come from the client CA; nodes' only from the cluster CA (the
                // Raft service and the forwarding endpoint check which, PeerGuard.identify).
                options.setClientAuth(clientCertificates).setTrustOptions(tls.clientPortTrust());
                tls.withCrls(options);
            }
        }
        // HTTP/2 (h2c, h2 by ALPN, gRPC) bounds a request's head by SETTINGS_MAX_HEADER_LIST_SIZE, not by maxHeaderSize
        // (HTTP/1.x only): the same limit there, instead of Vert.x's 8 KiB whatever max_header_bytes says.
        Http2Settings http2 = new Http2Settings().setMaxHeaderListSize(limits.maxHeaderBytes());
        if (grpc != null) {
            http2.setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS);
        }
        options.setInitialSettings(http2);
        if (grpc == null) {
            // No gRPC here (the admin port): no HTTP/2 without TLS either. With h2c on, Vert.x keeps a plain HTTP/1.x
            // connection inside Netty until its first head is complete (to see whether it asks for an upgrade), which
            // only AcceptedConnections reaches; browsers and curl speak HTTP/1.1 to a plain-text port anyway.
            options.setHttp2ClearTextEnabled(false);
        }
        Handler<HttpServerRequest> handler = request -> {
            headArrived(request);
            if (!overLimit.isEmpty() && overLimit.contains(request.connection())) {
                refuse(request, 503, "too_many_connections", "this port has " + limits.maxConnections()
                        + " open connections already (limits.max_connections): retry later");
                return;
            }
            boolean grpcCall = grpc != null && isGrpc(request);
            // Native gRPC (HTTP/2, application/grpc) is what no page can make (browsers speak HTTP/2 only over TLS,
            // where a rebound name fails the certificate): it skips the guard, so gRPC clients may call a node by any
            // name. gRPC-Web is plain HTTP/1.1 a page's fetch sends to its own origin without a preflight: through a
            // rebound name it would read and write every key (and reach the Raft service) unless checked like the rest.
            RequestGuard.Refusal refusal = guard == null || grpcCall && nativeGrpc(request) ? null
                    : guard.check(request);
            if (refusal != null) {
                refuse(request, refusal.status(), refusal.code(), refusal.message());
                return;
            }
            if (grpcCall) {
                resetIfAnsweredBeforeTheRequestEnds(request);
                grpc.handle(request);
                return;
            }
            String expectation = io.raftline.api.http.Expectations.unmet(request);
            if (expectation != null) {
                refuse(request, 417, "expectation_failed", "cannot meet the expectation \"" + expectation
                        + "\" (Expect): the only one this server knows is 100-continue");
                return;
            }
            String coding = unknownTransferCoding(request);
            if (coding != null) {
                // Netty reads such a body by its Content-Length (or reads none) and hands over the coded bytes: a
                // gzip-coded value was stored compressed, as if it were the value (RFC 9112, section 6.1: 501).
                refuse(request, 501, "not_implemented", "Transfer-Encoding '" + coding + "' is not implemented:"
                        + " the only transfer coding this server knows is chunked; send the body as it is");
                return;
            }
            if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2
                    && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
                answerMalformedBody(request); // only a chunked body has chunk lines to get wrong
            }
            while (!pending.isEmpty() && pending.peekFirst().arrived()) {
                pending.pollFirst();
            }
            pending.addLast(new Pending(request, System.nanoTime()));
            router.handle(request);
        };
        long shortest = limits.requestHeadTimeoutMs() > 0
                ? Math.min(limits.requestTimeoutMs(), limits.requestHeadTimeoutMs()) : limits.requestTimeoutMs();
        sweepTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, shortest / 4)), t -> {
            sweep();
            sweepHeads();
        });
        return vertx.createHttpServer(options)
                .connectionHandler(this::connected)
                .invalidRequestHandler(HttpServerVerticle::invalid)
                .requestHandler(handler)
                .listen()
                .onSuccess(s -> {
                    server = s;
                    sslOptions = tls.enabled() ? options.getSslOptions() : null;
                    watchAcceptedConnections(s);
                })
                .recover(e -> Future.failedFuture(new PortInUseException(what, host, port, e)));
    }

    /**
     * Loads this listener's TLS certificate, key and CA files again ({@link io.raftline.security.CertificateReloader}):
     * connections made from now on get the renewed certificate.
     *
     * @return completes with whether the options were applied; fails if the files do not load (the old ones stay)
     */
    public Future<Boolean> reloadTls() {
        HttpServer s = server;
        io.vertx.core.net.ServerSSLOptions ssl = sslOptions;
        return s == null || ssl == null ? Future.succeededFuture(false) : s.updateSSLOptions(ssl.copy(), true);
    }

    /**
     * Makes a gRPC call refused before its request ended (a trailers-only answer: the status is in the response
     * headers, which end the stream) also reset its stream with {@code NO_ERROR}, as RFC 9113 section 8.1 lets a
     * server ask a client to stop sending a request whose response is complete. Without it, a client that is still
     * sending (curl, whose upload was not done when the answer came) can wait for the stream's end forever: the
     * server's half is closed, and the client's half never is. Only trailers-only answers: they have no DATA, so
     * nothing of the response can still be queued behind the flow-control window when the reset goes out (a reset
     * would discard it).
     */
    private static void resetIfAnsweredBeforeTheRequestEnds(HttpServerRequest request) {
        if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            return;
        }
        io.vertx.core.http.HttpServerResponse response = request.response();
        response.endHandler(v -> {
            if (!request.isEnded() && response.headers().contains("grpc-status")) {
                response.reset(0);
            }
        });
    }

    /**
     * Finds the connections Netty accepted for the server, so that those Vert.x has not shown yet are held to the
     * request head's deadline too ({@link AcceptedConnections}: why, and how); warns if this Vert.x hides them.
     */
    private void watchAcceptedConnections(HttpServer s) {
        if (limits.requestHeadTimeoutMs() <= 0) {
            return;
        }
        accepted = AcceptedConnections.of(s);
        if (accepted == null) {
            LOG.warn("{}: this Vert.x version does not let Raftline see connections before their first request head"
                    + " (limits.request_head_timeout_ms); a client trickling that head is bounded by"
                    + " limits.idle_timeout_ms only", what);
        }
        Metrics.registerHeadTimeouts(what, this, HttpServerVerticle::headTimeouts);
    }

    /** How many requests the request timeout still tracks, read on this verticle's event loop (for tests). */
    Future<Integer> trackedRequests() {
        Promise<Integer> size = Promise.promise();
        context.runOnContext(v -> size.complete(pending.size()));
        return size.future();
    }

    /**
     * How many connections this listener closed because a request head did not arrive within
     * {@code limits.request_head_timeout_ms} (a head trickled or never sent); shown in {@code /metrics} as
     * {@code raftline_request_head_timeouts_total}.
     *
     * @return the count since the listener started
     */
    public long headTimeouts() {
        return headTimeouts;
    }

    private void connected(HttpConnection connection) {
        if (limits.requestHeadTimeoutMs() > 0) {
            // Marked even before the sweep knows the accepted connections: one may be shown before listen completes.
            AcceptedConnections.shown(connection);
        }
        if (!budget.tryAcquire(what)) {
            // Beyond what the process's descriptors allow: closed at once, the descriptor is needed elsewhere.
            connection.close();
            return;
        }
        connections++;
        if (limits.requestHeadTimeoutMs() > 0) {
            io.netty.handler.codec.http2.Http2Connection streams = AcceptedConnections.http2(connection);
            if (streams != null) {
                quietHttp2.put(connection, new StreamWatch(streams, System.nanoTime()));
            } else {
                awaitingHead.put(connection, new HeadWait(System.nanoTime()));
            }
        }
        connection.closeHandler(v -> {
            connections--;
            budget.release();
            overLimit.remove(connection);
            awaitingHead.remove(connection);
            quietHttp2.remove(connection);
        });
        if (limits.maxConnections() > 0 && connections > limits.maxConnections()) {
            overLimit.add(connection);
            // Answered 503 if it sends a request at once, closed in any case: the descriptor is not held.
            vertx.setTimer(1000, t -> connection.close());
        }
    }

    /** A request's head has arrived: its connection waits for no head until its response has ended (HTTP/1.x). */
    private void headArrived(HttpServerRequest request) {
        HeadWait wait = awaitingHead.isEmpty() ? null : awaitingHead.get(request.connection());
        if (wait == null) {
            return;
        }
        boolean http1 = request.version() != io.vertx.core.http.HttpVersion.HTTP_2;
        if (!http1 || request.headers().contains(HttpHeaders.UPGRADE, "websocket", true)) {
            awaitingHead.remove(request.connection());
            return;
        }
        wait.latest = request;
        wait.sinceNanos = 0;
    }

    /**
     * Closes the connections whose next request head has not arrived within {@code request_head_timeout_ms} of the
     * connection opening or of the previous response's end (seen by this sweep, so up to one sweep period later), and
     * the connections Netty accepted that Vert.x has not shown to {@link #connected} within the deadline of when a
     * sweep first found them ({@link AcceptedConnections}). Nothing is answered: there is no request to answer, only
     * part of a head, or none.
     */
    private void sweepHeads() {
        if (limits.requestHeadTimeoutMs() <= 0) {
            return;
        }
        long now = System.nanoTime();
        long deadline = TimeUnit.MILLISECONDS.toNanos(limits.requestHeadTimeoutMs());
        if (accepted != null) {
            // Connections Vert.x has not shown yet (the first head of a plain-text HTTP/1.x connection with h2c on,
            // an HTTP/2 preface or first SETTINGS frame trickled): closed the same way, from when first found.
            List<io.netty.channel.Channel> unshown = accepted.lateUnshown(now, deadline);
            if (!unshown.isEmpty()) {
                headTimeouts += unshown.size();
                unshown.forEach(io.netty.channel.Channel::close);
            }
        }
        if (!quietHttp2.isEmpty()) {
            sweepQuietHttp2(now, deadline);
        }
        if (awaitingHead.isEmpty()) {
            return;
        }
        List<HttpConnection> late = new ArrayList<>();
        for (Map.Entry<HttpConnection, HeadWait> e : awaitingHead.entrySet()) {
            HeadWait wait = e.getValue();
            if (wait.sinceNanos == 0) {
                HttpServerResponse response = wait.latest.response();
                if (!response.ended() && !response.closed()) {
                    continue; // still answering: no head is due
                }
                wait.sinceNanos = now;
                wait.latest = null;
            }
            if (now - wait.sinceNanos >= deadline) {
                late.add(e.getKey());
            }
        }
        if (!late.isEmpty()) {
            headTimeouts += late.size();
        }
        for (HttpConnection c : late) {
            awaitingHead.remove(c);
            c.close();
        }
    }

    /** Between the two GOAWAYs that close a quiet HTTP/2 connection: longer than a round trip on any sane network. */
    private static final long GOAWAY_GRACE_MS = 1_000;

    /**
     * Shuts down (GOAWAY, then closed) the HTTP/2 connections that have had no stream open and started none for the
     * head's deadline: as for a kept-alive HTTP/1.1 connection, the next request must come in time.
     */
    private void sweepQuietHttp2(long now, long deadline) {
        List<HttpConnection> late = null;
        for (Map.Entry<HttpConnection, StreamWatch> e : quietHttp2.entrySet()) {
            StreamWatch w = e.getValue();
            int last = w.streams.remote().lastStreamCreated();
            if (w.streams.numActiveStreams() > 0) {
                w.lastStream = last;
                w.quietSince = 0;
            } else if (last != w.lastStream || w.quietSince == 0) {
                w.lastStream = last; // streams came and went since the last look: quiet from now
                w.quietSince = now;
            } else if (now - w.quietSince >= deadline) {
                if (late == null) {
                    late = new ArrayList<>();
                }
                late.add(e.getKey());
            }
        }
        if (late != null) {
            headTimeouts += late.size();
            for (HttpConnection c : late) {
                quietHttp2.remove(c);
                // In two steps, as gRPC servers close idle connections: a GOAWAY that still admits every stream tells
                // the client to open its next streams on another connection, and only a grace period later the
                // shutdown closes this one (once the streams begun meanwhile end). A call the client started just
                // before the GOAWAY reached it is then served; with a GOAWAY naming the last stream at once it failed
                // in the client ("Cannot create stream 3 greater than Last-Stream-ID 1 from GOAWAY"), seen once in
                // ListenerLimitsTest.
                c.goAway(0, Integer.MAX_VALUE);
                vertx.setTimer(GOAWAY_GRACE_MS, t -> c.shutdown(1, TimeUnit.SECONDS));
            }
        }
    }

    /**
     * Closes the connections of requests whose body has not arrived within {@code request_timeout_ms}, and forgets
     * those that arrived. A request whose handler answered early (a refusal) is cut the same way.
     */
    private void sweep() {
        if (pending.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        long timeout = TimeUnit.MILLISECONDS.toNanos(limits.requestTimeoutMs());
        ArrayDeque<Pending> keep = new ArrayDeque<>();
        for (Pending p : pending) {
            HttpServerRequest r = p.request();
            if (p.arrived()) {
                continue;
            }
            if (now - p.startedNanos() >= timeout) {
                refuse(r, 408, "request_timeout", "the request's body did not arrive within "
                        + limits.requestTimeoutMs() + " ms (limits.request_timeout_ms)");
                if (r.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
                    r.connection().close();
                } else {
                    r.response().reset();
                }
            } else {
                keep.addLast(p);
            }
        }
        pending = keep;
    }

    /**
     * The first transfer coding of an HTTP/1.x request that is not {@code chunked}, the only one Netty decodes (HTTP/2
     * has no transfer codings).
     *
     * @param request a request
     * @return the coding as written, or null if every one is {@code chunked} (or there is none)
     */
    static String unknownTransferCoding(HttpServerRequest request) {
        if (request.version() == io.vertx.core.http.HttpVersion.HTTP_2) {
            return null;
        }
        for (String header : request.headers().getAll(HttpHeaders.TRANSFER_ENCODING)) {
            for (String member : header.split(",")) {
                String coding = member.trim();
                if (!coding.equalsIgnoreCase("chunked")) {
                    return coding;
                }
            }
        }
        return null;
    }

    /** Answers a JSON error and closes the connection when the request's body was not read. */
    private static void refuse(HttpServerRequest request, int status, String code, String message) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.end();
            return;
        }
        if (status == 503) {
            response.putHeader("Retry-After", "1");
        }
        // An HTTP/1 connection whose request body was not read (or that is over the limit) cannot go on: closed once
        // the answer is out. An HTTP/2 stream is reset instead, its connection's other streams unharmed.
        boolean http2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
        // A 501 refuses a transfer coding: where its body ends cannot be told, so what follows is no next request.
        boolean close = !http2 && (!request.isEnded() || status == 503 || status == 501);
        if (close) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", code).put("message", message).encode())
                .onComplete(ar -> {
                    if (close) {
                        request.connection().close();
                    } else if (http2 && !request.isEnded()) {
                        response.reset();
                    }
                });
    }

    /**
     * Answers 400 when an HTTP/1 request's body cannot be decoded (a chunk-size line that is no hexadecimal number, a
     * chunk without its line end). Vert.x reports it as an exception on the request and closes the connection at once:
     * an answer written by the request's own handlers was still unflushed then, and was dropped with the connection,
     * so the client saw it end without a status. The response's exception handler is called before the request's,
     * so the answer is written here and the connection closed at once, which flushes it before Vert.x's close. The
     * body's handlers (RawBody, BodyHandler) then find the response ended and apply nothing: a body only counts once
     * its end arrived, which after a decoding failure it never does.
     */
    private static void answerMalformedBody(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        response.exceptionHandler(e -> {
            // A connection reset or closed under the request is no fault of its body, and nobody would read an answer.
            if (e instanceof java.io.IOException || e instanceof io.vertx.core.http.HttpClosedException
                    || request.isEnded() || response.headWritten() || response.closed()) {
                return;
            }
            response.setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CONNECTION, "close")
                    .end(new JsonObject().put("error", "bad_request").put("message", "malformed request body: "
                            + malformation(e)).encode());
            request.connection().close();
        });
    }

    /** What Netty found wrong with a body: its chunk-size errors are number format errors, some without a message. */
    private static String malformation(Throwable e) {
        String detail = e.getMessage() == null || e.getMessage().isBlank() ? "" : " (" + e.getMessage() + ")";
        if (e instanceof NumberFormatException) {
            return "a chunk size is not a hexadecimal number" + detail;
        }
        return detail.isEmpty() ? "cannot be decoded (" + e.getClass().getSimpleName() + ")"
                : e.getMessage();
    }

    /** Requests Netty could not decode (line or head too long, malformed): a JSON error, then the connection closes. */
    private static void invalid(HttpServerRequest request) {
        Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        String text = cause == null ? "" : String.valueOf(cause.getMessage());
        int status;
        String code;
        if (cause instanceof TooLongFrameException && text.contains("line")) {
            status = 414;
            code = "uri_too_long";
        } else if (cause instanceof TooLongFrameException && text.contains("header")) {
            status = 431;
            code = "headers_too_large";
        } else {
            status = 400;
            code = "bad_request";
        }
        request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(new JsonObject().put("error", code).put("message", cause == null ? "malformed request"
                        : "malformed request: " + text).encode())
                .onComplete(ar -> request.connection().close());
    }

    @Override
    public Future<?> stop() {
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
        }
        Metrics.unregisterHeadTimeouts(what);
        sslOptions = null; // closed: nothing to reload
        return server == null ? Future.succeededFuture() : server.close();
    }

    /**
     * The port actually bound (useful when configured as 0).
     *
     * @return the port, or -1 before start
     */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    /** A listener could not bind its port: the message names the port and what it was for. */
    public static final class PortInUseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortInUseException(String what, String host, int port, Throwable cause) {
            super(describe(what, host, port, cause), cause);
        }

        private static String describe(String what, String host, int port, Throwable cause) {
            boolean inUse = cause instanceof BindException
                    || String.valueOf(cause.getMessage()).toLowerCase().contains("address already in use");
            return inUse
                    ? "port " + port + " on " + host + " is already in use (" + what + "): stop the other process or"
                            + " choose another port in the configuration"
                    : "cannot listen on " + host + ":" + port + " (" + what + "): " + cause.getMessage();
        }
    }
}
