package io.raftline.verify.nemesis;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The harness's admin client: a read whose answer is lost is sent again long before its own timeout, so that the
 * callers' 10-s waits see an answer.
 */
class AdminHttpTest {

    private Vertx vertx;
    private AdminHttp http;
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        // A timeout far beyond the callers' waits: only the second request can answer in time.
        http = new AdminHttp(vertx, 60_000);
    }

    @AfterEach
    void stop() throws Exception {
        await(http.close());
        await(vertx.close());
    }

    private URI serve(io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> handler) throws Exception {
        HttpServer server = await(vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1"));
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @Test
    void aReadWhoseAnswerIsLostIsAnsweredByItsSecondSending() throws Exception {
        URI base = serve(req -> {
            if (requests.incrementAndGet() > 1) {
                req.response().putHeader("Content-Type", "application/json").end("{\"leader\":2}");
            }
            // The first request is never answered, as a lost answer.
        });
        assertThat(await(http.get(base, "/v1/cluster")).getInteger("leader")).isEqualTo(2);
        assertThat(requests.get()).isEqualTo(2);
    }

    @Test
    void aReadAnsweredAtOnceIsSentOnce() throws Exception {
        URI base = serve(req -> {
            requests.incrementAndGet();
            req.response().end("{\"leader\":1}");
        });
        assertThat(await(http.get(base, "/v1/cluster")).getInteger("leader")).isEqualTo(1);
        // Past the moment a second sending would have gone out.
        await(vertx.timer(AdminHttp.HEDGE_MS + 500));
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void aReadRefusedFailsWithTheAnswer() throws Exception {
        URI base = serve(req -> {
            requests.incrementAndGet();
            req.response().setStatusCode(503).end("{\"error\":\"node_down\"}");
        });
        Throwable t = catchThrowable(() -> await(http.get(base, "/v1/state-hash")));
        assertThat(t).hasMessageContaining("answered 503").hasMessageContaining("node_down");
        assertThat(requests.get()).isEqualTo(1);
    }
}
