package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP server and client metrics Raftline keeps in place of vertx-micrometer's ({@link HttpServerMeters},
 * {@link HttpClientMeters}): the same names and labels, counted per method and status, with the active gauges back at
 * zero once the exchanges are over. The test's own client is measured by the client meters.
 */
class HttpMetersTest {

    private Vertx vertx;
    private MeterRegistry registry;
    private WebClient client;
    private int port;
    private final Promise<Void> release = Promise.promise();

    @BeforeEach
    void start() throws Exception {
        // A registry of its own: the default one is shared with every other test of this JVM.
        String name = "http-meters-" + UUID.randomUUID();
        VertxOptions options = Metrics.enable(new VertxOptions());
        ((MicrometerMetricsOptions) options.getMetricsOptions()).setRegistryName(name);
        vertx = Metrics.vertx(options);
        registry = BackendRegistries.getNow(name);
        HttpServer server = await(vertx.createHttpServer().requestHandler(request -> {
            switch (request.path()) {
                case "/missing" -> request.response().setStatusCode(404).end("no");
                case "/odd" -> request.response().setStatusCode(799).end();
                case "/held" -> release.future().onComplete(v -> request.response().end("late"));
                default -> request.body().onSuccess(body -> request.response().end("hello"));
            }
        }).listen(0, "127.0.0.1"));
        port = server.actualPort();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /**
     * One exchange through WebClient, which reads the whole body before it completes. (HttpClient's futures chained
     * from the test thread asked for the body in a later event-loop task than the one that delivered the response
     * head; on a busy machine the body and its end could be handled in between and were dropped, and the exchange never
     * completed: 8 runs of 150 timed out with two cores kept busy, 0 of 150 this way.)
     */
    private HttpResponse<Buffer> send(HttpMethod method, String path, String body) throws InterruptedException {
        return await(client.request(method, port, "127.0.0.1", path).sendBuffer(Buffer.buffer(body)));
    }

    private double count(String code, String method) {
        var counter = registry.find("vertx_http_server_requests").tag("code", code).tag("method", method).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void requestsAreCountedByMethodAndStatusUnderVertxMicrometersNames() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(send(HttpMethod.GET, "/ok", "").statusCode()).isEqualTo(200);
        }
        assertThat(send(HttpMethod.GET, "/missing", "").statusCode()).isEqualTo(404);
        assertThat(send(HttpMethod.PUT, "/ok", "12345").statusCode()).isEqualTo(200);
        assertThat(send(HttpMethod.valueOf("FROBNICATE"), "/ok", "").statusCode()).isEqualTo(200);
        assertThat(send(HttpMethod.GET, "/odd", "").statusCode()).isEqualTo(799);

        assertThat(count("200", "GET")).isEqualTo(3);
        assertThat(count("404", "GET")).isEqualTo(1);
        assertThat(count("200", "PUT")).isEqualTo(1);
        // A method a client made up does not become a label: it would let clients add series without bound.
        assertThat(count("200", "OTHER")).isEqualTo(1);
        assertThat(registry.find("vertx_http_server_requests").tag("method", "FROBNICATE").meters()).isEmpty();
        assertThat(count("other", "GET")).isEqualTo(1);
        assertThat(registry.find("vertx_http_server_response_time").tag("code", "200").tag("method", "GET").timer()
                .count()).isEqualTo(3);
        assertThat(registry.find("vertx_http_server_response_bytes").tag("code", "200").tag("method", "GET")
                .summary().totalAmount()).isEqualTo(15);
        assertThat(registry.find("vertx_http_server_request_bytes").tag("method", "PUT").summary().totalAmount())
                .isEqualTo(5);
        assertThat(registry.find("vertx_http_server_bytes_read").counter().count()).isPositive();
        assertThat(registry.find("vertx_http_server_bytes_written").counter().count()).isPositive();

        String text = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) registry).scrape();
        assertThat(text).contains("vertx_http_server_requests_total{code=\"404\",method=\"GET\"} 1.0")
                .contains("vertx_http_server_response_time_seconds_count{code=\"200\",method=\"PUT\"} 1");
    }

    @Test
    void activeRequestsAndConnectionsGoBackToZero() throws Exception {
        var held = client.get(port, "127.0.0.1", "/held").send();
        eventually("the held request is active", () -> active("GET") == 1
                && registry.find("vertx_http_server_active_connections").gauge().value() == 1);
        release.complete();
        assertThat(await(held).statusCode()).isEqualTo(200);
        eventually("no request is active", () -> active("GET") == 0);
        client.close();
        eventually("no connection is open", () ->
                registry.find("vertx_http_server_active_connections").gauge().value() == 0);
    }

    private double active(String method) {
        return registry.find("vertx_http_server_active_requests").tag("method", method).gauge().value();
    }

    @Test
    void clientExchangesAreCountedUnderVertxMicrometersNames() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(send(HttpMethod.POST, "/ok", "abc").statusCode()).isEqualTo(200);
        }
        assertThat(send(HttpMethod.GET, "/missing", "").statusCode()).isEqualTo(404);
        assertThat(send(HttpMethod.valueOf("FROBNICATE"), "/ok", "").statusCode()).isEqualTo(200);

        assertThat(registry.find("vertx_http_client_requests").tag("method", "POST").counter().count()).isEqualTo(2);
        assertThat(registry.find("vertx_http_client_requests").tag("method", "OTHER").counter().count()).isEqualTo(1);
        assertThat(registry.find("vertx_http_client_request_bytes").tag("method", "POST").summary().totalAmount())
                .isEqualTo(6);
        assertThat(registry.find("vertx_http_client_responses").tag("code", "200").tag("method", "POST").counter()
                .count()).isEqualTo(2);
        assertThat(registry.find("vertx_http_client_responses").tag("code", "404").tag("method", "GET").counter()
                .count()).isEqualTo(1);
        assertThat(registry.find("vertx_http_client_response_time").tag("code", "200").tag("method", "POST").timer()
                .count()).isEqualTo(2);
        assertThat(registry.find("vertx_http_client_response_bytes").tag("code", "200").tag("method", "POST")
                .summary().totalAmount()).isEqualTo(10);
        assertThat(registry.find("vertx_http_client_requests").tag("method", "FROBNICATE").meters()).isEmpty();
        assertThat(registry.find("vertx_http_client_bytes_written").counter().count()).isPositive();
        assertThat(registry.find("vertx_http_client_active_requests").tag("method", "POST").gauge().value()).isZero();
        assertThat(registry.find("vertx_http_client_active_connections").gauge().value()).as("kept-alive connections")
                .isPositive();
        client.close();
        eventually("the client's connection is closed", () ->
                registry.find("vertx_http_client_active_connections").gauge().value() == 0);

        String text = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) registry).scrape();
        assertThat(text).contains("vertx_http_client_responses_total{code=\"404\",method=\"GET\"} 1.0")
                .contains("vertx_http_client_requests_total{method=\"POST\"} 2.0");
    }
}
