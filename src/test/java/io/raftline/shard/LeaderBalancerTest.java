package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeStatus;
import io.raftline.node.StorageStats;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a node of a sharded cluster hands over: one of its groups to the voter that leads the fewest, while it leads
 * at least two more than that voter; nothing while any group is without a leader.
 */
class LeaderBalancerTest {

    private static final Membership THREE = Membership.ofVoters(List.of(1, 2, 3));

    /** Node {@code self}'s replicas, given each group's leader (0: none known). */
    private static List<NodeStatus> replicas(int self, int... leaders) {
        List<NodeStatus> out = new ArrayList<>();
        for (int leader : leaders) {
            out.add(status(self, leader, THREE));
        }
        return out;
    }

    /** A replica at index 10 (commit and log); as the group's leader, it knows every member to match 10. */
    private static NodeStatus status(int self, int leader, Membership membership) {
        Map<Integer, Long> matches = new java.util.HashMap<>();
        if (leader == self) {
            for (int v : membership.voters()) {
                matches.put(v, 10L);
            }
        }
        return new NodeStatus(self, true, false, leader == self ? Role.LEADER : Role.FOLLOWER, 3, leader, 10, 10, 10, 0,
                0, StorageStats.MEMORY, false, false, membership, 0, matches, 10);
    }

    /** Node 1 leading a group at commit 2,000, its last snapshot at {@code snapshot}, node 3 matching {@code match}. */
    private static NodeStatus leading(long snapshot, long match) {
        return new NodeStatus(1, true, false, Role.LEADER, 3, 1, 2_000, 2_000, 2_000, snapshot, 0, StorageStats.MEMORY,
                false, false, THREE, 0, Map.of(1, 2_000L, 2, 2_000L, 3, match), 2_000);
    }

    /**
     * A target that is not caught up in a group (it needs the leader's snapshot: its match is behind the leader's last
     * snapshot, or it trails the commit by more than the slack) is not handed that group: the transfer would hold the
     * group's writes until it timed out, each round (seen on a 3-process cluster of 32 groups while the restarted node
     * installed its snapshots). Node 1 leads groups 1-3; node 3 (the least loaded) is caught up in group 2 only, so
     * group 2 moves, not group 3; caught up nowhere, nothing moves.
     */
    @Test
    void aGroupIsHandedOnlyToATargetCaughtUpInIt() {
        List<NodeStatus> replicas = new ArrayList<>(List.of(status(1, 2, THREE), leading(1_500, 1),
                leading(1_500, 2_000), leading(1_500, 1)));
        assertThat(LeaderBalancer.plan(1, replicas)).contains(new LeaderBalancer.Move(2, 3));

        replicas.set(2, leading(1_500, 1_499));
        assertThat(LeaderBalancer.plan(1, replicas)).as("what it lacks is compacted").isEmpty();
        replicas.set(2, leading(0, 999));
        assertThat(LeaderBalancer.plan(1, replicas)).as("1,001 entries behind").isEmpty();
        replicas.set(2, leading(0, 1_000));
        assertThat(LeaderBalancer.plan(1, replicas)).contains(new LeaderBalancer.Move(2, 3));
    }

    /**
     * Node 4 is half way out: removed from groups 1-7, still a voter of group 0. It leads nothing, so it looked like
     * the best target, and every round offered it group 7, where it is no voter (refused, and offered again: leaders
     * never balanced). Only a voter of every group is a target.
     */
    @Test
    void aNodeHalfWayThroughAMembershipChangeIsNoTarget() {
        int[] leaders = {1, 2, 3, 1, 1, 1, 1, 1};
        List<NodeStatus> replicas = new ArrayList<>();
        for (int g = 0; g < leaders.length; g++) {
            replicas.add(status(1, leaders[g], g == 0 ? Membership.ofVoters(List.of(1, 2, 3, 4)) : THREE));
        }
        assertThat(LeaderBalancer.plan(1, replicas)).contains(new LeaderBalancer.Move(7, 2));
        assertThat(LeaderBalancer.plan(4, replicas)).as("nor a giver").isEmpty();
    }

