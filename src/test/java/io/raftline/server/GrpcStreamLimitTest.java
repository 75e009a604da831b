package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A port that serves gRPC announces a bounded number of concurrent HTTP/2 streams per connection: each open unary call
 * holds its request message until the client half-closes it (and a message on its way is buffered whole), so the
 * number of streams is what bounds what one connection makes the node hold. It announced 1,024 (a gigabyte of KV
 * messages per connection).
 */
class GrpcStreamLimitTest {

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close(), Duration.ofSeconds(10));
    }

    @Test
    void aGrpcPortAnnouncesAtMost128ConcurrentStreamsPerConnection() throws Exception {
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, Router::router,
                vx -> GrpcServer.server(vx));
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        HttpClient h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        try {
            HttpConnection connection = await(h2c.request(new RequestOptions().setMethod(HttpMethod.GET)
                    .setHost("127.0.0.1").setPort(server.actualPort()).setURI("/nothing"))
                    .compose(req -> req.send().map(resp -> req.connection())), Duration.ofSeconds(10));
            long announced = connection.remoteSettings().getMaxConcurrentStreams();
            assertThat(announced).as("SETTINGS_MAX_CONCURRENT_STREAMS").isEqualTo(128)
                    .isEqualTo(HttpServerVerticle.MAX_CONCURRENT_STREAMS);
        } finally {
            await(h2c.close(), Duration.ofSeconds(10));
        }
    }
}
