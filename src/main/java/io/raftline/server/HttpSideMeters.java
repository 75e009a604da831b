package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.TCPMetrics;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the two sides of HTTP measure alike ({@link HttpServerMeters}, {@link HttpClientMeters}): connections,
 * WebSockets, bytes and errors, requests in progress by method, request sizes, and each exchange's end by method and
 * status (count, time, response size). Every meter is registered once in the side's {@link HttpMeterTable}; an
 * exchange costs a few additions. Thread-safe; nothing blocks.
 */
abstract class HttpSideMeters implements TCPMetrics<Object> {

    final HttpMeterTable table;
    private final LongAdder activeConnections;
    private final LongAdder activeWebSockets;
    private final LongAdder[] activeRequests;
    private final DistributionSummary[] requestBytes;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter errors;

    /** What an exchange's metrics carry from its start to its end. */
    static final class Exchange {
        final int method;
        final long startNanos;
        /** The response's status (the client side learns it before the response's end). */
        int status;
        /** Set once it left the active count (its response ended or it was reset): never counted twice. */
        boolean done;

        Exchange(int method, long startNanos) {
            this.method = method;
            this.startNanos = startNanos;
        }
    }

    /**
     * @param table          the side's meters by method and status
     * @param connections    the description of {@code active_connections}
     * @param activeRequests the description of {@code active_requests}
     * @param bytesRead      the description of {@code bytes_read}
     * @param bytesWritten   the description of {@code bytes_written}
     */
    HttpSideMeters(HttpMeterTable table, String connections, String activeRequests, String bytesRead,
            String bytesWritten) {
        this.table = table;
        activeConnections = table.gauge("active_connections", connections);
        activeWebSockets = table.gauge("active_ws_connections", "Number of websockets currently opened");
        this.activeRequests = table.gaugesByMethod("active_requests", activeRequests);
        requestBytes = table.summariesByMethod("request_bytes", "Size of requests in bytes");
        this.bytesRead = table.counter("bytes_read", bytesRead);
        this.bytesWritten = table.counter("bytes_written", bytesWritten);
        errors = table.counter("errors", "Number of errors");
    }

    /** An exchange starts: it counts as active until {@link #end} or {@link #leave}. */
    Exchange begin(HttpMethod method) {
        int index = HttpMeterTable.methodIndex(method);
        activeRequests[index].increment();
        return new Exchange(index, System.nanoTime());
    }

    /** The request's body is all sent or received. */
    void requestSize(Exchange exchange, long bytes) {
        requestBytes[exchange.method].record(Math.max(0, bytes));
    }

    /** The response ended with {@code status}: counted, timed and sized by method and status. */
    void end(Exchange exchange, int status, long responseBytes) {
        HttpMeterTable.ByStatus meters = table.byStatus(exchange.method, status);
        meters.count().increment();
        meters.time().record(System.nanoTime() - exchange.startNanos, TimeUnit.NANOSECONDS);
        meters.bytes().record(Math.max(0, responseBytes));
        leave(exchange);
    }

    /** The exchange is no longer active (ended, or reset): once only. */
    void leave(Exchange exchange) {
        if (!exchange.done) {
            exchange.done = true;
            activeRequests[exchange.method].decrement();
        }
    }

    void webSocketOpened() {
        activeWebSockets.increment();
    }

    void webSocketClosed() {
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
