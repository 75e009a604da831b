package io.raftline.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the HTTP metrics cost per request, vertx-micrometer's against {@link HttpServerMeters} and
 * {@link HttpClientMeters} (issue 13): the calls Vert.x and Vert.x Web make for one exchange into a Prometheus
 * registry, single threaded; on the server request begin, routed, request end, response end; on the client (a
 * follower forwarding a write) request begin, request end, response begin, response end. In this package because the
 * meters are not public. docs/performance.md has the numbers.
 *
 * <p>Not a unit test (Surefire never runs it): {@code mvn -B -o -Pjmh test -Djmh.args=HttpMetricsBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HttpMetricsBenchmark {

    /** Whose metrics: {@code vertx-micrometer} or {@code raftline}. */
    @Param({"vertx-micrometer", "raftline"})
    public String impl;

    private HttpServerMetrics<Object, Object, Object> metrics;
    private io.vertx.core.spi.metrics.ClientMetrics<Object, HttpRequest, HttpResponse> clientMetrics;
    private io.vertx.core.spi.metrics.VertxMetrics vertxMetrics;
    private Object socket;
    private final Exchange request = new Exchange(HttpMethod.GET, "/v1/kv/key-000000012345");
    private final Exchange response = new Exchange(HttpMethod.GET, "/v1/kv/key-000000012345");

    /** A request and its response as Vert.x shows them to metrics. */
    private record Exchange(HttpMethod method, String uri) implements HttpRequest, HttpResponse {
        @Override
        public int id() {
            return 1;
        }

        @Override
        public String absoluteURI() {
            return "http://127.0.0.1:8081" + uri;
        }

        @Override
        public MultiMap headers() {
            return MultiMap.caseInsensitiveMultiMap();
        }

        @Override
        public SocketAddress remoteAddress() {
            return SocketAddress.inetSocketAddress(40000, "127.0.0.1");
        }

        @Override
        public int statusCode() {
            return 200;
        }
    }

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (impl.equals("raftline")) {
            Metrics.HttpMeters meters = Metrics.HttpMeters.of(registry);
            metrics = (HttpServerMetrics<Object, Object, Object>) (HttpServerMetrics<?, ?, ?>) meters.server();
            clientMetrics = (io.vertx.core.spi.metrics.ClientMetrics<Object, HttpRequest, HttpResponse>)
                    (io.vertx.core.spi.metrics.ClientMetrics<?, ?, ?>) meters.client().createEndpointMetrics(
                            request.remoteAddress(), 64);
        } else {
            VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                    .setRegistryName("bench-" + System.nanoTime())
                    .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
            vertxMetrics = new MicrometerMetricsFactory(registry).metrics(options);
            metrics = (HttpServerMetrics<Object, Object, Object>) vertxMetrics.createHttpServerMetrics(
                    new HttpServerOptions(), SocketAddress.inetSocketAddress(8081, "127.0.0.1"));
            clientMetrics = (io.vertx.core.spi.metrics.ClientMetrics<Object, HttpRequest, HttpResponse>)
                    (io.vertx.core.spi.metrics.ClientMetrics<?, ?, ?>) vertxMetrics.createHttpClientMetrics(
                            new io.vertx.core.http.HttpClientOptions()).createEndpointMetrics(request.remoteAddress(),
                            64);
        }
        socket = metrics.connected(request.remoteAddress(), "127.0.0.1");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (vertxMetrics != null) {
            vertxMetrics.close();
        }
    }

    /** One GET answered 200 with 256 bytes, as Vert.x reports it. */
    @Benchmark
    public void exchange() {
        Object r = metrics.requestBegin(socket, request);
        metrics.requestRouted(r, "/v1/kv/*");
        metrics.requestEnd(r, request, 0);
        metrics.responseEnd(r, response, 256);
    }

    /** One forwarded POST answered 200, as Vert.x reports it to a client's metrics. */
    @Benchmark
    public void clientExchange() {
        Object r = clientMetrics.requestBegin("/internal/forward", request);
        clientMetrics.requestEnd(r, 300);
        clientMetrics.responseBegin(r, response);
        clientMetrics.responseEnd(r, 40);
    }
}
