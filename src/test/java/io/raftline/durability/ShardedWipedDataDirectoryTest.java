package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.faults.NodeFault;
import io.raftline.node.DurableLogStore;
import io.raftline.node.NodeStatus;
import io.raftline.raft.Role;
import io.raftline.server.ClusterVerticle;
import io.raftline.shard.GroupLayout;
import io.raftline.shard.ReplicaSet;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A sharded node whose data directory was wiped while it was down lost the entries of every group: its groups share
 * the directory. Found by review on 2026-12-07: only a group whose leader had seen the node acknowledge found the loss
 * out (its heartbeat asks the node to commit what it no longer holds); in a group the node led before it went down, the
 * leader elected meanwhile never saw it acknowledge anything, so that replica went on voting, with its forgotten votes,
 * for good. The local cluster asks no one at a restart (its nodes share one process), so only the running check
 * catches it there, as on a process that started with every peer down. Now what one group finds out marks every group
 * of the node.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class ShardedWipedDataDirectoryTest {

    private static final int GROUPS = 4;

    @Test
    void aLossOneGroupFindsOutStopsEveryGroupOfTheNode() throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 11, 3000).put("groups", GROUPS))
                .start()) {
            ClusterVerticle cluster = harness.verticle();
            harness.awaitLeadersSpread(Duration.ofSeconds(30));
            // Spread: with 4 groups on 3 nodes every node leads one or two groups and follows the others.
            int wiped = 1;
            List<Integer> led = new ArrayList<>();
            for (int g = 0; g < GROUPS; g++) {
                if (await(replicas(cluster, wiped).replica(g).status()).role() == Role.LEADER) {
                    led.add(g);
                }
            }
            assertThat(led).as("node %d leads a group and follows another", wiped).isNotEmpty().hasSizeLessThan(GROUPS);

            WebClient client = WebClient.create(harness.vertx());
            for (int i = 0; i < 40; i++) {
                HttpResponse<Buffer> r = await(client.putAbs(cluster.nodeUrl(wiped % 3 + 1) + "/v1/kv/k" + i)
                        .sendBuffer(Buffer.buffer("v" + i)));
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            }
            for (int g = 0; g < GROUPS; g++) {
                int group = g;
                eventually("node " + wiped + " holds group " + g + "'s writes", () -> Future.all(
                        replicas(cluster, wiped).replica(group).status(), leaderOf(cluster, group))
                        .map(all -> all.<NodeStatus>resultAt(0).applied() >= all.<NodeStatus>resultAt(1).commit()));
            }

            Path dataDir = harness.dataDir(wiped);
            await(cluster.faults().apply(wiped, NodeFault.CRASH));
            // Wiped: every file of every group and the shared log gone. The process keeps the directories (its shared
            // log's writer stays open across a node's crash in the local cluster), as a restore of an empty backup would.
            deleteRecursively(dataDir);
            Files.createDirectories(dataDir.resolve("wal"));
            for (int g = 0; g < GROUPS; g++) {
                Files.createDirectories(GroupLayout.groupDir(dataDir, g));
            }
            await(cluster.faults().apply(wiped, NodeFault.RESTART));

            for (int g = 0; g < GROUPS; g++) {
                int group = g;
                eventually("node " + wiped + "'s replica of group " + g + " knows the node lost state"
                        + " (it led groups " + led + " before)", Duration.ofSeconds(20),
                        () -> replicas(cluster, wiped).replica(group).status().map(NodeStatus::stateLost));
            }
            for (int g = 0; g < GROUPS; g++) {
                Path record = GroupLayout.groupDir(dataDir, g).resolve(DurableLogStore.STATE_LOST_FILE);
                int group = g;
                eventually("group " + g + " recorded the loss", () -> Files.exists(record));
                assertThat(await(replicas(cluster, wiped).replica(group).status()).role())
                        .as("group %d's replica on the node neither leads nor campaigns", g).isEqualTo(Role.FOLLOWER);
            }

            // The other two nodes go on serving every group, once they elected leaders of their own where the node led.
            for (int g = 0; g < GROUPS; g++) {
                int group = g;
                eventually("group " + g + " led by another node", () -> replicas(cluster, wiped % 3 + 1).replica(group)
                        .status().map(s -> s.leader() != 0 && s.leader() != wiped));
            }
            for (int i = 0; i < 8; i++) {
                HttpResponse<Buffer> r = await(client.putAbs(cluster.nodeUrl(wiped % 3 + 1) + "/v1/kv/after" + i)
                        .sendBuffer(Buffer.buffer("x")));
                assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            }
        }
    }

    private static ReplicaSet replicas(ClusterVerticle cluster, int node) {
        return (ReplicaSet) cluster.nodes().get(node);
    }

    /** The status of group {@code g}'s leader on a node other than the wiped one. */
    private static Future<NodeStatus> leaderOf(ClusterVerticle cluster, int g) {
        return replicas(cluster, 2).replica(g).status().compose(s -> replicas(cluster, s.leader() == 0 ? 2
                : s.leader()).replica(g).status());
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
