package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.reactivex.rxjava3.disposables.Disposable;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code security.event_values} end to end: a three-node cluster takes a write through a follower's HTTP API
 * (forwarded to the leader, replicated by AppendEntries) and one from the live view's control channel, while a
 * browser-like client watches the SockJS bridge, an in-process subscriber reads the published stream and an NDJSON
 * recorder writes every event; a second client joins late (its {@code Snapshot} folds the logs). Hidden, no byte of
 * the values reaches any of them (nor the keys with {@code hide_keys}); shown, they do, which proves the test would
 * see them.
 */
class EventValuesBridgeTest {

    /** Short keys: the core's AppendEntries summary quotes only the first 16 bytes of an entry, key first. */
    private static final String HTTP_KEY = "kx9";
    private static final String HTTP_VALUE = "Vq8zQ-distinctive-value-31415";
    private static final String PAGE_KEY = "ky7";
    private static final String PAGE_VALUE = "Wm4rT-from-the-live-view-27182";

    @TempDir
    Path tmp;

    /** Everything one run's viewers received, as text. */
    private record Seen(List<String> bridge, List<String> lateJoiner, List<String> inProcess, String recording) {
        String all() {
            return String.join("\n", bridge) + "\n" + String.join("\n", lateJoiner) + "\n"
                    + String.join("\n", inProcess) + "\n" + recording;
        }
    }

    @Test
    void hiddenValuesReachNoViewerButTheirSizesDo() throws Exception {
        Seen seen = run("hide");
        assertThat(seen.all()).doesNotContain("Vq8zQ").doesNotContain("Wm4rT").doesNotContain("distinctive")
                .doesNotContain("live-view");
        // Keys and sizes stay, so the live view still shows what happened.
        assertThat(seen.all()).contains(HTTP_KEY).contains(PAGE_KEY)
                .contains("\"valueLength\":" + HTTP_VALUE.length()).contains("\"eventValues\":\"hide\"");
    }

    @Test
    void hiddenKeysReachNoViewerEither() throws Exception {
        Seen seen = run("hide_keys");
        assertThat(seen.all()).doesNotContain("Vq8zQ").doesNotContain("Wm4rT").doesNotContain(HTTP_KEY)
                .doesNotContain(PAGE_KEY).contains("\"valueLength\":" + HTTP_VALUE.length());
    }

    @Test
    void shownValuesReachEveryViewer() throws Exception {
        Seen seen = run("show");
        for (List<String> one : List.of(seen.bridge(), seen.inProcess(), List.of(seen.recording()))) {
            assertThat(String.join("\n", one)).contains(HTTP_VALUE).contains(PAGE_VALUE);
        }
        assertThat(String.join("\n", seen.lateJoiner())).contains(HTTP_VALUE);
    }

    private Seen run(String level) throws Exception {
        Path recording = tmp.resolve(level + ".ndjson");
        InJvmCluster cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 23)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("event_values", level))).recording(recording).start();
        WebSocketClient ws = cluster.vertx().createWebSocketClient();
        List<String> inProcess = Collections.synchronizedList(new ArrayList<>());
        Disposable sub = cluster.verticle().publisher().events().subscribe(e -> inProcess.add(e.encode()));
        try {
            int port = URI.create(cluster.liveViewUrl()).getPort();
            Frames live = Frames.connect(ws, port);
            live.send(new JsonObject().put("type", "register").put("address", "raft.events"));
            live.next(f -> "rec".equals(f.getString("type")));
            int leader = await(cluster.leader(), Duration.ofSeconds(10));
            int follower = cluster.nodeUrls().keySet().stream().filter(id -> id != leader).findFirst().orElseThrow();
            HttpResponse<String> put = TestHttp.builder().build().send(HttpRequest.newBuilder(
                    cluster.nodeUrls().get(follower).resolve("/v1/kv/" + HTTP_KEY))
                    .PUT(HttpRequest.BodyPublishers.ofString(HTTP_VALUE)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            live.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "r1")
                    .put("body", new JsonObject().put("action", "put").put("key", PAGE_KEY).put("value", PAGE_VALUE)));
            assertThat(live.next(f -> "r1".equals(f.getString("address"))).getJsonObject("body").getBoolean("ok"))
                    .isTrue();
            // Wait until every node's append of the page's write (the later one) has reached the bridge (some may
            // have come before the reply).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (live.count(f -> appendsOfSize(f, PAGE_VALUE.length())) < 3) {
                assertThat(System.nanoTime()).as("every node's append on the bridge within 15 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            // A browser that connects now starts from the state folded from every event so far.
            Frames late = Frames.connect(ws, port);
            late.send(new JsonObject().put("type", "register").put("address", "raft.events"));
            late.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "s1")
                    .put("body", new JsonObject().put("action", "state")));
            JsonObject state = late.next(f -> "s1".equals(f.getString("address"))).getJsonObject("body");
            assertThat(state.getJsonObject("snapshot").getString("type")).isEqualTo("Snapshot");
            await(cluster.flushRecording(), Duration.ofSeconds(10));
            live.ws.close();
            late.ws.close();
            return new Seen(live.raw, late.raw, List.copyOf(inProcess), Files.readString(recording,
                    StandardCharsets.UTF_8));
        } finally {
            sub.dispose();
            ws.close();
            cluster.close();
        }
    }

    /** Whether a bridge frame is a LogAppended holding a put of a value of this size. */
    private static boolean appendsOfSize(JsonObject frame, int size) {
        JsonObject e = frame.getJsonObject("body");
        if (e == null || !"LogAppended".equals(e.getString("type"))) {
            return false;
        }
        JsonArray entries = e.getJsonArray("entries");
        for (int i = 0; i < entries.size(); i++) {
            if (Integer.valueOf(size).equals(entries.getJsonObject(i).getInteger("valueLength"))) {
                return true;
            }
        }
        return false;
    }

    /** A raw bridge connection: every frame kept as the text it arrived as. */
    private static final class Frames {
        final WebSocket ws;
        final List<String> raw = Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.BlockingQueue<JsonObject> in = new java.util.concurrent.LinkedBlockingQueue<>();

        int count(Predicate<JsonObject> p) {
            synchronized (raw) {
                return (int) raw.stream().map(JsonObject::new).filter(p).count();
            }
        }

        private Frames(WebSocket ws) {
            this.ws = ws;
            ws.handler(b -> {
                raw.add(b.toString());
                in.add(new JsonObject(b.toString()));
            });
        }

        static Frames connect(WebSocketClient client, int port) throws Exception {
            return new Frames(await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                    .setURI("/eventbus/websocket")), Duration.ofSeconds(10)));
        }

        void send(JsonObject frame) throws Exception {
            await(ws.writeTextMessage(frame.encode()), Duration.ofSeconds(5));
        }

        JsonObject next(Predicate<JsonObject> p) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                long left = deadline - System.nanoTime();
                JsonObject f = left > 0 ? in.poll(left, TimeUnit.NANOSECONDS) : null;
                if (f == null) {
                    throw new AssertionError("no matching frame within 15 s");
                }
                if (p.test(f)) {
                    return f;
                }
            }
        }
    }
}
