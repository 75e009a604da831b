package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.MembershipChange;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

/**
 * A change of the voters that cannot commit because a voter of the membership it made went silent says so when it
 * times out. Regression (an operator's review of a 3-process cluster): node 3 was killed and node 2 removed at once;
 * the removal took effect on the leader, could never commit without node 3, and was answered only with the generic
 * write timeout ("it may still be applied later"), which said neither that the group had stopped nor why.
 */
class VoterChangeTimeoutTest {

    private static final long MS = 1_000_000L;

    @Test
    void aVoterChangeStalledByASilentVoterNamesItWhenItTimesOut() {
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000);
        NewLeaderReadTest.leadWithBothFollowersCaughtUp(node);

        // Node 3 dies right after its answer; the removal of node 2 comes before the guard can tell.
        Future<NodeHost.MembershipInfo> removal = node.host.changeMembership(new MembershipChange.Remove(2));
        node.settle();
        assertThat(removal.failed()).as("accepted: %s", removal.cause()).isFalse();
        long asked = node.now;
        while (!removal.isComplete() && node.now - asked < 10_000 * MS) {
            node.now += 10 * MS;
            node.host.tick();
            node.settle();
        }

        assertThat(removal.failed()).as("the removal cannot commit: %s", removal).isTrue();
        NodeRequestException e = (NodeRequestException) removal.cause();
        assertThat(e.reason()).isEqualTo(NodeRequestException.Reason.TIMEOUT);
        assertThat(e.getMessage())
                .startsWith("remove 2 was not committed within 1000 ms: it took effect when appended (index 2),"
                        + " making the voters [1, 3], whose quorum is 2, and node 3 (silent for ")
                .contains("does not answer. Until a quorum of [1, 3] answers, the group commits nothing")
                .contains("Bring the silent voters back")
                .contains("read GET /v1/members");
    }

    @Test
    void aLearnerChangeThatTimesOutKeepsThePlainTimeout() {
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000);
        NewLeaderReadTest.leadWithBothFollowersCaughtUp(node);

        // Adding a learner changes no quorum: with both voters silent it times out as any write does.
        Future<NodeHost.MembershipInfo> add = node.host.changeMembership(new MembershipChange.AddLearner(4));
        long asked = node.now;
        while (!add.isComplete() && node.now - asked < 10_000 * MS) {
            node.now += 10 * MS;
            node.host.tick();
            node.settle();
        }

        assertThat(add.failed()).isTrue();
        assertThat(add.cause()).hasMessage("not committed within 1000 ms (it may still be applied later)");
    }
}
