package io.raftline.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One node per operating-system process, with Raft messages over the clustered event bus (Hazelcast on
 * loopback) or over gRPC on the nodes' client ports (no cluster manager at all): the cluster
 * elects a leader and replicates; the leader's process is killed with SIGKILL under load; the survivors elect
 * a new leader and keep every acknowledged write; the killed node restarts from its disk, rejoins, and catches
 * up (by log or, once the others compacted past it, by snapshot: they compact every 200 entries) to the same
 * state hash.
 */
@Tag("slow")
class ProcessPerNodeTest {

    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"eventbus", "grpc"})
    void aClusterOfProcessesSurvivesKillMinus9OfItsLeader(String transport) throws Exception {
        try (ProcessCluster c = new ProcessCluster(3, new JsonObject().put("snapshot_interval_entries", 200),
                transport)) {
            int[] all = {c.httpPort(1), c.httpPort(2), c.httpPort(3)};
            for (int i = 1; i <= 3; i++) {
                c.startNode(i);
            }
            int leader = c.awaitLeader(c.httpPort(1));
            // Each process reports the other processes' nodes too (asked over the bus, or over HTTP with gRPC).
            // The first request between fresh processes can be slow: ask a few times.
            // Under load a fresh cluster may still be settling (an election can repeat): ask until node 1 sees
            // all three nodes and a leader among them, within a deadline.
            JsonArray seen = c.getJson(c.httpPort(1), "/v1/cluster").getJsonArray("nodes");
            for (int tries = 0; tries < 300 && (seen.toString().contains("\"Unknown\"")
                    || !seen.toString().contains("\"Leader\"")); tries++) {
                Thread.sleep(100);
                seen = c.getJson(c.httpPort(1), "/v1/cluster").getJsonArray("nodes");
            }
            leader = c.awaitLeader(c.httpPort(1));
            assertThat(seen).hasSize(3);
            assertThat(seen.stream().map(JsonObject.class::cast).map(n -> n.getString("role")))
                    .as("roles seen from node 1: %s", seen).doesNotContain("Unknown").contains("Leader");
            Map<String, String> acked = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            int[] survivors = new int[2];
            int k = 0;
            for (int i = 1; i <= 3; i++) {
                if (i != leader) {
                    survivors[k++] = c.httpPort(i);
                }
            }
            ExecutorService writers = c.writers("p", survivors, acked, stop);
            // Kill while writes flow: wait for acknowledgements (not for a fixed time: fresh JVMs can be slow).
            ProcessCluster.awaitAtLeast(acked, 50);
            int before = acked.size();
            c.kill9(leader);
            int next = c.awaitLeader(survivors[0], leader);
            ProcessCluster.awaitAtLeast(acked, before + 50);
            ProcessCluster.stopWriters(writers, stop);
            assertThat(acked.size()).as("writes acknowledged after the new leader " + next + " took over")
                    .isGreaterThan(before);
            c.verifyAcked(acked, survivors);

            c.startNode(leader);
            c.verifyReplicasAgree(all);
            c.verifyAcked(acked, new int[] {c.httpPort(leader)});
            System.out.printf("[kill-9 leader process, %s] %d acknowledged writes kept; node %d took over from %d;"
                    + " the restarted node caught up (logs in %s)%n", transport, acked.size(), next, leader, c.dir());
        }
    }
}
