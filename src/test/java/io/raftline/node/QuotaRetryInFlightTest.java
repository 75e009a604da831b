package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.raft.message.AppendResponse;
import io.vertx.core.Future;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The leader's quota check counts the state it has applied, so a retry whose first attempt is in its log but not yet
 * applied is not yet known as a retry. It must not be refused as beyond the quota: the client would hear "not written"
 * of a write that then commits. Node 1 of three leads, driven by hand ({@link RestartLeaseHoldTest.ManualEnvironment});
 * the quota holds one of the two writes, and node 2 acknowledges the first only.
 */
class QuotaRetryInFlightTest {

    /** Each write: a one-byte key and 60 bytes of value; the quota holds one, not two. */
    private static final long QUOTA = 100;

    private static KvCommand put(String key, String idempotencyKey) {
        byte[] value = new byte[60];
        Arrays.fill(value, (byte) 'v');
        return new KvCommand.Put(key, value, 0, idempotencyKey);
    }

    /** Node 1 leads term 2 with its no-op (index 1) committed, then writes y (index 2) and x (index 3) unacknowledged. */
    private static RestartLeaseHoldTest.ManualEnvironment leaderWithTwoWritesInFlight(String xKey) {
        RestartLeaseHoldTest.ManualEnvironment node = RestartLeaseHoldTest.ManualEnvironment.withQuota(QUOTA);
        NewLeaderReadTest.winTermTwo(node);
        node.settle();
        node.host.step(AppendResponse.accepted(2, 1, 2, 1));
        node.settle();
        Future<KvResult> y = node.host.propose(put("y", null));
        node.settle();
        assertThat(y.failed()).as("y within the quota: %s", y.cause()).isFalse();
        Future<KvResult> x = node.host.propose(put("x", xKey));
        node.settle();
        assertThat(x.failed()).as("x within the quota while y is not applied: %s", x.cause()).isFalse();
        // y commits and applies: the key space now holds 61 bytes of the 100.
        node.host.step(AppendResponse.accepted(2, 1, 2, 2));
        node.settle();
        assertThat(y.succeeded()).as("y applied: %s", y.cause()).isTrue();
        return node;
    }

    @Test
    void theRetryOfAWriteInTheLogButNotAppliedIsNotRefusedAsBeyondTheQuota() {
        RestartLeaseHoldTest.ManualEnvironment node = leaderWithTwoWritesInFlight("k-x");
        Future<KvResult> retry = node.host.propose(put("x", "k-x"));
        node.settle();
        assertThat(retry.failed()).as("the retry of x: %s", retry.cause()).isFalse();
        // x (index 3) and its retry (index 4) commit: both answer x's first result.
        node.host.step(AppendResponse.accepted(2, 1, 2, 4));
        node.settle();
        assertThat(retry.succeeded()).as("answered: %s", retry.cause()).isTrue();
        assertThat(retry.result()).isEqualTo(new KvResult.Written(3));
        var x = node.host.read(ReadConsistency.STALE).result().get("x").orElseThrow();
        assertThat(x.modRevision()).as("x written once, at index 3").isEqualTo(3);
        assertThat(x.version()).isEqualTo(1);
    }

    @Test
    void aWriteBeyondTheQuotaWithoutAFirstAttemptInFlightIsStillRefused() {
        RestartLeaseHoldTest.ManualEnvironment node = leaderWithTwoWritesInFlight("k-x");
        Future<KvResult> other = node.host.propose(put("w", "k-w"));
        Future<KvResult> unkeyed = node.host.propose(put("u", null));
        node.settle();
        for (Future<KvResult> f : java.util.List.of(other, unkeyed)) {
            assertThat(f.failed()).isTrue();
            assertThat(((NodeRequestException) f.cause()).reason())
                    .isEqualTo(NodeRequestException.Reason.QUOTA_EXCEEDED);
        }
    }
}
