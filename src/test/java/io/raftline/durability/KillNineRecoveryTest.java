package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.RunRecord;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The durability promise, tested the hard way: a real Raftline process running all 3 nodes (durable storage,
 * snapshots every 500 entries) takes writes from concurrent clients and is killed with SIGKILL in the middle
 * of the load, twice; the second time a leader is also crashed and restarted from the admin API just before.
 * After each restart every acknowledged write must be readable with its value, and all replicas must have the
 * same state hash at the same applied index. Load phases last about 2 s; every wait has a deadline.
 */
@Tag("slow")
class KillNineRecoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();

    @ParameterizedTest(name = "{0} Raft group(s)")
    @ValueSource(ints = {1, 4})
    void everyAcknowledgedWriteSurvivesKillMinus9OfAllNodesAndReplicasAgree(int groups) throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 11).put("cluster_name", "proc-" + UUID.randomUUID())
                .put("groups", groups);
        config.getJsonObject("raft").put("snapshot_interval_entries", 500);
        config.getJsonObject("storage").put("segment_bytes", 64 * 1024);
        Path logs = Path.of("target", "test-data", "proc-" + UUID.randomUUID()).toAbsolutePath();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config, logs).oneProcess().start();
             AckedWrites writes = new AckedWrites(WAIT)) {
            List<URI> nodes = c.nodeIds().stream().map(c.nodeUrls()::get).toList();

            loadThenKill(c, writes, "a", nodes, false);
            int afterFirst = writes.acknowledged();

            relaunch(c);
            writes.verifyReadable(nodes, logs);
            assertReplicasAgree(c);
            loadThenKill(c, writes, "b", nodes, true);

            relaunch(c);
            writes.verifyReadable(nodes, logs);
            assertReplicasAgree(c);
            assertThat(writes.acknowledged()).isGreaterThan(afterFirst);
            System.out.printf("[kill-9 all, %d group(s)] %d acknowledged writes verified after 2 kill -9 of the whole"
                    + " cluster (logs in %s)%n", groups, writes.acknowledged(), logs);
        }
    }

    private static void loadThenKill(ChildProcessCluster c, AckedWrites writes, String prefix, List<URI> nodes,
            boolean crashLeader) throws Exception {
        writes.start(prefix, nodes);
        // Faults land while writes flow: wait for acknowledgements, not for a fixed time.
        writes.awaitAcknowledged(writes.acknowledged() + 50);
        if (crashLeader) {
            int leader = c.awaitLeader(WAIT);
            admin(c, leader, "/v1/admin/nodes/" + leader + "/crash");
            eventually("a new leader while node " + leader + " is down", WAIT,
                    () -> c.leader().map(l -> l != 0 && l != leader));
            admin(c, leader, "/v1/admin/nodes/" + leader + "/restart");
        }
        writes.awaitAcknowledged(writes.acknowledged() + 50);
        // Node 1's process runs every node: its SIGKILL kills the whole cluster, mid-load (writes are in flight).
        await(c.crash(1), WAIT);
        writes.stop();
    }

    /** A new process on the same data, with a leader. */
    private static void relaunch(ChildProcessCluster c) throws Exception {
        await(c.restart(1), WAIT.plusSeconds(30));
        c.awaitLeader(WAIT);
    }

    private static void assertReplicasAgree(ChildProcessCluster c) throws Exception {
        RunRecord.Convergence replicas = c.compareReplicas(WAIT);
        assertThat(replicas.agreed()).as("%s; logs in %s", replicas.note(), c.logDir()).isTrue();
    }

    /** A call to the admin API (local mode: one process, one admin port for every node). */
    private static void admin(ChildProcessCluster c, int node, String path) throws Exception {
        HTTP.send(HttpRequest.newBuilder(c.adminUrl(node).resolve(path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }
}
