package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * The HTTP server metrics of {@code /metrics} ({@code vertx_http_server_*}: requests by method and status, response
 * time, request and response sizes, active requests, connections and WebSockets, bytes, resets, errors), kept without
 * looking a meter up per request.
 *
 * <p>Why not vertx-micrometer's own: it finds each meter by name and tags in the registry for every request (the
 * active-requests gauge at the request's start, the request size at its end, the count, time and size at the
 * response's end), and those lookups, with the tag lists built for them, were 10% of a busy leader's samples under
 * linearizable reads (docs/performance.md, "Eleventh round"). Here every meter is registered once, the first time its
 * method and status are seen, and held in an array indexed by both ({@link HttpMeterTable}); a request costs a few
 * additions. The names and the {@code method} and {@code code} labels are vertx-micrometer's, so dashboards built on
 * them keep working; the {@code route} label is not kept (it needs a call per route matched), and a method other than
 * the standard ones is counted as {@code OTHER}: a client cannot add series by inventing methods.
 *
 * <p>One instance per meter registry ({@link Metrics}), shared by every HTTP server of every Vert.x instance using it
 * (several servers registering the same gauge would each see only the first one's value). Called on the servers'
 * event loops, so all state is thread-safe; nothing blocks.
 */
final class HttpServerMeters extends HttpSideMeters
        implements HttpServerMetrics<HttpSideMeters.Exchange, Object, Object> {

    private final Counter resets;

    /** Registers the meters in {@code registry}: once per registry (see {@link Metrics}). */
    HttpServerMeters(MeterRegistry registry) {
        super(new HttpMeterTable(registry, "vertx_http_server", "requests", "Number of processed requests",
                "Request processing time"), "Number of opened connections to the HTTP Server",
                "Number of requests being processed", "Number of bytes received by the server",
                "Number of bytes sent by the server");
        resets = table.counter("request_resets", "Number of request resets");
    }

    @Override
    public Exchange requestBegin(Object socketMetric, HttpRequest request) {
        return begin(request.method());
    }

    @Override
    public void requestEnd(Exchange exchange, HttpRequest request, long bytesRead) {
        requestSize(exchange, bytesRead);
    }

    @Override
    public void requestReset(Exchange exchange) {
        resets.increment();
        leave(exchange);
    }

    @Override
    public Exchange responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
        return begin(method);
    }

    @Override
    public void responseEnd(Exchange exchange, HttpResponse response, long bytesWritten) {
        end(exchange, response.statusCode(), bytesWritten);
    }

    @Override
    public Object connected(Object socketMetric, Exchange exchange, ServerWebSocket webSocket) {
        webSocketOpened();
        return webSocket;
    }

    @Override
    public void disconnected(Object webSocketMetric) {
        webSocketClosed();
    }
}
