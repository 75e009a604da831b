package io.raftline.server;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.net.BindException;
import java.util.function.Function;

/**
 * Serves one router on one host and port. The routers are plain objects; this verticle only owns the
 * listening socket, so the node API and the admin API share the same life cycle code, and a port that is
 * already taken fails the deployment with a message that says which port and what for.
 *
 * <p>A port can also serve gRPC: requests whose {@code content-type} starts with {@code application/grpc} go to
 * the gRPC handler before the router sees them (a router's BodyHandler would consume the body gRPC needs), all
 * others to the router. HTTP/1.1, h2c and gRPC (HTTP/2) share the one port.
 */
public final class HttpServerVerticle extends VerticleBase {

    private final String what;
    private final String host;
    private final int port;
    private final Function<Vertx, Router> routerFactory;
    private final Function<Vertx, Handler<HttpServerRequest>> grpcFactory;
    private HttpServer server;

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
     * Whether a request is a gRPC call (including gRPC-Web), by its content type.
     *
     * @param request the request
     * @return true for {@code application/grpc...}
     */
    public static boolean isGrpc(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    @Override
    public Future<?> start() {
        Router router = routerFactory.apply(vertx);
        Handler<HttpServerRequest> handler = router;
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true);
        if (grpcFactory != null) {
            Handler<HttpServerRequest> grpc = grpcFactory.apply(vertx);
            handler = request -> {
                if (isGrpc(request)) {
                    grpc.handle(request);
                } else {
                    router.handle(request);
                }
            };
            // Raft peers multiplex their calls on one HTTP/2 connection: allow more than the default 100 streams.
            options.setInitialSettings(new Http2Settings().setMaxConcurrentStreams(1024));
        }
        return vertx.createHttpServer(options)
                .requestHandler(handler)
                .listen()
                .onSuccess(s -> server = s)
                .recover(e -> Future.failedFuture(new PortInUseException(what, host, port, e)));
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
