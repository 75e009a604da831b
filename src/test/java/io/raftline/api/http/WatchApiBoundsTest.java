package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.StandInNode;
import io.raftline.api.WatchBudget;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvEntry;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP watch's bound on what a client leaves unread holds however the changes come: the node hands a stream a
 * resumed watch's whole backlog (up to its 64 MiB of history) as one batch, and that batch counts against the bound
 * as it is written. The node is a stand-in whose watches the test feeds by hand.
 */
class WatchApiBoundsTest {

    private Vertx vertx;
    private HttpServer server;
    private HttpClient client;
    private final StandInNode standIn = new StandInNode();
    private final List<NodeHost.WatchSink> sinks = standIn.sinks;
    private final AtomicInteger cancelled = standIn.cancelled;
    private final WatchBudget budget = new WatchBudget(64L * 1024 * 1024);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        Router router = Router.router(vertx);
        new WatchApi(node, budget).mount(router);
        server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
        client = vertx.createHttpClient();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private static KvChange change(long revision, int valueBytes) {
        return new KvChange(revision, 0, "k" + revision, new KvEntry("k" + revision, new byte[valueBytes], revision,
                revision, 1));
    }

    @Test
    void aClientThatDoesNotReadIsCutOffEvenWhenTheChangesComeAsOneBatch() throws Exception {
        HttpClientResponse response = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1",
                "/v1/watch").compose(req -> req.send()));
        assertThat(response.statusCode()).isEqualTo(200);
        response.pause(); // reads nothing: the connection's window fills, then the server's write queue
        eventually("the watch registered", () -> sinks.size() == 1);
        // Three times the bound, in one batch (as a backlog comes): the server must end the stream, not queue it all.
        int changes = (int) (3 * WatchApi.MAX_BEHIND_BYTES / (64 * 1024));
        List<KvChange> batch = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            batch.add(change(i, 64 * 1024));
        }
        sinks.get(0).changes(batch);
        eventually("the node's watch cancelled", Duration.ofSeconds(20), () -> cancelled.get() == 1);
        // Asked for before the stream flows again: the end may come at once, and a body asked for after the end never
        // completes (Vert.x 5.0.7, see AdminHttp).
        Future<Buffer> whole = response.body();
        response.resume();
        Buffer body = await(whole, Duration.ofSeconds(20));
        String text = body.toString();
        assertThat(text).contains("\"error\":\"too_slow\"");
        assertThat(budget.held()).as("what the stream held is given back").isZero();
    }
}
