package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.shard.KeyGroups;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Following one group of a sharded cluster with one node per process: a {@code focusGroup} asked of the process that
 * serves the live view switches every process, whose state and events of the new group then reach the browser through
 * the relay; a process started afterwards follows the same group.
 */
@Tag("slow")
class ProcessGroupFocusTest {

    private static final int GROUPS = 4;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The bridge as a browser speaks it: frames in, events out. */
    private static final class Bridge {
        final WebSocket ws;
        final BlockingQueue<JsonObject> in = new LinkedBlockingQueue<>();

        Bridge(WebSocket ws) {
            this.ws = ws;
            ws.handler(b -> in.add(new JsonObject(b.toString())));
        }

        void send(JsonObject frame) throws Exception {
            await(ws.writeTextMessage(frame.encode()), Duration.ofSeconds(5));
        }

        /** Waits for the events (bodies of {@code raft.events} frames) until {@code done} holds of those seen. */
        void until(String what, Predicate<JsonObject> event, Predicate<Set<JsonObject>> done) throws Exception {
            Set<JsonObject> seen = new HashSet<>();
            // What else came, by node and type: says, when the wait fails, whether a process was heard at all.
            java.util.Map<String, Integer> others = new java.util.TreeMap<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!done.test(seen)) {
                long left = deadline - System.nanoTime();
                JsonObject f = left > 0 ? in.poll(left, TimeUnit.NANOSECONDS) : null;
                if (f == null) {
                    throw new AssertionError("not seen within " + WAIT + ": " + what + "; matching events: " + seen
                            + "; other events (node/type: count): " + others);
                }
                JsonObject body = f.getValue("body") instanceof JsonObject b ? b : null;
                if ("raft.events".equals(f.getString("address")) && body != null) {
                    if (event.test(body)) {
                        seen.add(body);
                    } else {
                        others.merge(body.getValue("node") + "/" + body.getString("type"), 1, Integer::sum);
                    }
                }
            }
        }

        JsonObject reply(String address) throws Exception {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                JsonObject f = in.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (f == null) {
                    throw new AssertionError("no reply on " + address);
                }
                if (address.equals(f.getString("address"))) {
                    return f.getJsonObject("body");
                }
            }
        }
    }

    private static Set<Integer> nodesOf(Set<JsonObject> events) {
        Set<Integer> nodes = new HashSet<>();
        for (JsonObject e : events) {
            if (e.getJsonArray("nodes") != null) {
                e.getJsonArray("nodes").forEach(n -> nodes.add((Integer) n));
            } else {
                nodes.add(e.getInteger("node"));
            }
        }
        return nodes;
    }

    private static boolean appends(JsonObject e, String key) {
        JsonArray entries = "LogAppended".equals(e.getString("type")) ? e.getJsonArray("entries") : null;
        return entries != null && entries.stream().anyMatch(x -> key.equals(((JsonObject) x).getString("key")));
    }

    @Test
    void aSwitchAskedOfOneProcessSwitchesEveryProcess() throws Exception {
        Path logs = Files.createTempDirectory("raftline-focus-");
        Vertx vertx = Vertx.vertx();
        // Held until the end: Vert.x closes a client, and its connections, once the client object is garbage (a
        // Cleaner). Created inline and dropped, a GC in the middle of the test closed the bridge's WebSocket, at times
        // during its handshake ("Connection closed while handshake in process").
        WebSocketClient wsClient = vertx.createWebSocketClient();
        try (ChildProcessCluster c = ChildProcessCluster.builder(ClusterConfigs.cluster(3, 37, 3000)
                .put("groups", GROUPS), logs).start()) {
            c.awaitLeader(WAIT);
            URI admin = c.adminUrl(1);
            Bridge b = new Bridge(await(wsClient.connect(new WebSocketConnectOptions()
                    .setHost("127.0.0.1").setPort(admin.getPort()).setURI("/eventbus/websocket")), WAIT));
            b.send(new JsonObject().put("type", "register").put("address", "raft.events"));
            b.send(new JsonObject().put("type", "send").put("address", "raft.control").put("replyAddress", "f1")
                    .put("body", new JsonObject().put("action", "focusGroup").put("group", 2)));
            JsonObject reply = b.reply("f1");
            assertThat(reply.getBoolean("ok")).as(reply.encode()).isTrue();
            assertThat(reply.getInteger("focusedGroup")).isEqualTo(2);
            b.until("every process's FocusChanged to group 2",
                    e -> "FocusChanged".equals(e.getString("type")) && e.getInteger("group") == 2,
                    seen -> nodesOf(seen).containsAll(Set.of(1, 2, 3)));

            // A write in group 2 is appended on every node, and the events of nodes 2 and 3 come from their processes.
            KeyGroups map = new KeyGroups(GROUPS);
            String key = "focus0";
            for (int i = 1; map.groupOf(key) != 2; i++) {
                key = "focus" + i;
            }
            // Asked again while answered 503 with Retry-After, as a client does: the cluster is seconds old, and group
            // 2 may still be electing its first leader, or being moved by the balancer.
            URI putUrl = URI.create(c.nodeUrls().get(1) + "/v1/kv/" + key);
            java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> last =
                    new java.util.concurrent.atomic.AtomicReference<>();
            io.raftline.verify.nemesis.Waits.eventually("the group-2 write answered other than 503", WAIT, () -> {
                last.set(TestHttp.builder().build().send(HttpRequest.newBuilder(putUrl).timeout(WAIT)
                        .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString()));
                return last.get().statusCode() != 503 || last.get().headers().firstValue("Retry-After").isEmpty();
            });
            HttpResponse<String> put = last.get();
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            String appended = key;
            b.until("the group-2 write appended on every node", e -> appends(e, appended),
                    seen -> nodesOf(seen).containsAll(Set.of(1, 2, 3)));

            // A process started afterwards asks which group is followed, and follows it.
            await(c.crash(3), WAIT);
            await(c.restart(3), WAIT.plusSeconds(30));
            // Its switch (FocusChanged), or its replica of group 2 reported when it found the page watching
            // (ReplicaState): its first events may be published before it sees the other processes' relay consumers.
            b.until("the restarted process following group 2", e -> ("FocusChanged".equals(e.getString("type"))
                    && e.getInteger("group") == 2 && e.getJsonArray("nodes").contains(3))
                    || ("ReplicaState".equals(e.getString("type")) && e.getInteger("node") == 3
                    && e.getInteger("group") == 2), seen -> !seen.isEmpty());
            b.ws.close();
        } finally {
            await(wsClient.close(), WAIT);
            await(vertx.close(), WAIT);
        }
    }
}