    @Test
    void aNodeLeadingEveryGroupHandsItsHighestGroupToTheLeastLoadedVoter() {
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 1, 1, 1, 1, 1)))
                .contains(new LeaderBalancer.Move(5, 2));
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 2, 1, 1, 2, 1)))
                .contains(new LeaderBalancer.Move(5, 3));
    }

    @Test
    void countsThatDifferByAtMostOneAreLeftAlone() {
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 1, 2, 3))).isEmpty();
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 2, 3, 1, 2, 3))).isEmpty();
        // Only a node's own leaderships move: node 2 leads 2 of 4, node 3 none, node 1 two; node 1 moves one.
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 2, 1, 2))).contains(new LeaderBalancer.Move(2, 3));
        // A voter this node does not hear from is never handed a group (it is down: the transfer could only fail,
        // holding the group's writes meanwhile); the next-fewest reachable voter is.
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 2, 1, 2), peer -> peer != 3)).isEmpty();
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 1, 1, 1, 1, 1), peer -> peer != 2))
                .contains(new LeaderBalancer.Move(5, 3));
        assertThat(LeaderBalancer.plan(3, replicas(3, 1, 2, 1, 2))).isEmpty();
    }

    /** A node frozen or paused reports what it knew before it stopped: it gives nothing away meanwhile. */
    @Test
    void aStoppedNodeIsNoGiver() {
        List<NodeStatus> frozen = new ArrayList<>();
        List<NodeStatus> paused = new ArrayList<>();
        for (NodeStatus s : replicas(1, 1, 1, 1, 1, 1, 1)) {
            frozen.add(new NodeStatus(s.id(), s.up(), false, s.role(), s.term(), s.leader(), s.commit(), s.applied(),
                    s.lastIndex(), s.snapshotIndex(), s.pendingProposals(), s.storage(), true, false, s.membership(),
                    s.configIndex(), s.matchIndex(), s.leaderCommit()));
            paused.add(new NodeStatus(s.id(), s.up(), true, s.role(), s.term(), s.leader(), s.commit(), s.applied(),
                    s.lastIndex(), s.snapshotIndex(), s.pendingProposals(), s.storage(), false, false, s.membership(),
                    s.configIndex(), s.matchIndex(), s.leaderCommit()));
        }
        assertThat(LeaderBalancer.plan(1, frozen)).isEmpty();
        assertThat(LeaderBalancer.plan(1, paused)).isEmpty();
    }

    /**
     * A move whose transfer does not answer (its leader stopped as under SIGSTOP before its clock could abort it) holds
     * the balancer for its bound only: then the next round moves again, to a node it still hears from. Before, the
     * balancer waited for the answer, which came only once the stopped node ran again, and balanced nothing meanwhile.
     */
    @Test
    void aTransferThatDoesNotAnswerReleasesTheBalancerAfterItsBound() throws Exception {
        List<Integer> targets = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CompletableFuture<Void> secondMove = new java.util.concurrent.CompletableFuture<>();
        Set<Integer> silent = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Map<Integer, List<? extends RaftNode>> local = new java.util.TreeMap<>();
        for (int node = 1; node <= 3; node++) {
            List<RaftNode> groups = new ArrayList<>();
            for (NodeStatus s : replicas(node, 1, 1, 1, 1, 1, 1)) {
                groups.add(replica(s, target -> {
                    targets.add(target);
                    // The target stops answering; the leader's answer never comes (nor does its abort).
                    silent.add(target);
                    if (targets.size() >= 2) {
                        secondMove.complete(null);
                    }
                    return Promise.<Void>promise().future();
                }));
            }
            local.put(node, groups);
        }
        Vertx vertx = Vertx.vertx();
        try {
            LeaderBalancer balancer = new LeaderBalancer(vertx, () -> local, 20,
                    (self, peer) -> !silent.contains(peer), 200);
            vertx.runOnContext(v -> balancer.start());
            try {
                secondMove.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // Checked below: the moves made so far say what happened.
            }
            vertx.runOnContext(v -> balancer.stop());
            assertThat(targets).as("node 1 hands group 5 to node 2, which does not answer, then to node 3")
                    .startsWith(2, 3);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** A replica that reports {@code status} and hands its transfers to {@code transfer}; nothing else is asked. */
    private static RaftNode replica(NodeStatus status, java.util.function.IntFunction<Future<Void>> transfer) {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "status" -> Future.succeededFuture(status);
                    case "transferLeadership" -> transfer.apply((Integer) args[0]);
                    case "id" -> status.id();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void nothingMovesDuringAnElectionOrInAClusterOfOneGroup() {
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 1, 1, 0))).isEmpty();
        assertThat(LeaderBalancer.plan(1, replicas(1, 1))).isEmpty();
    }
}
