package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
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
 * method and status are seen, and held in an array indexed by both; a request costs a few additions. The names and the
 * {@code method} and {@code code} labels are vertx-micrometer's, so dashboards built on them keep working; the
 * {@code route} label is not kept (it needs a call per route matched), and a method other than the standard ones is
 * counted as {@code OTHER}: a client cannot add series by inventing methods.
 *
 * <p>One instance per meter registry, shared by every HTTP server of every Vert.x instance using it (several servers
 * registering the same gauge would each see only the first one's value). Called on the servers' event loops, so all
 * state is thread-safe; nothing blocks.
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Exchange, Object, Object> {

    /** Guarded by itself; an entry leaves when its Vert.x closes, which stops its registry ({@link #forget}). */
    private static final Map<MeterRegistry, HttpServerMeters> BY_REGISTRY = new IdentityHashMap<>();

    /** The methods that get a label of their own; any other is {@code OTHER}. */
    private static final HttpMethod[] METHODS = {HttpMethod.GET, HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE,
        HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PATCH};
    private static final String OTHER = "OTHER";
    private static final int FIRST_CODE = 100;
    /** Status codes 100-599 have a slot each; any other (an application's own) shares the last, labelled "other". */
    private static final int CODES = 501;

    private final MeterRegistry registry;
    private final AtomicLong activeConnections = new AtomicLong();
    private final AtomicLong activeWebSockets = new AtomicLong();
    private final LongAdder[] activeRequests = new LongAdder[METHODS.length + 1];
    private final DistributionSummary[] requestBytes = new DistributionSummary[METHODS.length + 1];
    /** Per method and status, created when first seen. */
    private final AtomicReferenceArray<ByStatus> byStatus = new AtomicReferenceArray<>((METHODS.length + 1) * CODES);
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

    /** The meters of one method and status. */
    private record ByStatus(Counter requests, Timer responseTime, DistributionSummary responseBytes) {
    }

    private HttpServerMeters(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("vertx_http_server_active_connections", activeConnections, AtomicLong::get)
                .description("Number of opened connections to the HTTP Server").register(registry);
        Gauge.builder("vertx_http_server_active_ws_connections", activeWebSockets, AtomicLong::get)
                .description("Number of websockets currently opened").register(registry);
        for (int m = 0; m <= METHODS.length; m++) {
            String method = methodName(m);
            LongAdder active = new LongAdder();
            activeRequests[m] = active;
            Gauge.builder("vertx_http_server_active_requests", active, LongAdder::sum)
                    .description("Number of requests being processed").tag("method", method).register(registry);
            requestBytes[m] = DistributionSummary.builder("vertx_http_server_request_bytes")
                    .description("Size of requests in bytes").tag("method", method).register(registry);
        }
        bytesRead = Counter.builder("vertx_http_server_bytes_read").description("Number of bytes received by the server")
                .register(registry);
        bytesWritten = Counter.builder("vertx_http_server_bytes_written")
                .description("Number of bytes sent by the server").register(registry);
        resets = Counter.builder("vertx_http_server_request_resets").description("Number of request resets")
                .register(registry);
        errors = Counter.builder("vertx_http_server_errors").description("Number of errors").register(registry);
    }

    /**
     * The meters of a registry, registered on first use.
     *
     * @param registry where the meters live
     * @return the one instance for that registry
     */
    static HttpServerMeters of(MeterRegistry registry) {
        synchronized (BY_REGISTRY) {
            return BY_REGISTRY.computeIfAbsent(registry, HttpServerMeters::new);
        }
    }

    /**
     * Drops this instance from the registry's entry: its Vert.x closed, and vertx-micrometer stopped the registry with
     * it (a Vert.x started later under the same registry name gets a new registry).
     */
    void forget() {
        synchronized (BY_REGISTRY) {
            BY_REGISTRY.remove(registry, this);
        }
    }

    private static int methodIndex(HttpMethod method) {
        for (int i = 0; i < METHODS.length; i++) {
            if (METHODS[i] == method) {
                return i;
            }
        }
        return METHODS.length;
    }

    private static String methodName(int index) {
        return index < METHODS.length ? METHODS[index].name() : OTHER;
    }

    private static int codeIndex(int status) {
        return status >= FIRST_CODE && status < FIRST_CODE + CODES - 1 ? status - FIRST_CODE : CODES - 1;
    }

    private ByStatus byStatus(int method, int status) {
        int code = codeIndex(status);
        int slot = method * CODES + code;
        ByStatus meters = byStatus.get(slot);
        if (meters == null) {
            // Registering twice (two event loops racing) is harmless: the registry returns the meters it has.
            String label = code == CODES - 1 ? "other" : String.valueOf(status);
            String name = methodName(method);
            meters = new ByStatus(
                    Counter.builder("vertx_http_server_requests").description("Number of processed requests")
                            .tag("code", label).tag("method", name).register(registry),
                    Timer.builder("vertx_http_server_response_time").description("Request processing time")
                            .tag("code", label).tag("method", name).register(registry),
                    DistributionSummary.builder("vertx_http_server_response_bytes")
                            .description("Size of responses in bytes").tag("code", label).tag("method", name)
                            .register(registry));
            byStatus.set(slot, meters);
        }
        return meters;
    }

    @Override
    public Exchange requestBegin(Object socketMetric, HttpRequest request) {
        return begin(request.method());
    }

    private Exchange begin(HttpMethod method) {
        int index = methodIndex(method);
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
        ByStatus meters = byStatus(exchange.method, response.statusCode());
        meters.requests().increment();
        meters.responseTime().record(System.nanoTime() - exchange.startNanos, TimeUnit.NANOSECONDS);
        meters.responseBytes().record(bytesWritten);
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
        activeWebSockets.incrementAndGet();
        return webSocket;
    }

    @Override
    public void disconnected(Object webSocketMetric) {
        activeWebSockets.decrementAndGet();
    }

    @Override
    public Object connected(SocketAddress remoteAddress, String remoteName) {
        activeConnections.incrementAndGet();
        return remoteAddress;
    }

    @Override
    public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
        activeConnections.decrementAndGet();
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
