package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.faults.NodeFault;
import io.raftline.node.NodeListener;
import io.raftline.node.StateDigest;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A follower that was down while the others wrote far more than a snapshot interval comes back to find the
 * entries it needs compacted away: the leader must send its snapshot (InstallSnapshot), the follower must
 * install it durably, continue from the log after it, and end with exactly the leader's state.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class SnapshotCatchUpTest {

    @Test
    void aLaggingFollowerCatchesUpThroughInstallSnapshot() throws Exception {
        JsonObject json = ClusterConfigs.cluster(3, 7, 3000);
        json.getJsonObject("raft").put("snapshot_interval_entries", 100);
        List<Long> installed = new CopyOnWriteArrayList<>();
        NodeListener listener = new NodeListener() {
            @Override
            public void snapshotInstalled(int node, long index) {
                installed.add(((long) node << 32) | index);
            }
        };
        try (InJvmCluster harness = InJvmCluster.builder(json).listener(listener).start()) {
            ClusterVerticle cluster = harness.verticle();
            int leader = harness.awaitLeader(Waits.TIMEOUT);
            int lagging = leader % 3 + 1;
            WebClient client = WebClient.create(harness.vertx());
            await(cluster.faults().apply(lagging, NodeFault.CRASH));
            String leaderUrl = cluster.nodeUrl(leader);
            for (int batch = 0; batch < 10; batch++) {
                List<Future<?>> writes = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    writes.add(client.putAbs(leaderUrl + "/v1/kv/k" + batch + "-" + i)
                            .sendBuffer(Buffer.buffer("v" + batch + "-" + i)).map(r -> {
                                assertThat(r.statusCode()).isEqualTo(200);
                                return r;
                            }));
                }
                await(Future.all(writes));
            }
            await(cluster.faults().apply(lagging, NodeFault.RESTART));
            eventually("node " + lagging + " installs a snapshot and reaches the leader's state", () ->
                    Future.all(cluster.nodes().get(leader).digest(), cluster.nodes().get(lagging).digest()).map(all -> {
                        StateDigest a = all.resultAt(0);
                        StateDigest b = all.resultAt(1);
                        return a.appliedIndex() == b.appliedIndex() && a.stateHash().equals(b.stateHash());
                    }));
            assertThat(installed).as("snapshots installed (node << 32 | index)")
                    .anyMatch(v -> (int) (v >>> 32) == lagging && (v & 0xffffffffL) >= 100);
            assertThat(await(cluster.nodes().get(lagging).digest()).keys()).isEqualTo(500);
            var status = await(cluster.nodes().get(lagging).status());
            assertThat(status.snapshotIndex()).isPositive();
        }
    }
}
