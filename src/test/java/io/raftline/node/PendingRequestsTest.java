package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvStateMachine;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.raft.Entry;
import io.raftline.raft.Proposal;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules that decide what a client is told about its request (no event loop: plain calls). */
class PendingRequestsTest {

    private static final long MS = 1_000_000;

    private static byte[] put(String value) {
        return KvCodec.encode(new KvCommand.Put("k", value.getBytes(StandardCharsets.UTF_8)));
    }

    private static Reason reason(Future<?> f) {
        assertThat(f.failed()).as("failed").isTrue();
        return ((NodeRequestException) f.cause()).reason();
    }

    /** Queues one write and proposes it at {@code index@term}; returns the client's future. */
    private static Future<KvResult> proposeOne(PendingRequests p, long index, long term) {
        Future<KvResult> answer = p.queueWrite(put("v"), 0, false);
        p.proposed(p.takeQueued(), List.of(new Proposal(index, term)));
        return answer;
    }

    @Test
    void aWriteWhoseEntryIsOverwrittenLocallyWaitsForTheTruthAtItsIndex() {
        // Issue 11, bug 3: the local log losing the entry proves nothing (a later leader that has it may still
        // commit it, the Figure 8 shape); only the entry applied at its index decides.
        PendingRequests p = new PendingRequests(5_000 * MS, 1);
        Future<KvResult> f = proposeOne(p, 5, 2);
        assertThat(f.isComplete()).isFalse();
        p.applied(Entry.normal(5, 2, put("v")), new KvResult.Written(5), 3);
        assertThat(f.result()).isEqualTo(new KvResult.Written(5));
    }

    @Test
    void anotherEntryAppliedAtItsIndexProvesTheWriteWasNotApplied() {
        PendingRequests p = new PendingRequests(5_000 * MS, 1);
        Future<KvResult> f = proposeOne(p, 5, 2);
        p.applied(Entry.normal(5, 3, put("other")), new KvResult.Written(5), 3);
        assertThat(reason(f)).isEqualTo(Reason.PROPOSAL_DROPPED);
    }

    @Test
    void aNoopAtItsIndexAlsoProvesIt() {
        PendingRequests p = new PendingRequests(5_000 * MS, 1);
        Future<KvResult> f = proposeOne(p, 5, 2);
        p.applied(Entry.noop(5, 3), null, 3);
        assertThat(reason(f)).isEqualTo(Reason.PROPOSAL_DROPPED);
    }

    @Test
    void aSnapshotOverItsIndexOrAStopLeavesTheOutcomeUnknown() {
        PendingRequests p = new PendingRequests(5_000 * MS, 1);
        Future<KvResult> f = proposeOne(p, 5, 2);
        p.snapshotInstalled(9, 1);
        assertThat(reason(f)).isEqualTo(Reason.OUTCOME_UNKNOWN);

        Future<KvResult> g = proposeOne(p, 10, 2);
        Future<KvResult> queued = p.queueWrite(put("q"), 0, false);
        p.abandonAll("node 1 crashed");
        assertThat(reason(g)).as("in the log: it may commit elsewhere").isEqualTo(Reason.OUTCOME_UNKNOWN);
        assertThat(reason(queued)).as("never proposed: certainly not applied").isEqualTo(Reason.NODE_DOWN);
    }

    @Test
    void deadlinesOnTheMonotonicClockExpireRequestsInOrder() {
        PendingRequests p = new PendingRequests(100 * MS, 1);
        Future<KvResult> f = proposeOne(p, 5, 2);
        PendingRequests.Read r = p.newRead(50 * MS);
        p.awaitIndex(r, 1, 1);
        p.expire(99 * MS, 0);
        assertThat(f.isComplete()).isFalse();
        p.expire(100 * MS, 0);
        assertThat(reason(f)).isEqualTo(Reason.TIMEOUT);
        assertThat(r.promise.future().isComplete()).isFalse();
        p.expire(150 * MS, 0);
        assertThat(reason(r.promise.future())).isEqualTo(Reason.TIMEOUT);
        // A late answer to the expired read is ignored.
        p.readIndex(r.context, 7, source(new KvStateMachine()));
    }

    @Test
    void readContextsStartWhereTheNodeLifeSaysSoALateAnswerCannotMatchANewRead() {
        PendingRequests earlierLife = new PendingRequests(MS, 1);
        PendingRequests laterLife = new PendingRequests(MS, 1L << 40);
        long old = earlierLife.newRead(0).context;
        PendingRequests.Read fresh = laterLife.newRead(0);
        laterLife.awaitIndex(fresh, 1, 1);
        laterLife.readIndex(old, 3, source(new KvStateMachine()));
        assertThat(fresh.promise.future().isComplete()).as("an answer to another life's context").isFalse();
        laterLife.readIndex(fresh.context, 0, source(new KvStateMachine()));
        assertThat(fresh.promise.future().succeeded()).isTrue();
    }

    @Test
    void aChangeOfLeaderFailsOnlyTheReadsAskedBeforeIt() {
        PendingRequests p = new PendingRequests(MS, 1);
        PendingRequests.Read ofOldLeader = p.newRead(0);
        p.awaitIndex(ofOldLeader, 3, 2);
        PendingRequests.Read ofOldTerm = p.newRead(0);
        p.awaitIndex(ofOldTerm, 3, 1);
        PendingRequests.Read sinceTheChange = p.newRead(0);
        p.awaitIndex(sinceTheChange, 4, 1);
        p.unconfirmedReadsLost(new NodeRequestException(Reason.LEADERSHIP_LOST, 1, "lost"), 4, 1);
        assertThat(reason(ofOldLeader.promise.future())).isEqualTo(Reason.LEADERSHIP_LOST);
        assertThat(reason(ofOldTerm.promise.future())).isEqualTo(Reason.LEADERSHIP_LOST);
        assertThat(sinceTheChange.promise.future().isComplete()).as("asked of the core as it is now").isFalse();
        p.readIndex(sinceTheChange.context, 0, source(new KvStateMachine()));
        assertThat(sinceTheChange.promise.future().succeeded()).isTrue();
    }

    @Test
    void aReadIsServedOnlyOnceItsIndexIsApplied() {
        PendingRequests p = new PendingRequests(MS, 1);
        KvStateMachine kv = new KvStateMachine();
        PendingRequests.Read r = p.newRead(0);
        p.awaitIndex(r, 1, 1);
        p.readIndex(r.context, 1, source(kv));
        assertThat(r.promise.future().isComplete()).isFalse();
        kv.applyNoop(1);
        p.releaseReads(source(kv));
        assertThat(r.promise.future().result().appliedIndex()).isEqualTo(1);
    }

    private static PendingRequests.KvViewSource source(KvStateMachine kv) {
        return new PendingRequests.KvViewSource() {
            @Override
            public long appliedIndex() {
                return kv.lastApplied();
            }

            @Override
            public KvView view() {
                return new KvView(kv);
            }
        };
    }
}
