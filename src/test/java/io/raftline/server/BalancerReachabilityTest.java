package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Whom the leader balancer of a sharded cluster may hand a group ({@link ClusterVerticle#hears}) follows what each
 * node hears from its peers also when its groups never quiesce ({@code "quiesce_ms": 0}). Before, only nodes whose
 * groups may quiesce kept a record of their peers, and without one every peer counted as reachable: with a node
 * crashed, the balancer of a node leading two groups more than it handed it a group every round, and each attempt held
 * that group's writes until the transfer timed out.
 */
class BalancerReachabilityTest {

    @Test
    void aCrashedNodeIsNotReachableWhenGroupsNeverQuiesce() throws Exception {
        JsonObject json = ClusterConfigs.cluster(3, 17, 3000).put("groups", 4)
                .put("storage", new JsonObject().put("engine", "memory"));
        json.getJsonObject("raft").put("quiesce_ms", 0);
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            nodes.getJsonObject(i).put("http_port", 0);
        }
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            assertThat(cluster.hears(1, 3)).as("node 1 hears node 3 while it runs").isTrue();
            await(cluster.nodes().get(3).crash());
            eventually("node 1 finds the crashed node 3 silent", () -> !cluster.hears(1, 3));
            eventually("node 2 finds the crashed node 3 silent", () -> !cluster.hears(2, 3));
            // The survivors still hear each other: every group's leader is one of them, and the other answers it.
            eventually("node 1 hears node 2", () -> cluster.hears(1, 2));
            await(cluster.nodes().get(3).restart());
            // Heard again by the survivors that lead a group (it answers their heartbeats; a survivor leading none
            // hears nothing from a follower).
            eventually("a survivor hears the restarted node 3", () -> cluster.hears(1, 3) || cluster.hears(2, 3));
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
        }
    }

    /**
     * A transfer toward a node that is frozen (SIGSTOP-like) as it starts is given up by the leader's core after an
     * election timeout, and the leader's answer says so while the target is still frozen: what the balancer waits for
     * ends without the target (the balancer's own bound covers a leader that is stopped itself, LeaderBalancerTest).
     */
    @Test
    void aTransferTowardAFrozenNodeEndsWhileItStaysFrozen() throws Exception {
        JsonObject json = ClusterConfigs.cluster(3, 19, 3000).put("groups", 2)
                .put("storage", new JsonObject().put("engine", "memory"));
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            nodes.getJsonObject(i).put("http_port", 0);
        }
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            int leader = await(cluster.awaitLeader(20_000));
            int target = leader == 1 ? 2 : 1;
            await(cluster.nodes().get(target).freeze());
            io.raftline.node.RaftNode replica = ((io.raftline.shard.ReplicaSet) cluster.nodes().get(leader)).replica(0);
            Throwable failed = catchThrowable(() -> await(replica.transferLeadership(target), Duration.ofSeconds(30)));
            assertThat(failed).as("the transfer toward frozen node %d", target)
                    .isInstanceOf(io.raftline.node.NodeRequestException.class);
            assertThat(await(cluster.nodes().get(target).status()).frozen()).as("still frozen").isTrue();
            await(cluster.nodes().get(target).thaw());
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
        }
    }
}
