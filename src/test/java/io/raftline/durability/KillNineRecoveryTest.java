package io.raftline.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The durability promise, tested the hard way: a real Raftline process running all 3 nodes (durable storage,
 * snapshots every 500 entries) takes writes from concurrent clients and is killed with SIGKILL in the middle
 * of the load, twice; the second time a leader is also crashed and restarted from the admin API just before.
 * After each restart every acknowledged write must be readable with its value, and all replicas must have the
 * same state hash at the same applied index. Load phases last about 2 s; every wait has a deadline.
 */
@Tag("slow")
class KillNineRecoveryTest {

    @Test
    void everyAcknowledgedWriteSurvivesKillMinus9OfAllNodesAndReplicasAgree() throws Exception {
        try (ProcessCluster c = new ProcessCluster(3, new JsonObject().put("snapshot_interval_entries", 500))) {
            int[] ports = {c.httpPort(1), c.httpPort(2), c.httpPort(3)};
            Map<String, String> acked = new ConcurrentHashMap<>();

            c.startLocal();
            loadThenKill(c, "a", ports, acked, false);
            int afterFirst = acked.size();

            c.startLocal();
            c.verifyAcked(acked, ports);
            c.verifyReplicasAgree(ports);
            loadThenKill(c, "b", ports, acked, true);

            c.startLocal();
            c.verifyAcked(acked, ports);
            c.verifyReplicasAgree(ports);
            assertThat(acked.size()).isGreaterThan(afterFirst);
            System.out.printf("[kill-9 all] %d acknowledged writes verified after 2 kill -9 of the whole cluster"
                    + " (logs in %s)%n", acked.size(), c.dir());
        }
    }

    private static void loadThenKill(ProcessCluster c, String prefix, int[] ports, Map<String, String> acked,
            boolean crashLeader) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService writers = c.writers(prefix, ports, acked, stop);
        // Faults land while writes flow: wait for acknowledgements, not for a fixed time.
        ProcessCluster.awaitAtLeast(acked, acked.size() + 50);
        if (crashLeader) {
            int leader = c.awaitLeader(c.adminPort());
            c.post(c.adminPort(), "/v1/admin/nodes/" + leader + "/crash");
            Thread.sleep(300);
            c.post(c.adminPort(), "/v1/admin/nodes/" + leader + "/restart");
        }
        ProcessCluster.awaitAtLeast(acked, acked.size() + 50);
        c.kill9(0); // mid-load: writes are in flight
        ProcessCluster.stopWriters(writers, stop);
    }
}
