package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.HardState;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restarted node keeps the promise to a leader's lease it may have made just before it went down, for what is left
 * of the minimum election timeout since then: its host tells the core how long the node was down
 * ({@code RaftCore.downFor}). Node 1 of three, with a term on its disk, driven by hand on a clock the test sets; node 2
 * asks it for a pre-vote after its restart.
 */
class RestartLeaseHoldTest {

    private static final long MS = 1_000_000L;
    /** 10 ms ticks, election timeout 150-300 ms: the promise lasts 15 ticks. */
    private static final RaftConfig RAFT = RaftConfig.builder(1, List.of(1, 2, 3)).tickMs(10).heartbeatMs(50)
            .electionTimeoutMs(150, 300).build();

    /**
     * Node 1's world: a clock the test moves, its loop and workers as queues, what it sends (also for
     * {@link NodeRestartLifecycleTest}).
     */
    static final class ManualEnvironment extends ManualHostEnvironment {
        long lifeEndedBy;
        final NodeHost host;

        /** A node whose previous life (the environment says) ended {@code endedAgoMs} before its first boot. */
        ManualEnvironment(long endedAgoMs) {
            this(endedAgoMs, termOne(new MemoryLogStore()));
        }

        /** A node on {@code store}, whose previous life ended {@code endedAgoMs} before its first boot. */
        ManualEnvironment(long endedAgoMs, LogStore store) {
            this(endedAgoMs, store, new NodeOptions(RAFT, 7, 100, 1_000));
        }

        /** A node with {@code options} (their Raft settings node 1's of three), on {@code store}. */
        ManualEnvironment(long endedAgoMs, LogStore store, NodeOptions options) {
            super(Offload.AT_ONCE, false);
            now = 1_000 * MS;
            lifeEndedBy = now - endedAgoMs * MS;
            host = new NodeHost(options, store, NodeListener.NONE, this);
            host.boot();
        }

        /** Node 1 with a quota of {@code quotaBytes} on the key space, a term on its disk. */
        static ManualEnvironment withQuota(long quotaBytes) {
            return new ManualEnvironment(5_000, termOne(new MemoryLogStore()), new NodeOptions(RAFT, 7, 100, 1_000,
                    quotaBytes));
        }

        private static MemoryLogStore termOne(MemoryLogStore store) {
            store.persist(null, List.of(), new HardState(1, 0, 0), true);
            return store;
        }

        /** Node 2 asks for a pre-vote of term 2 with a log as long as node 1's; whether node 1 granted it. */
        boolean grantsPreVote() {
            sent.clear();
            host.step(new VoteRequest(2, 1, 2, 0, 0, true, false));
            host.flush();
            settle();
            return sent.stream().anyMatch(m -> m instanceof VoteResponse r && r.granted());
        }

        void crashAndRestartAfter(long downMs) {
            host.crash();
            now += downMs * MS;
            host.restart();
            settle();
            assertThat(host.up()).isTrue();
        }


        @Override
        NodeHost host() {
            return host;
        }

        @Override
        public long previousLifeEndedBy() {
            return lifeEndedBy;
        }





    }

    @Test
    void aNodeWhosePreviousLifeEndedAnElectionTimeoutAgoVotesAtOnce() {
        ManualEnvironment node = new ManualEnvironment(5_000); // a process started 5 s ago
        assertThat(node.grantsPreVote()).isTrue();
    }

    @Test
    void aNodeThatKnowsNothingOfItsPreviousLifeHoldsAWholeElectionTimeout() {
        ManualEnvironment node = new ManualEnvironment(0);
        assertThat(node.grantsPreVote()).isFalse();
        for (int t = 0; t < RAFT.electionTicksMin() - 1; t++) {
            node.host.tick();
        }
        assertThat(node.grantsPreVote()).as("one tick before the timeout").isFalse();
        node.host.tick();
        assertThat(node.grantsPreVote()).isTrue();
    }

    @Test
    void aRestartAfterTheTimeoutVotesAtOnce() {
        ManualEnvironment node = new ManualEnvironment(5_000);
        node.crashAndRestartAfter(160); // 16 ticks down, counted as 15: the whole promise has run out
        assertThat(node.grantsPreVote()).isTrue();
    }

    @Test
    void aQuickRestartHoldsWhatIsLeftOfThePromise() {
        ManualEnvironment node = new ManualEnvironment(5_000);
        node.crashAndRestartAfter(60); // 6 ticks down, counted as 5: 10 of the 15 ticks are left
        assertThat(node.grantsPreVote()).isFalse();
        for (int t = 0; t < 9; t++) {
            node.host.tick();
        }
        assertThat(node.grantsPreVote()).as("one tick before the rest has passed").isFalse();
        node.host.tick();
        assertThat(node.grantsPreVote()).isTrue();
    }
}
