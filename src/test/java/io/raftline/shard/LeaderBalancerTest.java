package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeStatus;
import io.raftline.node.StorageStats;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import java.util.ArrayList;
import java.util.List;
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

    private static NodeStatus status(int self, int leader, Membership membership) {
        return new NodeStatus(self, true, false, leader == self ? Role.LEADER : Role.FOLLOWER, 3, leader, 10, 10, 10, 0,
                0, StorageStats.MEMORY, false, false, membership, 0, null, 10);
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

    @Test
    void nothingMovesDuringAnElectionOrInAClusterOfOneGroup() {
        assertThat(LeaderBalancer.plan(1, replicas(1, 1, 1, 1, 0))).isEmpty();
        assertThat(LeaderBalancer.plan(1, replicas(1, 1))).isEmpty();
    }
}
