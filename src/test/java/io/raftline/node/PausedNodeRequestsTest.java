package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.raft.Role;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A node paused with requests in hand answers them when their time is up, as a running node does. Regression: the
 * requests expired only on the node's ticks, which a paused node skips, so a client that asked the node before the
 * pause waited for as long as the pause lasted (forever, for a node never resumed), past its request timeout.
 */
class PausedNodeRequestsTest {

    private static final long MS = 1_000_000L;

    @Test
    void requestsHeldWhenTheNodeIsPausedEndAtTheirTimeout() {
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000);
        NewLeaderReadTest.winTermTwo(node);
        node.settle();
        assertThat(node.host.status().role()).isEqualTo(Role.LEADER);
        // Neither can complete: nodes 2 and 3 answer nothing.
        Future<KvResult> write = node.host.propose(put("k"));
        Future<KvView> read = node.host.read(ReadConsistency.LINEARIZABLE);
        node.settle();
        long asked = node.now;

        node.host.pause();
        while (!(write.isComplete() && read.isComplete()) && node.now - asked < 10_000 * MS) {
            node.now += 10 * MS;
            node.host.tick();
            node.settle();
        }

        // The options' request timeout is 1,000 ms: both end on the tick that reaches it, not when the pause ends.
        assertThat(node.now - asked).as("time to the answers").isEqualTo(1_000 * MS);
        assertThat(reason(write)).isEqualTo(NodeRequestException.Reason.TIMEOUT);
        assertThat(write.cause()).hasMessage("not committed within 1000 ms (it may still be applied later)");
        assertThat(reason(read)).isEqualTo(NodeRequestException.Reason.TIMEOUT);
        assertThat(((NodeRequestException) read.cause()).leaderHint()).as("a paused node points at no leader")
                .isZero();
        assertThat(reason(node.host.propose(put("k2")))).as("a new request is refused at once")
                .isEqualTo(NodeRequestException.Reason.NODE_PAUSED);
    }

    private static KvCommand put(String key) {
        return new KvCommand.Put(key, "v".getBytes(StandardCharsets.UTF_8), KvCommand.UNCONDITIONAL, null);
    }

    private static NodeRequestException.Reason reason(Future<?> f) {
        assertThat(f.failed()).as("failed: %s", f).isTrue();
        return ((NodeRequestException) f.cause()).reason();
    }
}
