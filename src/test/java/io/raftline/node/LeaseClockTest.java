package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.LeaseRead;
import org.junit.jupiter.api.Test;

/** A lease the core vouches for in ticks holds only while real time agrees. */
class LeaseClockTest {

    private static final long MS = 1_000_000;

    @Test
    void aLeaseHoldsForItsDurationFromWhenTheRoundWasSent() {
        LeaseClock clock = new LeaseClock(200 * MS);
        clock.heartbeatSent(7, 1_000 * MS);
        clock.heartbeatSent(7, 1_050 * MS); // the same round again: the first send counts
        assertThat(clock.holds(new LeaseRead(42, 7), 1_199 * MS)).isTrue();
        assertThat(clock.holds(new LeaseRead(42, 7), 1_200 * MS)).isFalse();
    }

    @Test
    void afterAStallTheLeaseIsGoneWhateverTheTicksSay() {
        LeaseClock clock = new LeaseClock(200 * MS);
        clock.heartbeatSent(3, 0);
        // The node was stopped for three seconds; its ticks did not move, real time did.
        assertThat(clock.holds(new LeaseRead(10, 3), 3_000 * MS)).isFalse();
    }

    @Test
    void aRoundNeverSeenLeavingVouchesForNothingButASingleNodeNeedsNoRound() {
        LeaseClock clock = new LeaseClock(200 * MS);
        assertThat(clock.holds(new LeaseRead(5, 9), 0)).isFalse();
        assertThat(clock.holds(new LeaseRead(5, 0), 10_000 * MS)).isTrue();
    }
}
