package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.WebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HTTP client metrics of {@code /metrics} ({@code vertx_http_client_*}: requests sent and their sizes by method,
 * responses by method and status with their time and size, requests waiting for a response, connections, bytes,
 * errors), kept without looking a meter up per request.
 *
 * <p>Why: a follower forwards every write it is sent to the leader through an HTTP client, and vertx-micrometer's
 * client metrics looked six meters up by name and tags per forwarded request (the count and the active gauge at its
 * start, the request size at its end, the response count, time and size at the response's end): 6.4% of a forwarding
 * follower's samples under PUT @64 (docs/performance.md, "Twelfth round"). Same names and {@code method} and
 * {@code code} labels as vertx-micrometer's, the meters registered once ({@link HttpMeterTable}).
 *
 * <p>One instance per meter registry ({@link Metrics}), shared by every HTTP client using it: vertx-micrometer
 * registered the connections gauge once per client under one name, and the registry kept only the first client's. As
 * vertx-micrometer's, an exchange stops counting as waiting once its response ended or it was reset. Thread-safe;
 * nothing blocks.
 */
final class HttpClientMeters implements HttpClientMetrics<HttpClientMeters.Exchange, Object, Object>,
        ClientMetrics<HttpClientMeters.Exchange, HttpRequest, HttpResponse> {

    private final HttpMeterTable table;
    private final LongAdder activeConnections;
    private final LongAdder activeWebSockets;
    private final LongAdder[] activeRequests;
    private final Counter[] requests;
    private final DistributionSummary[] requestBytes;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter errors;

    /** What a request's metrics carry from its start to its response's end. */
    static final class Exchange {
        final int method;
        final long startNanos;
        int status;
        /** Set once it left the waiting count (its response ended or it was reset): never counted twice. */
        boolean done;

        Exchange(int method, long startNanos) {
            this.method = method;
            this.startNanos = startNanos;
        }
    }

    /** Registers the meters in {@code registry}: once per registry (see {@link Metrics}). */
    HttpClientMeters(MeterRegistry registry) {
        table = new HttpMeterTable(registry, "vertx_http_client", "responses", "Response count with codes",
                "Response time");
        activeConnections = table.gauge("active_connections",
                "Number of connections to the remote host currently opened");
        activeWebSockets = table.gauge("active_ws_connections", "Number of websockets currently opened");
        activeRequests = table.gaugesByMethod("active_requests", "Number of requests waiting for a response");
        requests = table.countersByMethod("requests", "Number of requests sent");
        requestBytes = table.summariesByMethod("request_bytes", "Size of requests in bytes");
        bytesRead = table.counter("bytes_read", "Number of bytes received from the remote host");
        bytesWritten = table.counter("bytes_written", "Number of bytes sent to the remote host");
        errors = table.counter("errors", "Number of errors");
    }

    /** Every endpoint shares these meters: the remote address is not a label (as in vertx-micrometer's default). */
    @Override
    public ClientMetrics<Exchange, HttpRequest, HttpResponse> createEndpointMetrics(SocketAddress remoteAddress,
            int maxPoolSize) {
        return this;
    }

    @Override
    public Exchange requestBegin(String uri, HttpRequest request) {
        int method = HttpMeterTable.methodIndex(request.method());
        activeRequests[method].increment();
        requests[method].increment();
        return new Exchange(method, System.nanoTime());
    }

    @Override
    public void requestEnd(Exchange exchange, long bytesWritten) {
        requestBytes[exchange.method].record(Math.max(0, bytesWritten));
    }

    @Override
    public void requestReset(Exchange exchange) {
        leave(exchange);
    }

    @Override
    public void responseBegin(Exchange exchange, HttpResponse response) {
        exchange.status = response.statusCode();
    }

    @Override
    public void responseEnd(Exchange exchange, long bytesRead) {
        HttpMeterTable.ByStatus meters = table.byStatus(exchange.method, exchange.status);
        meters.count().increment();
        meters.time().record(System.nanoTime() - exchange.startNanos, TimeUnit.NANOSECONDS);
        meters.bytes().record(Math.max(0, bytesRead));
        leave(exchange);
    }

    private void leave(Exchange exchange) {
        if (!exchange.done) {
            exchange.done = true;
            activeRequests[exchange.method].decrement();
        }
    }

    @Override
    public Object connected(WebSocket webSocket) {
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
