package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.HttpServerVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A request's head alone costs what it carries, not the body it announces: a node reserved the announced
 * {@code Content-Length} (up to {@code service.max_body_bytes}) before a byte of the body came, and one HTTP/2
 * connection carried up to 1,024 streams at once, so a few hundred heads of a few dozen bytes made it hold hundreds of
 * MiB until the request timeout (found by a review: 405 MiB for 400 heads; a few connections ended the process). A
 * connection now carries {@link HttpServerVerticle#MAX_CONCURRENT_STREAMS} (128) at once; the test keeps one stream of
 * them for the request after the heads, whose answer shows the heads were handled.
 */
class AnnouncedBodyTest {

    private static final String TOKEN = "client-0123456789abcdef";
    /** Heads left open at once on one connection: all the node takes but one, 127 MiB announced. */
    private static final int STREAMS = HttpServerVerticle.MAX_CONCURRENT_STREAMS - 1;

    @Test
    void headsThatAnnounceLargeBodiesReserveNothingOfThem() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (InJvmCluster cluster = InJvmCluster.builder(ClusterConfigs.cluster(1, 41)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("client_token", TOKEN))).start()) {
            await(cluster.leader());
            URI node = cluster.nodeUrls().get(1);
            HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false).setHttp2MultiplexingLimit(1024),
                    new PoolOptions().setHttp2MaxSize(1));
            long before = allocatedByAllThreads();
            List<Future<HttpClientRequest>> heads = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                heads.add(h2.request(new RequestOptions().setMethod(HttpMethod.PUT).setHost(node.getHost())
                        .setPort(node.getPort()).setURI("/v1/kv/k" + i)).compose(req -> {
                            req.putHeader("Authorization", "Bearer " + TOKEN)
                                    .putHeader("Content-Length", String.valueOf(1024 * 1024));
                            // Left open on purpose: the cluster's close ends them (GOAWAY), which is no failure here
                            // (without a handler Vert.x logs each one as an ERROR).
                            req.exceptionHandler(e -> { });
                            return req.sendHead().map(req); // no byte of the body follows
                        }));
            }
            await(Future.all(heads));
            // A request after them on the same connection: the node handles a connection's streams in order, and the
            // handlers up to the body's (authentication, then RawBody) run as a head arrives, so once this one is
            // answered every PUT above has had its body's buffer made.
            HttpClientResponse after = await(h2.request(new RequestOptions().setMethod(HttpMethod.GET)
                    .setHost(node.getHost()).setPort(node.getPort()).setURI("/v1/kv/absent"))
                    .compose(req -> req.putHeader("Authorization", "Bearer " + TOKEN).send()));
            assertThat(after.statusCode()).isEqualTo(404);
            assertThat(after.version()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(allocatedByAllThreads() - before)
                    .as("bytes allocated in every thread while %d heads announcing 1 MiB each were handled", STREAMS)
                    .isLessThan(64L << 20);
        } finally {
            vertx.close().await();
        }
    }

    private static long allocatedByAllThreads() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }
}
