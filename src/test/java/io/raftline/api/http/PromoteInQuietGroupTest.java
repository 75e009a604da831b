package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A caught-up learner of a quiet group (quiescing on, as in every sharded cluster) must be promotable. A quiet leader
 * hears nothing, so the CheckQuorum flag the promotion checked ("answered within the last election timeout") stays
 * as it was when the group went quiet: false for every peer when the group went quiet on the tick CheckQuorum
 * starts a new window (every other quiescence here: the minimum election timeout is two heartbeats). A refused
 * promotion does not wake the group, so before the fix every retry was refused with {@code learner_lagging} until
 * some write woke the group.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class PromoteInQuietGroupTest {

    private static final int ATTEMPTS = 8;

    @Test
    void aCaughtUpLearnerOfAQuietGroupIsPromoted(Vertx vertx) throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 17, 3000).put("storage", new JsonObject().put("engine", "memory"));
        config.getJsonArray("nodes").add(new JsonObject().put("id", 4).put("join", true));
        config.getJsonObject("raft").put("election_timeout_min_ms", 100).put("election_timeout_max_ms", 200)
                .put("check_quorum", true).put("pre_vote", true).put("quiesce_ms", 250);
        try (InJvmCluster harness = InJvmCluster.builder(config).start()) {
            ClusterVerticle cluster = harness.verticle();
            WebClient client = WebClient.create(vertx);
            String learner = new JsonObject().put("id", 4).put("url", cluster.nodeUrl(4)).put("learner", true)
                    .encode();
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                int known = await(cluster.awaitLeader(10_000));
                HttpResponse<Buffer> added = callAsked(client, cluster, HttpMethod.POST, known, "/v1/members", learner);
                assertThat(added.statusCode()).as("attempt " + attempt + ": " + added.bodyAsString()).isEqualTo(200);
                // The leader of the quiet group, looked up once it is quiet: with 100-200 ms election timeouts a
                // starved machine may elect another leader meanwhile (a run saw node 1 elected 0.5 s after node 3
                // added the learner, and the wait on node 3's status, a follower's, never ended).
                int[] quietLeader = {0};
                eventually("the group is quiet with learner 4 caught up", Duration.ofSeconds(20), () -> {
                    for (var node : cluster.nodes().values()) {
                        var s = await(node.status());
                        if (s.role() == io.raftline.raft.Role.LEADER && s.quiesced()
                                && s.matchIndex().getOrDefault(4, 0L) == s.lastIndex()) {
                            quietLeader[0] = s.id();
                            return true;
                        }
                    }
                    return false;
                });
                int leader = quietLeader[0];
                HttpResponse<Buffer> promoted = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < deadline) {
                    promoted = call(client, cluster, HttpMethod.POST, leader, "/v1/members/4/promote", null);
                    if (promoted.statusCode() != 409 && !leaderChanging(promoted)) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertThat(promoted.statusCode()).as("attempt " + attempt + ": " + promoted.bodyAsString())
                        .isEqualTo(200);
                HttpResponse<Buffer> removed = callAsked(client, cluster, HttpMethod.DELETE, leader, "/v1/members/4",
                        null);
                assertThat(removed.statusCode()).as("attempt " + attempt + ": " + removed.bodyAsString())
                        .isEqualTo(200);
            }
            client.close();
        }
    }

    /**
     * Whether an answer refused a membership change for want of a settled leader, having done nothing: the leader
     * changed or is changing (503 {@code no_leader}, {@code not_leader}, {@code leader_unreachable}), or a new leader has
     * not committed an entry of its term yet (409 {@code leader_not_ready}). A client asks again; so does this test, as
     * 100-200 ms election timeouts on a starved machine elect new leaders now and then (a run's add of the learner was
     * answered 503 while node 2 took over from node 3).
     */
    private static boolean leaderChanging(HttpResponse<Buffer> r) {
        String error = r.statusCode() == 503 || r.statusCode() == 409 ? r.bodyAsJsonObject().getString("error") : null;
        return r.statusCode() == 503 ? java.util.Set.of("no_leader", "not_leader", "leader_unreachable").contains(error)
                : "leader_not_ready".equals(error);
    }

    /** A call asked again (for at most 10 s) while {@link #leaderChanging} refuses it; the last answer. */
    private static HttpResponse<Buffer> callAsked(WebClient client, ClusterVerticle cluster, HttpMethod method,
            int node, String path, String body) throws InterruptedException {
        java.util.concurrent.atomic.AtomicReference<HttpResponse<Buffer>> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        eventually(method + " " + path + " answered other than 'no leader yet'", () -> {
            last.set(call(client, cluster, method, node, path, body));
            return !leaderChanging(last.get());
        });
        return last.get();
    }

    private static HttpResponse<Buffer> call(WebClient client, ClusterVerticle cluster, HttpMethod method, int node,
            String path, String body) throws InterruptedException {
        var req = client.requestAbs(method, cluster.nodeUrl(node) + path).timeout(10_000)
                .putHeader("Content-Type", "application/json");
        return await(body == null ? req.send() : req.sendBuffer(Buffer.buffer(body)));
    }
}
