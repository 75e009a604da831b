package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.raft.MembershipChange;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Future;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The local cluster (every node in one JVM) grows and shrinks at runtime, and a restart of the whole process brings
 * it back as it was: the node it added is a member in the recovered log but not in the configuration, and is
 * started again where it was put, with its data; the configured node it removed is not started.
 */
class LocalClusterMembershipTest {

    /**
     * The live view's add and remove node on a sharded local cluster: the new node joins every group as a voter (each
     * group's {@code /v1/members?group=g} lists it), and a removal takes it out of every group and stops it.
     */
    @Test
    void aShardedLocalClusterAddsAndRemovesANodeInEveryGroup() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-sharded-");
        JsonObject json = ClusterConfigs.cluster(3, 5, 3000).put("groups", 4);
        onDisk(json, dir);
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            JsonObject added = await(cluster.addNode(), Duration.ofSeconds(90));
            assertThat(added.getInteger("id")).isEqualTo(4);
            assertThat(added.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("role")))
                    .containsOnly("voter").hasSize(4);
            io.vertx.ext.web.client.WebClient web = io.vertx.ext.web.client.WebClient.create(vertx);
            for (int g = 0; g < 4; g++) {
                JsonArray members = await(web.getAbs(cluster.nodeUrl(1) + "/v1/members?group=" + g).send())
                        .bodyAsJsonObject().getJsonArray("members");
                assertThat(members.stream().filter(m -> ((JsonObject) m).getInteger("id") == 4)
                        .map(m -> ((JsonObject) m).getString("role"))).as("group %d", g).containsExactly("voter");
            }
            await(cluster.removeNode(4), Duration.ofSeconds(90));
            assertThat(cluster.nodes().keySet()).containsExactly(1, 2, 3);
            for (int g = 0; g < 4; g++) {
                JsonArray members = await(web.getAbs(cluster.nodeUrl(1) + "/v1/members?group=" + g).send())
                        .bodyAsJsonObject().getJsonArray("members");
                assertThat(members.stream().map(m -> ((JsonObject) m).getInteger("id"))).as("group %d", g)
                        .containsExactlyInAnyOrder(1, 2, 3);
            }
            web.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
            deleteTree(dir);
        }
    }

    /**
     * Over gRPC, removing a node lets go of the transport's link to it (its two clients, their connections and its
     * watchdog timer): before, the link of every node ever removed stayed for the life of the process, since nothing
     * told the transport of a removal. Covers both ways a removal reaches it: the memberships the replicas report,
     * and the local node's stop.
     */
    @Test
    void removingANodeOverGrpcLetsGoOfTheLinkToIt() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-grpc-remove-");
        JsonObject json = ClusterConfigs.cluster(3, 17, 3000).put("transport", "grpc");
        onDisk(json, dir);
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            assertThat(await(cluster.addNode(), Duration.ofSeconds(90)).getInteger("id")).isEqualTo(4);
            eventually("a link to node 4", () -> cluster.grpcTransport().linkedPeers().contains(4));
            await(cluster.removeNode(4), Duration.ofSeconds(90));
            assertThat(cluster.nodes().keySet()).containsExactly(1, 2, 3);
            eventually("the link to node 4 let go", () -> !cluster.grpcTransport().linkedPeers().contains(4));
            assertThat(cluster.grpcTransport().stats(4).streamsOpened()).isZero();
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
            deleteTree(dir);
        }
    }

    /**
     * The live view's "remove node" undoes an add that stopped part way (a node of groups G-1..1, not of group 0, as
     * an add that failed at group 0 leaves it), and finishes a removal that stopped part way: a group that does not
     * list the node counts as done, as for {@code DELETE /v1/members/{id}}. Before, the removal stopped at the first
     * group without the node ({@code unknown_member}), the node kept running, and nothing in the live view could take
     * it out of the other groups. A node that no group lists is still refused.
     */
    @Test
    void aShardedLocalClusterRemovesANodeThatSomeGroupsDoNotList() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-sharded-undo-");
        JsonObject json = ClusterConfigs.cluster(3, 13, 3000).put("groups", 3);
        onDisk(json, dir);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        try {
            twoLives(config, (vertx, cluster) -> {
                await(cluster.awaitLeader(20_000));
                assertThat(await(cluster.addNode(), Duration.ofSeconds(90)).getInteger("id")).isEqualTo(4);
                // As if the add had stopped before group 0.
                await(LocalNodes.remove(vertx, replicasOf(cluster, 0), 4), Duration.ofSeconds(60));
                JsonObject removed = await(cluster.removeNode(4), Duration.ofSeconds(90));
                assertThat(removed.getJsonArray("members").stream().map(m -> ((JsonObject) m).getInteger("id")))
                        .containsExactly(1, 2, 3);
                assertThat(cluster.nodes().keySet()).containsExactly(1, 2, 3);
                for (int g = 0; g < 3; g++) {
                    RaftNode replica = replicasOf(cluster, g).get(1);
                    eventually("group " + g + " has voters 1, 2, 3", () -> replica.status()
                            .map(s -> s.membership().voters().equals(List.of(1, 2, 3))
                                    && s.membership().learners().isEmpty()));
                }
                Throwable unknown = catchThrowable(() -> await(cluster.removeNode(99)));
                assertThat(unknown).hasMessageContaining("node 99 is not a member");
                assertThat(cluster.nodes()).hasSize(3);
            }, (vertx, cluster) -> assertThat(cluster.nodes().keySet()).containsExactly(1, 2, 3));
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * A sharded local cluster restarts every node that is a member of any group, not only of group 0: an add that
     * failed at group 0 (it goes from group G-1 down) leaves the new node a voter of the other groups, and a removal
     * made in group 0 alone leaves a configured node a voter of the others. Before, the restart looked at group 0's
     * membership alone: it did not start the added node and stopped the configured one, so every other group ran
     * with a voter missing (one more failure away from losing its quorum).
     */
    @Test
    void aShardedLocalClusterRestartsTheMembersOfEveryGroupNotOnlyOfGroupZero() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-sharded-restart-");
        JsonObject json = ClusterConfigs.cluster(3, 11, 3000).put("groups", 3);
        onDisk(json, dir);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        try {
            twoLives(config, (vertx, cluster) -> {
                await(cluster.awaitLeader(20_000));
                assertThat(await(cluster.addNode(), Duration.ofSeconds(90)).getInteger("id")).isEqualTo(4);
                // Group 0 alone loses node 4 (as if the add had stopped before group 0) and node 1.
                for (int id : List.of(4, 1)) {
                    await(LocalNodes.remove(vertx, replicasOf(cluster, 0), id), Duration.ofSeconds(60));
                }
                for (int g = 0; g < 3; g++) {
                    List<Integer> voters = g == 0 ? List.of(2, 3) : List.of(1, 2, 3, 4);
                    RaftNode replica = replicasOf(cluster, g).get(2);
                    eventually("group " + g + " has voters " + voters + " on node 2", () -> replica.status()
                            .map(s -> s.membership().voters().equals(voters)));
                }
            }, (vertx, cluster) -> {
                assertThat(cluster.nodes().keySet()).as("every member of some group runs").containsExactly(1, 2, 3, 4);
                // Group 1's four voters are all there: the node added there catches up on what it missed.
                await(cluster.awaitLeader(20_000));
                eventually("node 4 votes in group 1 again", () -> replicasOf(cluster, 1).get(4).status()
                        .map(s -> s.leader() != 0 && s.membership().isVoter(4)));
            });
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * A leader cut off from the others appends {@code remove X}, which never commits: the others elect a new leader,
     * and the process is killed before the old one learns of it. Node X is still a voter, so the restarted process
     * must start it again: the removal is in one node's log, at the highest index any node holds, but uncommitted.
     * (Before, the record of the membership followed the highest index any node reported, committed or not, and
     * node X was left out for good.)
     */
    @Test
    void anUncommittedRemovalDoesNotKeepANodeOutAtRestart() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-uncommitted-");
        JsonObject json = ClusterConfigs.cluster(3, 7, 3000);
        onDisk(json, dir);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        try {
            Vertx vertx = Vertx.vertx();
            int removed;
            try {
                ClusterVerticle cluster = new ClusterVerticle(config);
                await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
                // A leader takes membership changes once it has committed an entry of its term (else
                // leader_not_ready, and nothing would be appended): its term's first entry is its last. The leader
                // is asked for again each time (one found earlier may have lost an election on a loaded machine).
                int[] leading = {0};
                eventually("a leader that committed its term's first entry", () -> cluster.awaitLeader(10_000)
                        .compose(l -> cluster.nodes().get(l).status().map(s -> {
                            leading[0] = l;
                            return s.role() == io.raftline.raft.Role.LEADER && s.commit() == s.lastIndex();
                        })));
                int old = leading[0];
                removed = old % 3 + 1;
                List<Integer> others = Stream.of(1, 2, 3).filter(id -> id != old).toList();
                cluster.faults().setNetwork(NetworkFaults.fromJson(new JsonObject().put("partitions",
                        new JsonArray().add(new JsonArray().add(old)).add(new JsonArray(others))),
                        cluster.faults().nodeIds()));
                RaftNode deposed = cluster.nodes().get(old);
                Future<NodeHost.MembershipInfo> never = deposed.changeMembership(
                        new MembershipChange.Remove(removed));
                assertThat(never.failed()).as("the removal was refused: %s", never.cause()).isFalse();
                eventually("node " + old + " appended the removal of node " + removed, () -> deposed.status()
                        .map(s -> s.configIndex() > 0 && !s.membership().contains(removed)));
                eventually("a leader among " + others, () -> cluster.nodes().get(others.get(0)).status()
                        .map(s -> others.contains(s.leader())));
                assertThat(never.isComplete() && never.succeeded()).as("the removal never commits").isFalse();
            } finally {
                await(vertx.close(), Duration.ofSeconds(30));
            }

            Vertx again = Vertx.vertx();
            try {
                ClusterVerticle cluster = new ClusterVerticle(config);
                await(again.deployVerticle(cluster), Duration.ofSeconds(30));
                assertThat(cluster.nodes().keySet()).as("node %d is still a voter", removed)
                        .containsExactly(1, 2, 3);
                await(cluster.awaitLeader(10_000));
                for (int id = 1; id <= 3; id++) {
                    RaftNode node = cluster.nodes().get(id);
                    eventually("node " + id + " has the three voters", () -> node.status()
                            .map(s -> s.membership().voters().equals(List.of(1, 2, 3))));
                }
            } finally {
                await(again.close(), Duration.ofSeconds(30));
            }
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    void theLocalClusterRestartsWithTheMembersItHadNotThoseOfItsConfiguration() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-");
        JsonObject json = ClusterConfigs.cluster(3, 3, 3000);
        onDisk(json, dir);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        try {
            twoLives(config, cluster -> {
                await(cluster.awaitLeader(10_000));
                JsonObject added = await(cluster.addNode());
                assertThat(added.getInteger("id")).isEqualTo(4);
                assertThat(Files.isDirectory(dir.resolve("node-4"))).isTrue();
                // Proposed to whoever leads when it is sent, and again if refused: a leader found earlier may have
                // lost an election on a loaded machine, and its own propose is then refused (not_leader).
                eventually("the write after node 4 joined", () -> cluster.awaitLeader(10_000)
                        .compose(leader -> cluster.nodes().get(leader).propose(new io.raftline.kv.KvCommand.Put(
                                "after-4", "x".getBytes(java.nio.charset.StandardCharsets.UTF_8), -1, null)))
                        .map(done -> true));
                // Removing an id that is not a member is refused by the leader, and nothing is stopped.
                Throwable unknown = catchThrowable(() -> await(cluster.removeNode(99)));
                assertThat(unknown).hasMessageContaining("node 99 is not a member");
                assertThat(cluster.nodes()).hasSize(4);
                // A configured node removed at runtime stays out after the restart, though its own log may not
                // even know it was removed.
                await(cluster.removeNode(1));
                assertThat(cluster.nodes().keySet()).containsExactly(2, 3, 4);
            }, cluster -> {
                assertThat(cluster.nodes().keySet()).containsExactly(2, 3, 4);
                eventually("node 4 has the write made after it joined", () -> cluster.nodes().get(4)
                        .read(ReadConsistency.STALE).map(v -> v.get("after-4").isPresent()));
                // Node 4 votes again: with it, the four voters elect a leader and serve linearizable reads on it.
                await(cluster.awaitLeader(10_000));
                eventually("a linearizable read on node 4", () -> cluster.nodes().get(4)
                        .read(ReadConsistency.LINEARIZABLE).map(v -> v.get("after-4").isPresent()).otherwise(false));
                JsonObject status = await(cluster.describe());
                assertThat(status.getJsonArray("nodes").size()).isEqualTo(3);
            });
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * A node added after a restart does not start on the log of a node removed before it (an audit's finding: the ids
     * added and removed at runtime are forgotten at a restart, and the next add took the removed node's id and with it
     * its data directory, log, term and vote, in which it was still a voter): it takes the next id with no data.
     */
    @Test
    void aNodeAddedAfterARestartDoesNotStartOnTheDataOfARemovedOne() throws Exception {
        Path dir = Files.createTempDirectory("raftline-local-");
        JsonObject json = ClusterConfigs.cluster(3, 7, 3000);
        onDisk(json, dir);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        try {
            twoLives(config, cluster -> {
                await(cluster.awaitLeader(10_000));
                assertThat(await(cluster.addNode(), Duration.ofSeconds(60)).getInteger("id")).isEqualTo(4);
                await(cluster.removeNode(4), Duration.ofSeconds(60));
                try (Stream<Path> kept = Files.list(dir.resolve("node-4"))) {
                    assertThat(kept.findAny()).as("node 4's data is kept").isPresent();
                }
            }, cluster -> {
                await(cluster.awaitLeader(10_000));
                JsonObject added = await(cluster.addNode(), Duration.ofSeconds(60));
                assertThat(added.getInteger("id")).isEqualTo(5);
                assertThat(cluster.nodes().keySet()).containsExactlyInAnyOrder(1, 2, 3, 5);
            });
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * A node removed from the local cluster leaves {@code /v1/cluster} at once (the newest committed membership and the
     * local nodes, docs/membership.md), while its id stays taken: the next add gets the id after it even with memory
     * storage, where no data directory remembers it. Raft tells members apart by id only, so a new node under a
     * removed one's id could be counted with the votes and log positions the removed one had.
     */
    @Test
    void aRemovedNodeLeavesTheListingButItsIdIsNotGivenAgain() throws Exception {
        JsonObject json = ClusterConfigs.cluster(3, 11, 3000)
                .put("storage", new JsonObject().put("engine", "memory"));
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            assertThat(await(cluster.addNode(), Duration.ofSeconds(60)).getInteger("id")).isEqualTo(4);
            assertThat(listedIds(cluster)).containsExactly(1, 2, 3, 4);
            await(cluster.removeNode(4), Duration.ofSeconds(60));
            assertThat(listedIds(cluster)).containsExactly(1, 2, 3);
            assertThat(await(cluster.addNode(), Duration.ofSeconds(60)).getInteger("id")).isEqualTo(5);
            assertThat(listedIds(cluster)).containsExactly(1, 2, 3, 5);
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
        }
    }

    /**
     * An add whose new node cannot listen on its client port (another process holds it) fails, and leaves no node
     * behind: the node was started first and left running when its port failed, a node of the process for good that
     * no one could reach or remove, listed by {@code /health}, {@code /v1/cluster} and the fault API. The next add,
     * the port free again, takes the next id and joins.
     */
    @Test
    void anAddWhoseClientPortIsTakenLeavesNoNodeBehind() throws Exception {
        // Node 1's port decides the added nodes' ports (node 4: node 1's + 3): a port held here, three below a free one.
        java.net.ServerSocket holder = null;
        for (int attempt = 0; holder == null; attempt++) {
            java.net.ServerSocket s = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            try {
                new java.net.ServerSocket(s.getLocalPort() - 3, 50, java.net.InetAddress.getLoopbackAddress()).close();
                holder = s;
            } catch (java.io.IOException busy) {
                s.close();
                assertThat(attempt).as("a free port three below a free one").isLessThan(50);
            }
        }
        int taken = holder.getLocalPort();
        int first = taken - 3;
        JsonObject json = ClusterConfigs.cluster(3, 11, 3000)
                .put("storage", new JsonObject().put("engine", "memory"));
        json.getJsonArray("nodes").getJsonObject(0).put("http_port", first);
        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(json));
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            try {
                Throwable failure = catchThrowable(() -> await(cluster.addNode(), Duration.ofSeconds(60)));
                assertThat(failure).as("the add of node 4 on port %d", taken).isNotNull()
                        .isNotInstanceOf(io.raftline.verify.nemesis.Waits.TimedOutException.class);
                assertThat(failure.getMessage()).contains(String.valueOf(taken));
                // Said as the environment's problem (409 port_in_use over HTTP), not an internal error (500).
                assertThat(failure).isInstanceOf(io.raftline.node.NodeRequestException.class);
                assertThat(((io.raftline.node.NodeRequestException) failure).reason())
                        .isEqualTo(io.raftline.node.NodeRequestException.Reason.PORT_IN_USE);
                assertThat(cluster.nodes().keySet()).as("the nodes the process runs").containsExactly(1, 2, 3);
                assertThat(listedIds(cluster)).containsExactly(1, 2, 3);
            } finally {
                holder.close();
            }
            JsonObject added = await(cluster.addNode(), Duration.ofSeconds(60));
            assertThat(added.getInteger("id")).isEqualTo(5);
            assertThat(cluster.nodes().keySet()).containsExactly(1, 2, 3, 5);
            assertThat(listedIds(cluster)).containsExactly(1, 2, 3, 5);
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
        }
    }

    /** The ids {@code /v1/cluster} lists, in order. */
    private static List<Integer> listedIds(ClusterVerticle cluster) throws Exception {
        return await(cluster.describe()).getJsonArray("nodes").stream()
                .map(n -> ((JsonObject) n).getInteger("id")).toList();
    }

    /** Each local node's replica of group {@code g}. */
    private static java.util.Map<Integer, RaftNode> replicasOf(ClusterVerticle cluster, int g) {
        java.util.Map<Integer, RaftNode> out = new java.util.TreeMap<>();
        cluster.nodes().forEach((id, node) -> out.put(id, ((io.raftline.shard.ReplicaSet) node).replica(g)));
        return out;
    }

    /** What a test does with a running local cluster and its Vert.x instance. */
    private interface LifeOn {
        void run(Vertx vertx, ClusterVerticle cluster) throws Exception;
    }

    /** {@link #twoLives(RaftlineConfig, Life, Life)} for lives that need the cluster's Vert.x instance too. */
    private static void twoLives(RaftlineConfig config, LifeOn first, LifeOn second) throws Exception {
        for (LifeOn life : List.of(first, second)) {
            Vertx vertx = Vertx.vertx();
            try {
                ClusterVerticle cluster = new ClusterVerticle(config);
                await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
                life.run(vertx, cluster);
            } finally {
                await(vertx.close(), Duration.ofSeconds(30));
            }
        }
    }

    /** What a test does with a running local cluster. */
    private interface Life {
        void run(ClusterVerticle cluster) throws Exception;
    }

    /** Runs the local cluster of {@code config}, stops it, then runs it again on the same data: a restart. */
    private static void twoLives(RaftlineConfig config, Life first, Life second) throws Exception {
        twoLives(config, (LifeOn) (vertx, cluster) -> first.run(cluster), (vertx, cluster) -> second.run(cluster));
    }

    /** Puts every node of {@code json} on any free HTTP port, with its data directory under {@code dir}. */
    private static void onDisk(JsonObject json, Path dir) {
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            n.put("http_port", 0).put("data_dir", dir.resolve("node-" + n.getInteger("id")).toString());
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
