package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The tick gate keeps the core's clock from running ahead of real time, whatever the timer does. */
class TickGateTest {

    private static final long TICK = 10_000_000;

    @Test
    void aCatchUpBurstAfterAStallYieldsAtMostTwoTicks() {
        TickGate gate = new TickGate(TICK, 0);
        assertThat(gate.due(TICK)).isTrue();
        // Stopped for a second: a fixed-rate timer then fires its 100 missed runs back to back.
        long resumed = TICK + 1_000_000_000L;
        int ticks = 0;
        for (int i = 0; i < 100; i++) {
            if (gate.due(resumed + i)) {
                ticks++;
            }
        }
        assertThat(ticks).isEqualTo(2);
        assertThat(gate.due(resumed + TICK)).as("then one per tick of real time again").isTrue();
    }

    @Test
    void aLateFiringFollowedByAnOnScheduleOneLosesNoTick() {
        TickGate gate = new TickGate(TICK, 0);
        assertThat(gate.due(TICK + TICK / 2)).isTrue(); // late by half a tick
        assertThat(gate.due(2 * TICK)).as("on schedule again: not lost").isTrue();
        assertThat(gate.due(3 * TICK)).isTrue();
    }

    /**
     * Over any window of real time, the ticks let through never exceed the elapsed ticks plus two: what the
     * lease duration ({@code electionTicksMin - 2}) relies on.
     */
    @Property(tries = 300)
    void ticksNeverRunAheadOfRealTimeByMoreThanTwo(
            @ForAll @Size(min = 1, max = 400) List<@IntRange(min = 0, max = 30_000_000) Integer> gaps) {
        TickGate gate = new TickGate(TICK, 0);
        List<Long> ticks = new ArrayList<>();
        long now = 0;
        for (int gap : gaps) {
            now += gap;
            if (gate.due(now)) {
                ticks.add(now);
            }
        }
        for (int i = 0; i < ticks.size(); i++) {
            for (int j = i; j < ticks.size(); j++) {
                long elapsed = ticks.get(j) - ticks.get(i);
                // ticks at i..j inclusive, counted from just before tick i
                assertThat((long) (j - i + 1)).isLessThanOrEqualTo(elapsed / TICK + 2);
            }
        }
    }
    /**
     * Replicas of one process start their tick timers at the next multiple of the tick on the monotonic clock, so
     * that they fire in the same pass of the event loop (RaftNodeVerticle): the delay is 1 to one tick, and two
     * timers started at different moments of one period land on the same beat.
     */
    @Test
    void timersStartedWithinOnePeriodFireOnTheSameBeat() {
        assertThat(RaftNodeVerticle.alignedDelayMs(10, 0)).isEqualTo(10);
        assertThat(RaftNodeVerticle.alignedDelayMs(10, 3_000_000)).isEqualTo(7);
        assertThat(RaftNodeVerticle.alignedDelayMs(10, 9_999_999)).isEqualTo(1);
        assertThat(RaftNodeVerticle.alignedDelayMs(10, -1_000_000)).as("nanoTime may be negative").isEqualTo(1);
        long a = 1_234_560_000_000L + 1_500_000;
        long b = a + 6_000_000;
        assertThat(a / 1_000_000 + RaftNodeVerticle.alignedDelayMs(10, a))
                .isEqualTo(b / 1_000_000 + RaftNodeVerticle.alignedDelayMs(10, b));
    }

    /**
     * The gate a replica starts ticking with lets the first aligned firing through (a period before it counts as the
     * last tick), but not when a tick was delivered less than a tick's time before it (quiet bursts before a wake).
     */
    @Test
    void theFirstAlignedFiringTicksUnlessATickWasDeliveredJustBefore() {
        long now = 3_000_000;
        long first = now + RaftNodeVerticle.alignedDelayMs(10, now) * 1_000_000;
        assertThat(RaftNodeVerticle.firstGate(10, now, Long.MIN_VALUE).due(first)).isTrue();
        TickGate afterQuiet = RaftNodeVerticle.firstGate(10, now, now - 1_000_000);
        assertThat(afterQuiet.due(first)).as("only 8 ms after the last tick delivered").isFalse();
        assertThat(afterQuiet.due(first + TICK)).isTrue();
    }
}
