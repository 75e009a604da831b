package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeStatus;
import io.raftline.server.ClusterVerticle;
import io.raftline.shard.KeyGroups;
import io.raftline.shard.ReplicaSet;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code max_log_size_bytes} bounds the write-ahead log: with snapshot intervals set too high to ever fire,
 * a log past half the bound is compacted anyway, so a steady write load keeps the WAL on disk bounded; on a sharded
 * node too, where one log holds every group's entries and idle (quiet) groups must snapshot for the others' writes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class LogSizeBoundTest {

    @Test
    void theWalStaysWithinMaxLogSizeUnderSteadyWrites() throws Exception {
        long max = 256 * 1024;
        JsonObject json = ClusterConfigs.cluster(3, 7, 3000);
        json.getJsonObject("raft").put("snapshot_interval_entries", 1_000_000).put("snapshot_interval_bytes", max)
                .put("max_log_size_bytes", max);
        json.put("storage", new JsonObject().put("engine", "durable").put("segment_bytes", 16 * 1024));
        try (InJvmCluster harness = InJvmCluster.builder(json).start()) {
            ClusterVerticle cluster = harness.verticle();
            int leader = harness.awaitLeader(Waits.TIMEOUT);
            Buffer value = Buffer.buffer(new byte[1024]);
            WebClient client = WebClient.create(harness.vertx());
            long peak = 0;
            for (int batch = 0; batch < 30; batch++) {
                List<Future<?>> writes = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    writes.add(client.putAbs(cluster.nodeUrl(leader) + "/v1/kv/k" + (i % 50)).sendBuffer(value)
                            .map(r -> {
                                assertThat(r.statusCode()).isEqualTo(200);
                                return r;
                            }));
                }
                await(Future.all(writes));
                for (int id = 1; id <= 3; id++) {
                    peak = Math.max(peak, await(cluster.nodes().get(id).status()).storage().walBytes());
                }
            }
            // 1,200 writes of 1 KiB (about 1.3 MB of log) went through; the WAL never held more than the bound
            // plus one segment being written.
            NodeStatus s = await(cluster.nodes().get(leader).status());
            assertThat(s.snapshotIndex()).as("compacted although the intervals never fired").isPositive();
            assertThat(peak).as("largest WAL seen on any node").isLessThanOrEqualTo(max + 64 * 1024);
        }
    }

    @Test
    void theSharedWalStaysWithinMaxLogSizeWhileTheOtherGroupsAreQuiet() throws Exception {
        int groups = 4;
        long max = 256 * 1024;
        JsonObject json = ClusterConfigs.cluster(3, 11, 3000).put("groups", groups);
        json.getJsonObject("raft").put("snapshot_interval_entries", 1_000_000).put("snapshot_interval_bytes", max)
                .put("max_log_size_bytes", max);
        json.put("storage", new JsonObject().put("engine", "durable").put("segment_bytes", 16 * 1024));
        try (InJvmCluster harness = InJvmCluster.builder(json).start()) {
            harness.awaitLeadersSpread(Duration.ofSeconds(45));
            ClusterVerticle cluster = harness.verticle();
            KeyGroups map = new KeyGroups(groups);
            int hot = map.groupOf("hot/0");
            List<String> keys = new ArrayList<>();
            for (int i = 0; keys.size() < 50; i++) {
                if (map.groupOf("hot/" + i) == hot) {
                    keys.add("hot/" + i);
                }
            }
            // Every other group goes quiet: no Ready, so no check of the log's size after one. Their entries (each
            // group's first, its leader's no-op) are in the oldest segments.
            Waits.eventually("every group but the written one quiet on every node", Duration.ofSeconds(30), () -> {
                List<Future<NodeStatus>> all = new ArrayList<>();
                for (int id = 1; id <= 3; id++) {
                    ReplicaSet set = (ReplicaSet) cluster.nodes().get(id);
                    for (int g = 0; g < groups; g++) {
                        if (g != hot) {
                            all.add(set.replica(g).status());
                        }
                    }
                }
                return Future.all(all).map(done -> all.stream().allMatch(f -> f.result().quiesced()));
            });
            WebClient client = WebClient.create(harness.vertx());
            Buffer value = Buffer.buffer(new byte[1024]);
            long peak = 0;
            // 1,200 writes of 1 KiB to one group, about 5 times the bound. A write refused while a snapshot is on its
            // way is retried; before the fix the node refused every write for good once the log reached the bound.
            for (int batch = 0; batch < 30; batch++) {
                List<Future<HttpResponse<Buffer>>> writes = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    writes.add(client.putAbs(cluster.nodeUrl(1) + "/v1/kv/" + keys.get(i % keys.size()))
                            .sendBuffer(value));
                }
                await(Future.all(writes));
                for (HttpResponse<Buffer> w : writes.stream().map(Future::result).toList()) {
                    if (w.statusCode() == 503) {
                        Waits.eventually("a write accepted again after " + w.bodyAsString(), Duration.ofSeconds(15),
                                () -> client.putAbs(cluster.nodeUrl(1) + "/v1/kv/" + keys.get(0)).sendBuffer(value)
                                        .map(r -> r.statusCode() == 200));
                    } else {
                        assertThat(w.statusCode()).as(w.bodyAsString()).isEqualTo(200);
                    }
                }
                for (int id = 1; id <= 3; id++) {
                    peak = Math.max(peak, await(cluster.nodes().get(id).status()).storage().walBytes());
                }
            }
            assertThat(peak).as("largest shared WAL seen on any node").isLessThanOrEqualTo(max + 64 * 1024);
        }
    }
}
