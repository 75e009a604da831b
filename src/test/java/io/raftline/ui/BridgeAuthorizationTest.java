package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.events.EventPublisher;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live view's bridge asks the admin API's question for every command and every subscription: with loopback not
 * trusted ({@code security.trust_loopback: false}, what a client on another machine faces), only the admin token
 * lets a client in, given in the frame's headers or on the connection; the admin API answers the same.
 */
class BridgeAuthorizationTest {

    private static final String TOKEN = "s3cret-token-0123456789";
    private static InJvmCluster cluster;
    private static int port;
    private static WebSocketClient client;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 11)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("admin", new JsonObject().put("token", TOKEN))
                .put("security", new JsonObject().put("trust_loopback", false))).start();
        port = URI.create(cluster.liveViewUrl()).getPort();
        client = cluster.vertx().createWebSocketClient();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static final class Frames {
        final WebSocket ws;
        final BlockingQueue<JsonObject> in = new LinkedBlockingQueue<>();

        Frames(WebSocket ws) {
            this.ws = ws;
            ws.handler(b -> in.add(new JsonObject(b.toString())));
        }

        void send(JsonObject frame) throws Exception {
            await(ws.writeTextMessage(frame.encode()), Duration.ofSeconds(5));
        }

        JsonObject next(Predicate<JsonObject> p) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                long left = deadline - System.nanoTime();
                JsonObject f = left > 0 ? in.poll(left, TimeUnit.NANOSECONDS) : null;
                if (f == null) {
                    throw new AssertionError("no matching frame within 10 s");
                }
                if (p.test(f)) {
                    return f;
                }
            }
        }

        /** Sends a command and returns the reply's body. */
        JsonObject command(String replyAddress, JsonObject body, String authorization) throws Exception {
            JsonObject frame = new JsonObject().put("type", "send").put("address", "raft.control")
                    .put("replyAddress", replyAddress).put("body", body);
            if (authorization != null) {
                frame.put("headers", new JsonObject().put("Authorization", authorization));
            }
            send(frame);
            return next(f -> replyAddress.equals(f.getString("address"))).getJsonObject("body");
        }
    }

    private static Frames connect(String authorization) throws Exception {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                .setURI("/eventbus/websocket");
        if (authorization != null) {
            o.addHeader("Authorization", authorization);
        }
        return new Frames(await(client.connect(o), Duration.ofSeconds(10)));
    }

    private static JsonObject state() {
        return new JsonObject().put("action", "state");
    }

    @Test
    void commandsWithoutTheRightTokenAreRefusedWithAReasonAndNothingHappens() throws Exception {
        Frames f = connect(null);
        JsonObject none = f.command("a1", state(), null);
        assertThat(none.getBoolean("ok")).isFalse();
        assertThat(none.getString("error")).isEqualTo("forbidden");
        assertThat(none.getString("message")).contains("Authorization: Bearer");
        JsonObject wrong = f.command("a2", new JsonObject().put("action", "crash").put("node", 1), "Bearer nope");
        assertThat(wrong.getString("error")).isEqualTo("forbidden");
        assertThat(wrong.getString("message")).isEqualTo("wrong admin token");
        JsonObject cluster = await(BridgeAuthorizationTest.cluster.verticle().describe(), Duration.ofSeconds(5));
        assertThat(cluster.getJsonArray("nodes").getJsonObject(0).getBoolean("up")).isTrue();
        f.ws.close();
    }

    @Test
    void aRefusedCommandWhoseReplyAddressIsNoStringIsStillRefusedWithTheReason() throws Exception {
        // The bridge hands its hook a send whose replyAddress is any JSON value: refusing one whose replyAddress is a
        // number threw (JsonObject.getString) inside the hook, and the client got the bridge's bare "rejected" instead
        // of the reason (which is how the page knows to ask for the token).
        Frames f = connect(null);
        f.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", 7)
                .put("body", new JsonObject().put("action", "crash").put("node", 1)));
        JsonObject err = f.next(x -> "err".equals(x.getString("type")));
        assertThat(err.getString("body")).isEqualTo("forbidden");
        assertThat(err.getString("message")).contains("Authorization: Bearer");
        assertThat(f.command("c1", state(), null).getString("error")).isEqualTo("forbidden");
        JsonObject cluster = await(BridgeAuthorizationTest.cluster.verticle().describe(), Duration.ofSeconds(5));
        assertThat(cluster.getJsonArray("nodes").getJsonObject(0).getBoolean("up")).isTrue();
        f.ws.close();
    }

    @Test
    void anAuthorizedCommandWithHeadersThatAreNoObjectOfStringsIsAnsweredWithTheReason() throws Exception {
        // The bridge reads a frame's headers as an object of strings once the hook let the frame through: headers of
        // another shape threw inside the bridge, and the sender got no answer at all (it waited out its own timeout).
        Frames f = connect("Bearer " + TOKEN);
        f.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "h1")
                .put("headers", "x").put("body", state()));
        JsonObject text = f.next(x -> "h1".equals(x.getString("address"))).getJsonObject("body");
        assertThat(text.getString("error")).isEqualTo("bad_request");
        assertThat(text.getString("message")).isEqualTo("headers must be a JSON object, got a string");
        f.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "h2")
                .put("headers", new JsonObject().put("Authorization", "Bearer " + TOKEN).put("x-retry", 2))
                .put("body", state()));
        JsonObject number = f.next(x -> "h2".equals(x.getString("address"))).getJsonObject("body");
        assertThat(number.getString("error")).isEqualTo("bad_request");
        assertThat(number.getString("message")).isEqualTo("headers.x-retry must be a string");
        f.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "h3")
                .put("headers", new JsonObject().put("x-trace", "abc")).put("body", state()));
        assertThat(f.next(x -> "h3".equals(x.getString("address"))).getJsonObject("body").getBoolean("ok")).isTrue();
        f.ws.close();
    }

    @Test
    void subscriptionsWithoutTheTokenAreRefused() throws Exception {
        Frames f = connect(null);
        f.send(new JsonObject().put("type", "register").put("address", "raft.events"));
        JsonObject err = f.next(x -> "err".equals(x.getString("type")));
        assertThat(err.getString("body")).isEqualTo("forbidden");
        assertThat(err.getString("address")).isEqualTo("raft.events");
        // A socket refused its subscription is no viewer: the nodes do not report every message for it (counted at
        // its opening, a client without the token kept that reporting on for as long as it stayed connected).
        EventPublisher publisher = cluster.verticle().publisher();
        Waits.eventually("no viewer while the only socket may not subscribe", () -> !publisher.watched());
        // The same socket with the token in the frame: events flow, and message events are reported.
        f.send(new JsonObject().put("type", "register").put("address", "raft.events")
                .put("headers", new JsonObject().put("authorization", "Bearer " + TOKEN)));
        JsonObject rec = f.next(x -> "rec".equals(x.getString("type")));
        assertThat(rec.getString("address")).isEqualTo("raft.events");
        Waits.eventually("a viewer once the socket subscribed", publisher::watched);
        f.ws.close();
        Waits.eventually("no viewer once it closed", () -> !publisher.watched());
    }

    @Test
    void theTokenInTheFrameOrOnTheConnectionLetsCommandsIn() throws Exception {
        Frames f = connect(null);
        JsonObject ok = f.command("b1", state(), "Bearer " + TOKEN);
        assertThat(ok.getBoolean("ok")).isTrue();
        assertThat(ok.getJsonObject("snapshot").getJsonArray("nodes")).hasSize(3);
        f.ws.close();

        Frames g = connect("Bearer " + TOKEN);
        assertThat(g.command("b2", state(), null).getBoolean("ok")).isTrue();
        JsonObject unknown = g.command("b3", new JsonObject().put("action", "crash").put("node", 9), null);
        assertThat(unknown.getString("error")).isEqualTo("unknown_node");
        g.ws.close();
    }

    @Test
    void theAdminApiAsksTheSameQuestion() throws Exception {
        HttpClient http = TestHttp.builder().build();
        URI crash = URI.create(cluster.liveViewUrl() + "/v1/admin/nodes/9/crash");
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(crash)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("forbidden");
        HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(crash).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(allowed.statusCode()).isEqualTo(404);
    }
}
