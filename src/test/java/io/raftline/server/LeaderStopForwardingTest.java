package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A leader that stops (crashes, or is paused) is a change of leader like an election or a transfer: a write sent
 * through a follower that still takes it for the leader waits for the next leader and is applied there, rather than
 * answering its client that a node it did not ask is down. The write sent right after the crash reaches the old
 * leader, which refuses it before doing anything ({@code node_down}, {@code node_paused}); the follower answered that
 * refusal with 503 {@code node_down: node 1 is down (crashed)}.
 */
class LeaderStopForwardingTest {

    @Test
    void aWriteThroughAFollowerWaitsOutTheLeadersCrashAndPause() throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 43, 5000)
                .put("storage", new JsonObject().put("engine", "memory"))).start()) {
            ClusterVerticle cluster = harness.verticle();
            HttpClient http = TestHttp.builder().build();
            int leader = await(cluster.awaitLeader(20_000), Duration.ofSeconds(30));
            int follower = leader % 3 + 1;
            assertThat(put(http, cluster, follower, "before").statusCode()).isEqualTo(200);

            await(harness.crash(leader), Duration.ofSeconds(10));
            HttpResponse<String> afterCrash = put(http, cluster, follower, "after-crash");
            assertThat(afterCrash.statusCode()).as(afterCrash.body()).isEqualTo(200);
            assertThat(afterCrash.headers().firstValue("Raft-Served-By")).isNotEqualTo(
                    java.util.Optional.of(String.valueOf(leader)));

            int next = await(cluster.awaitLeader(20_000), Duration.ofSeconds(30));
            int other = 6 - leader - next;
            assertThat(put(http, cluster, other, "before-pause").statusCode()).isEqualTo(200);
            await(harness.restart(leader), Duration.ofSeconds(10));
            await(harness.pause(next), Duration.ofSeconds(10));
            HttpResponse<String> afterPause = put(http, cluster, other, "after-pause");
            assertThat(afterPause.statusCode()).as(afterPause.body()).isEqualTo(200);
            assertThat(afterPause.headers().firstValue("Raft-Served-By")).isNotEqualTo(
                    java.util.Optional.of(String.valueOf(next)));
        }
    }

    private static HttpResponse<String> put(HttpClient http, ClusterVerticle cluster, int node, String key)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(cluster.nodeUrl(node) + "/v1/kv/" + key))
                .timeout(Duration.ofSeconds(20)).PUT(HttpRequest.BodyPublishers.ofString("v")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
