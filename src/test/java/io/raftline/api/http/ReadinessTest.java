package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.StorageStats;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /readyz}'s rule on its own: the states a live cluster only passes through for an instant (a follower that
 * knows the leader's commit but has not applied it yet) are spelled out here, each with the reason it reports.
 */
class ReadinessTest {

    private static NodeStatus status(boolean up, boolean paused, boolean frozen, int leader, long applied,
            long leaderCommit, boolean storageFailed, boolean stateLost, Membership membership) {
        return new NodeStatus(2, up, paused, Role.FOLLOWER, 3, leader, leaderCommit, applied, leaderCommit, 0, 0,
                new StorageStats("durable", storageFailed, 0, 0, 0), frozen, stateLost, membership, 0, Map.of(),
                leaderCommit);
    }

    private static final Membership MEMBERS = Membership.ofVoters(List.of(1, 2, 3));

    private static KvApi.NotReady check(NodeStatus s, long maxLag) {
        return KvApi.notReady(s, maxLag);
    }

    @Test
    void aFollowerWithinTheLagBoundIsReadyAndOneBeyondItIsLagging() {
        assertThat(check(status(true, false, false, 1, 990, 1000, false, false, MEMBERS), 10)).isNull();
        KvApi.NotReady lagging = check(status(true, false, false, 1, 989, 1000, false, false, MEMBERS), 10);
        assertThat(lagging.code()).isEqualTo("lagging");
        assertThat(lagging.problem()).isEqualTo("it has applied index 989, 11 entries behind the leader's commit 1000"
                + " (max_lag 10)");
        assertThat(check(status(true, false, false, 1, 1000, 1000, false, false, MEMBERS), 0)).isNull();
    }

    @Test
    void theMostFundamentalReasonWins() {
        assertThat(check(status(false, true, true, 0, 0, 1000, true, true, Membership.EMPTY), 0).code())
                .isEqualTo("storage_failed");
        assertThat(check(status(false, true, true, 0, 0, 1000, false, true, Membership.EMPTY), 0).code())
                .isEqualTo("state_lost");
        assertThat(check(status(false, true, true, 0, 0, 1000, false, false, Membership.EMPTY), 0).code())
                .isEqualTo("node_down");
        assertThat(check(status(true, true, true, 0, 0, 1000, false, false, Membership.EMPTY), 0).code())
                .isEqualTo("node_frozen");
        assertThat(check(status(true, true, false, 0, 0, 1000, false, false, Membership.EMPTY), 0).code())
                .isEqualTo("node_paused");
        assertThat(check(status(true, false, false, 0, 0, 1000, false, false, Membership.EMPTY), 0).code())
                .isEqualTo("not_member");
        assertThat(check(status(true, false, false, 0, 0, 1000, false, false, MEMBERS), 0).code())
                .isEqualTo("no_leader");
    }

    @Test
    void anUnconfirmedCommitIsOverloadedWhenTheReplicaCouldNotAskAndNoLeaderOtherwise() {
        NodeStatus s = status(true, false, false, 1, 1000, 1000, false, false, MEMBERS);
        KvApi.NotReady busy = KvApi.unconfirmed(s, new NodeRequestException(NodeRequestException.Reason.OVERLOADED, 0,
                "node 2 has 4096 reads waiting (service.max_pending_reads); retry later"));
        assertThat(busy.code()).isEqualTo("overloaded");
        assertThat(busy.problem()).isEqualTo("it could not ask its leader (node 1) for its commit index: node 2 has"
                + " 4096 reads waiting (service.max_pending_reads); retry later");
        KvApi.NotReady silent = KvApi.unconfirmed(s, new java.util.concurrent.TimeoutException());
        assertThat(silent.code()).isEqualTo("no_leader");
        assertThat(silent.problem()).isEqualTo("its leader (node 1) did not confirm its commit index: no answer within"
                + " 2000 ms");
        KvApi.NotReady lost = KvApi.unconfirmed(s, new NodeRequestException(
                NodeRequestException.Reason.LEADERSHIP_LOST, 0, "leadership changed"));
        assertThat(lost.code()).isEqualTo("no_leader");
    }
}
