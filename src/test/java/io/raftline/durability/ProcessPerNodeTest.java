package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.RunRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
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

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();

    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"eventbus", "grpc"})
    void aClusterOfProcessesSurvivesKillMinus9OfItsLeader(String transport) throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 11).put("cluster_name", "proc-" + UUID.randomUUID())
                .put("transport", transport);
        config.getJsonObject("raft").put("snapshot_interval_entries", 200);
        config.getJsonObject("storage").put("segment_bytes", 64 * 1024);
        Path logs = Path.of("target", "test-data", "proc-" + UUID.randomUUID()).toAbsolutePath();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config, logs).start();
             AckedWrites writes = new AckedWrites(WAIT)) {
            // Each process reports the other processes' nodes too (asked over the bus, or over HTTP with gRPC).
            // The first request between fresh processes can be slow, and under load a fresh cluster may still be
            // settling (an election can repeat): ask until node 1 sees all three nodes and a leader among them.
            AtomicReference<JsonArray> seen = new AtomicReference<>();
            eventually("node 1 sees all three nodes and a leader among them", Duration.ofSeconds(30), () -> {
                seen.set(clusterSeenBy(c.nodeUrls().get(1)).getJsonArray("nodes"));
                return !seen.get().toString().contains("\"Unknown\"") && seen.get().toString().contains("\"Leader\"");
            });
            int leader = c.awaitLeader(WAIT);
            assertThat(seen.get()).hasSize(3);
            assertThat(seen.get().stream().map(JsonObject.class::cast).map(n -> n.getString("role")))
                    .as("roles seen from node 1: %s", seen.get()).doesNotContain("Unknown").contains("Leader");
            List<URI> survivors = c.nodeIds().stream().filter(id -> id != leader).map(c.nodeUrls()::get).toList();
            writes.start("p", survivors);
            // Kill while writes flow: wait for acknowledgements (not for a fixed time: fresh JVMs can be slow).
            writes.awaitAcknowledged(50);
            int before = writes.acknowledged();
            await(c.crash(leader), WAIT);
            // The killed process answers nothing, so the leader the others report is a new one.
            int next = c.awaitLeader(WAIT);
            writes.awaitAcknowledged(before + 50);
            writes.stop();
            assertThat(writes.acknowledged()).as("writes acknowledged after the new leader " + next + " took over")
                    .isGreaterThan(before);
            writes.verifyReadable(survivors, logs);

            await(c.restart(leader), WAIT.plusSeconds(30));
            RunRecord.Convergence replicas = c.compareReplicas(WAIT);
            assertThat(replicas.agreed()).as("%s; logs in %s", replicas.note(), logs).isTrue();
            writes.verifyReadable(List.of(c.nodeUrls().get(leader)), logs);
            System.out.printf("[kill-9 leader process, %s] %d acknowledged writes kept; node %d took over from %d;"
                    + " the restarted node caught up (logs in %s)%n", transport, writes.acknowledged(), next, leader,
                    logs);
        }
    }

    private static JsonObject clusterSeenBy(URI node) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/cluster"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }
}
