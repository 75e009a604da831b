package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Role;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

/**
 * A linearizable read that reaches a node after its core won an election, but before the host handled the Ready that
 * reports the win, is held by the core until the new leader commits an entry of its term and confirms it: the host
 * must not fail it as lost when it then learns of the change it was registered after. Node 1 of three, driven by hand
 * ({@link RestartLeaseHoldTest.ManualEnvironment}): its flushes wait in the loop queue as they wait behind other tasks
 * on the node's event loop.
 */
class NewLeaderReadTest {

    /** Node 1 ticks until it asks for pre-votes, gets node 2's, then node 2's vote: its core leads term 2. */
    static void winTermTwo(RestartLeaseHoldTest.ManualEnvironment node) {
        for (int t = 0; t < 100 && node.sent.stream().noneMatch(m -> m instanceof VoteRequest v && v.preVote()); t++) {
            node.host.tick();
            node.settle();
        }
        node.sent.clear();
        node.host.step(new VoteResponse(2, 1, 2, true, true));
        node.settle();
        assertThat(node.sent).as("node 1 asks for votes in term 2")
                .anyMatch(m -> m instanceof VoteRequest v && !v.preVote() && v.term() == 2);
        node.sent.clear();
        // The vote that wins: the core leads at once; the host learns it in the next Ready, which the loop runs later.
        node.host.step(new VoteResponse(2, 1, 2, true, false));
    }

    /** Node 1 leads term 2 and both followers took its no-op (index 1): it is committed, and both answered now. */
    static void leadWithBothFollowersCaughtUp(RestartLeaseHoldTest.ManualEnvironment node) {
        winTermTwo(node);
        node.settle();
        assertThat(node.host.status().role()).isEqualTo(Role.LEADER);
        node.host.step(AppendResponse.accepted(2, 1, 2, 1));
        node.host.step(AppendResponse.accepted(3, 1, 2, 1));
        node.settle();
    }

    @Test
    void aReadThatArrivesRightAfterTheWinIsServedNotFailedAsLost() {
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000);
        winTermTwo(node);
        Future<KvView> read = node.host.read(ReadConsistency.LINEARIZABLE);
        node.settle();
        assertThat(node.host.status().role()).isEqualTo(Role.LEADER);
        assertThat(read.failed()).as("failed with %s", read.cause()).isFalse();

        // Node 2 takes the new leader's no-op (index 1): it commits, and the read waits for a heartbeat round.
        node.sent.clear();
        node.host.step(AppendResponse.accepted(2, 1, 2, 1));
        node.settle();
        Heartbeat round = null;
        for (Message m : node.sent) {
            if (m instanceof Heartbeat h && h.to() == 2 && h.context() > 0) {
                round = h;
            }
        }
        assertThat(round).as("a heartbeat round confirms the read: %s", node.sent).isNotNull();
        node.host.step(new HeartbeatResponse(2, 1, 2, round.context()));
        node.settle();
        assertThat(read.succeeded()).as("served: %s", read.cause()).isTrue();
        assertThat(read.result().appliedIndex()).isEqualTo(1);
    }
}
