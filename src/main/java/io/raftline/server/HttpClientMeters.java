package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.WebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

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
final class HttpClientMeters extends HttpSideMeters
        implements HttpClientMetrics<HttpSideMeters.Exchange, Object, Object>,
        ClientMetrics<HttpSideMeters.Exchange, HttpRequest, HttpResponse> {

    private final Counter[] requests;

    /** Registers the meters in {@code registry}: once per registry (see {@link Metrics}). */
    HttpClientMeters(MeterRegistry registry) {
        super(new HttpMeterTable(registry, "vertx_http_client", "responses", "Response count with codes",
                "Response time"), "Number of connections to the remote host currently opened",
                "Number of requests waiting for a response", "Number of bytes received from the remote host",
                "Number of bytes sent to the remote host");
        requests = table.countersByMethod("requests", "Number of requests sent");
    }

    /** Every endpoint shares these meters: the remote address is not a label (as in vertx-micrometer's default). */
    @Override
    public ClientMetrics<Exchange, HttpRequest, HttpResponse> createEndpointMetrics(SocketAddress remoteAddress,
            int maxPoolSize) {
        return this;
    }

    @Override
    public Exchange requestBegin(String uri, HttpRequest request) {
        Exchange exchange = begin(request.method());
        requests[exchange.method].increment();
        return exchange;
    }

    @Override
    public void requestEnd(Exchange exchange, long bytesWritten) {
        requestSize(exchange, bytesWritten);
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
        end(exchange, exchange.status, bytesRead);
    }

    @Override
    public Object connected(WebSocket webSocket) {
        webSocketOpened();
        return webSocket;
    }

    @Override
    public void disconnected(Object webSocketMetric) {
        webSocketClosed();
    }
}
