package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.TimeoutNow;
import io.vertx.core.Future;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A leadership transfer whose target was told to campaign is not answered "failed" when the leader stops waiting for
 * it: the target's election may still make it leader. Regression (read-path review): the leader's core said
 * "aborted" an election timeout after TimeoutNow, the node answered 409 {@code transfer_failed}, and the target,
 * whose TimeoutNow was only late, then led. Node 1 of three, driven by hand; nodes 2 and 3 answer its heartbeats.
 */
class UndecidedTransferTest {

    private static final long MS = 1_000_000L;

    @Test
    void aTransferWhoseTargetWasToldWaitsForTheNextLeader() {
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000);
        NewLeaderReadTest.leadWithBothFollowersCaughtUp(node);
        node.sent.clear();

        Future<Void> transfer = node.host.transferLeadership(2);
        node.settle();
        assertThat(node.sent).as("node 2 is caught up: told at once").anyMatch(m -> m instanceof TimeoutNow t
                && t.to() == 2);
        // Node 2's election is late (its TimeoutNow was delayed); both followers answer every heartbeat meanwhile.
        // Three election timeouts (150 ms each) pass: the core stops waiting after the first.
        for (int t = 0; t < 45; t++) {
            node.now += 10 * MS;
            List<Message> out = List.copyOf(node.sent);
            node.sent.clear();
            for (Message m : out) {
                if (m instanceof Heartbeat h) {
                    node.host.step(new HeartbeatResponse(h.to(), 1, h.term(), h.context()));
                }
            }
            node.host.tick();
            node.settle();
        }
        assertThat(transfer.isComplete()).as("answered %s while node 2 may still win", transfer.cause()).isFalse();

        // Node 2 wins term 3 and its first heartbeat reaches node 1: the transfer worked.
        node.host.step(new Heartbeat(2, 1, 3, 1, 0));
        node.settle();
        assertThat(node.host.status().leader()).isEqualTo(2);
        assertThat(transfer.succeeded()).as("succeeded: %s", transfer.cause()).isTrue();
    }
}
