package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.events.EventPublisher;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.reactivex.rxjava3.disposables.Disposable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster that no one watches reports no per-write events to the live view's stream (it pays next to nothing for
 * it, issue 13), and the first viewer still sees everything: its arrival makes every node report its state, log
 * tail included, as a {@code ReplicaState}, so the writes made while no one watched are in the picture.
 */
class UnwatchedEventsTest {

    private static InJvmCluster cluster;
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 17)
                .put("storage", new JsonObject().put("engine", "memory"))).start();
        cluster.awaitLeader(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void writesNoOneWatchedReachTheFirstViewerThroughEachNodesState() throws Exception {
        EventPublisher publisher = cluster.verticle().publisher();
        List<JsonObject> seen = new CopyOnWriteArrayList<>();
        Disposable sub = publisher.events().subscribe(seen::add);
        try {
            for (int i = 0; i < 5; i++) {
                put("unwatched/" + i, "v" + i);
            }
            Waits.await(publisher.flushNow());
            assertThat(seen).as("no per-write event while no one watches")
                    .noneMatch(e -> List.of("LogAppended", "LogCommitted", "Applied", "MessageSent")
                            .contains(e.getString("type")));

            publisher.viewerConnected();
            try {
                Waits.eventually("every node reported its state with the unwatched writes in its log",
                        Duration.ofSeconds(10), () -> {
                            for (int node = 1; node <= 3; node++) {
                                int n = node;
                                boolean has = seen.stream().anyMatch(e -> e.getString("type").equals("ReplicaState")
                                        && e.getInteger("node") == n && logHas(e.getJsonObject("state"), "unwatched/4"));
                                if (!has) {
                                    return false;
                                }
                            }
                            return true;
                        });
                // A browser connecting now starts from a snapshot that has them too.
                JsonObject snapshot = Waits.await(publisher.snapshot());
                for (Object o : snapshot.getJsonArray("nodes")) {
                    JsonObject node = (JsonObject) o;
                    assertThat(logHas(node, "unwatched/0")).as("node " + node.getInteger("id") + "'s log").isTrue();
                }
                // And the per-write events flow again.
                put("watched/0", "w");
                Waits.eventually("a LogAppended of a watched write", () -> seen.stream().anyMatch(e ->
                        e.getString("type").equals("LogAppended") && e.encode().contains("watched/0")));
            } finally {
                publisher.viewerDisconnected();
            }
        } finally {
            sub.dispose();
        }
    }

    private static boolean logHas(JsonObject state, String key) {
        for (Object o : state.getJsonArray("log", new JsonArray())) {
            if (key.equals(((JsonObject) o).getString("key"))) {
                return true;
            }
        }
        return false;
    }

    private static void put(String key, String value) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(cluster.nodeUrls().get(1) + "/v1/kv/" + key))
                .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
