package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

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
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Exchange, Object, Object> {

    private final HttpMeterTable table;
    private final LongAdder activeConnections;
    private final LongAdder activeWebSockets;
    private final LongAdder[] activeRequests;
    private final DistributionSummary[] requestBytes;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter resets;
    private final Counter errors;

    /** What a request's metrics carry from its start to its end. */
    static final class Exchange {
        final int method;
        final long startNanos;
        /** Set once the request left the active count (its response ended or it was reset): never counted twice. */
        boolean done;

        Exchange(int method, long startNanos) {
            this.method = method;
            this.startNanos = startNanos;
        }
    }

    /** Registers the meters in {@code registry}: once per registry (see {@link Metrics}). */
    HttpServerMeters(MeterRegistry registry) {
        table = new HttpMeterTable(registry, "vertx_http_server", "requests", "Number of processed requests",
                "Request processing time");
        activeConnections = table.gauge("active_connections", "Number of opened connections to the HTTP Server");
        activeWebSockets = table.gauge("active_ws_connections", "Number of websockets currently opened");
        activeRequests = table.gaugesByMethod("active_requests", "Number of requests being processed");
        requestBytes = table.summariesByMethod("request_bytes", "Size of requests in bytes");
        bytesRead = table.counter("bytes_read", "Number of bytes received by the server");
        bytesWritten = table.counter("bytes_written", "Number of bytes sent by the server");
        resets = table.counter("request_resets", "Number of request resets");
        errors = table.counter("errors", "Number of errors");
    }

    @Override
    public Exchange requestBegin(Object socketMetric, HttpRequest request) {
        return begin(request.method());
    }

    private Exchange begin(HttpMethod method) {
        int index = HttpMeterTable.methodIndex(method);
        activeRequests[index].increment();
        return new Exchange(index, System.nanoTime());
    }

    @Override
    public void requestEnd(Exchange exchange, HttpRequest request, long bytesRead) {
        requestBytes[exchange.method].record(bytesRead);
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
        HttpMeterTable.ByStatus meters = table.byStatus(exchange.method, response.statusCode());
        meters.count().increment();
        meters.time().record(System.nanoTime() - exchange.startNanos, TimeUnit.NANOSECONDS);
        meters.bytes().record(bytesWritten);
        leave(exchange);
    }

    private void leave(Exchange exchange) {
        if (!exchange.done) {
            exchange.done = true;
            activeRequests[exchange.method].decrement();
        }
    }

    @Override
    public Object connected(Object socketMetric, Exchange exchange, ServerWebSocket webSocket) {
        activeWebSockets.increment();
        return webSocket;
    }

    @Override
    public void disconnected(Object webSocketMetric) {
        activeWebSockets.decrement();
    }

    @Override
    public Object connected(SocketAddress remoteAddress, String remoteName) {
        activeConnections.increment();
        return remoteAddress;
    }

    @Override
    public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
        activeConnections.decrement();
    }

    @Override
    public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
        bytesRead.increment(numberOfBytes);
    }

    @Override
    public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
        bytesWritten.increment(numberOfBytes);
    }

    @Override
    public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
        errors.increment();
    }
}
