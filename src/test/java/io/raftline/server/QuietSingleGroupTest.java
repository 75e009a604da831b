package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Role;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A cluster of one group with {@code raft.quiesce_ms} set goes quiet like a sharded one, and must be as safe: its
 * quiet followers' election timers stand still, so only the node's record of its peers' liveness (keepalives) can
 * tell them that the leader's node died. Without that record a crashed quiet leader was never replaced until a client
 * request happened to wake a follower.
 */
class QuietSingleGroupTest {

    @Test
    void aQuietGroupOfOneElectsANewLeaderWhenItsLeaderCrashes() throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 53, 3000)
                .put("storage", new JsonObject().put("engine", "memory"));
        config.getJsonObject("raft").put("quiesce_ms", 1000);
        try (InJvmCluster harness = InJvmCluster.builder(config).start()) {
            ClusterVerticle cluster = harness.verticle();
            await(cluster.awaitLeader(20_000), Duration.ofSeconds(30));
            eventually("every node quiet", Duration.ofSeconds(20), () -> statuses(cluster)
                    .map(all -> all.stream().allMatch(NodeStatus::quiesced)));
            // The leader that went quiet, read once quiet: one known earlier may have lost an election meanwhile (a
            // starved machine), and crashing a follower would make the check below hold without any re-election.
            int leader = await(statuses(cluster)).stream().filter(s -> s.role() == Role.LEADER)
                    .max(java.util.Comparator.comparingLong(NodeStatus::term)).orElseThrow().id();
            await(cluster.nodes().get(leader).crash());
            // No client request from here on: the survivors must notice the silence by themselves. An election
            // timeout is 300-600 ms; the silence is noticed after the minimum one. The wait allows a loaded machine
            // (split votes, late timers) its time: without the liveness record no survivor ever leads.
            eventually("a survivor leads", Duration.ofSeconds(15), () -> statuses(cluster).map(all -> all.stream()
                    .anyMatch(s -> s.up() && s.id() != leader && s.role() == Role.LEADER)));
        }
    }

    private static Future<List<NodeStatus>> statuses(ClusterVerticle cluster) {
        return Future.all(cluster.nodes().values().stream().map(RaftNode::status).toList())
                .map(all -> all.<NodeStatus>list());
    }
}
