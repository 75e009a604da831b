package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeStatus;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code max_log_size_bytes} bounds the write-ahead log: with snapshot intervals set too high to ever fire,
 * a log past half the bound is compacted anyway, so a steady write load keeps the WAL on disk bounded.
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
}
