package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code service.max_pending_reads} bounds the linearizable reads a node holds while it waits for a read index: a
 * leader cut off from its followers cannot confirm its leadership, so its reads wait; beyond the bound the next read is
 * refused at once with 503 {@code overloaded} and {@code Retry-After} instead of queueing until the request timeout.
 */
class PendingReadsLimitTest {

    private static final int MAX_PENDING_READS = 3;
    private InJvmCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void readsBeyondTheBoundAreRefusedAtOnceWhileTheOthersWait() throws Exception {
        // Long election timeouts: the isolated leader keeps leading (and its reads keep waiting) for seconds.
        JsonObject config = ClusterConfigs.cluster(3, 41, 4000)
                .put("storage", new JsonObject().put("engine", "memory"));
        config.getJsonObject("raft").put("election_timeout_min_ms", 8000).put("election_timeout_max_ms", 9000);
        config.getJsonObject("service").put("max_pending_reads", MAX_PENDING_READS);
        cluster = InJvmCluster.builder(config).start();
        int leader = await(cluster.leader());
        JsonArray others = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                others.add(id);
            }
        }
        await(cluster.network(new JsonObject().put("partitions", new JsonArray().add(new JsonArray().add(leader))
                .add(others))));

        HttpClient http = TestHttp.builder().build();
        URI key = cluster.nodeUrls().get(leader).resolve("/v1/kv/k");
        List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
        for (int i = 0; i <= MAX_PENDING_READS; i++) {
            reads.add(http.sendAsync(HttpRequest.newBuilder(key).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        // One read more than the bound: whichever arrives last is refused at once; the others wait for a quorum
        // that cannot answer, until the request timeout (4 s), well after the refusal.
        CompletableFuture.anyOf(reads.toArray(CompletableFuture[]::new)).get(3, java.util.concurrent.TimeUnit.SECONDS);
        List<HttpResponse<String>> answered = reads.stream().filter(CompletableFuture::isDone)
                .map(CompletableFuture::join).toList();
        assertThat(answered).hasSize(1);
        HttpResponse<String> refused = answered.get(0);
        assertThat(refused.statusCode()).isEqualTo(503);
        JsonObject error = new JsonObject(refused.body());
        assertThat(error.getString("error")).isEqualTo("overloaded");
        assertThat(error.getString("message")).contains("service.max_pending_reads");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(reads.stream().filter(f -> !f.isDone())).as("the other reads still wait for a quorum")
                .hasSize(MAX_PENDING_READS);
    }
}
