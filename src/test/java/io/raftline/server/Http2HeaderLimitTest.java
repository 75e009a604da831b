package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.LimitsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.max_header_bytes} bounds a request's head over HTTP/2 as over HTTP/1.x. It used to bound HTTP/1.x only
 * ({@code HttpServerOptions.maxHeaderSize}): on HTTP/2 (h2c on the client ports, h2 by ALPN with TLS, every gRPC call)
 * Vert.x's own 8 KiB {@code SETTINGS_MAX_HEADER_LIST_SIZE} applied whatever was configured, so a lower limit let larger
 * heads through and a higher one refused heads that HTTP/1.1 accepted.
 */
class Http2HeaderLimitTest {

    private Vertx vertx;
    private HttpClient h2c;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setInitialSettings(new io.vertx.core.http.Http2Settings()
                        .setMaxHeaderListSize(1 << 20)));
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close(), Duration.ofSeconds(20));
    }

    private int serve(int maxHeaderBytes) throws Exception {
        LimitsConfig limits = new LimitsConfig(100, 60_000, 30_000, 8192, maxHeaderBytes, 65536, 0);
        // A port that serves gRPC keeps h2c (prior knowledge), as the client ports do.
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, vx -> {
            Router r = Router.router(vx);
            r.get("/ok").handler(ctx -> ctx.end("ok"));
            return r;
        }, vx -> request -> request.response().setStatusCode(404).end()).limits(limits);
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        return server.actualPort();
    }

    /** The status of a GET with one header of {@code bytes} bytes over HTTP/2, or -1 if the stream was refused. */
    private int get(int port, int bytes) throws Exception {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
                .setURI("/ok").putHeader("x-padding", "a".repeat(bytes));
        return await(h2c.request(options).compose(req -> req.send()).map(resp -> {
            assertThat(resp.version()).isEqualTo(HttpVersion.HTTP_2);
            return resp.statusCode();
        }).recover(e -> Future.succeededFuture(-1)), Duration.ofSeconds(10));
    }

    @Test
    void aLowerLimitRefusesLargerHeadsOverHttp2() throws Exception {
        int port = serve(2048);
        assertThat(get(port, 500)).isEqualTo(200);
        // Refused: the port announces the limit in its SETTINGS (a conforming client does not even send such a head;
        // Netty's decoder refuses it from one that does).
        assertThat(get(port, 4000)).as("a 4 KB head beyond max_header_bytes 2048").isNotEqualTo(200);
    }

    @Test
    void aHigherLimitAcceptsLargerHeadsOverHttp2() throws Exception {
        int port = serve(32 * 1024);
        assertThat(get(port, 12_000)).as("a 12 KB head within max_header_bytes 32768").isEqualTo(200);
    }
}
