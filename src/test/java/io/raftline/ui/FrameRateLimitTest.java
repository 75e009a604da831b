package io.raftline.ui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FrameRateLimitTest {

    private static final long MS = 1_000_000L;

    @Test
    void aSecondsWorthIsAdmittedThenFramesWaitForTheBucketToRefill() {
        FrameRateLimit limit = new FrameRateLimit(10);
        for (int i = 0; i < 10; i++) {
            assertThat(limit.admit(0)).isEqualTo(FrameRateLimit.Verdict.ADMIT);
        }
        assertThat(limit.admit(0)).isEqualTo(FrameRateLimit.Verdict.REFUSE);
        assertThat(limit.admit(50 * MS)).isEqualTo(FrameRateLimit.Verdict.REFUSE); // half a frame refilled
        assertThat(limit.admit(110 * MS)).isEqualTo(FrameRateLimit.Verdict.ADMIT); // 1.1 frames refilled
        assertThat(limit.admit(110 * MS)).isEqualTo(FrameRateLimit.Verdict.REFUSE);
    }

    @Test
    void manyRefusalsWithinASecondAreAFlood() {
        FrameRateLimit limit = new FrameRateLimit(1);
        assertThat(limit.admit(0)).isEqualTo(FrameRateLimit.Verdict.ADMIT);
        for (int i = 1; i < FrameRateLimit.FLOOD_REFUSALS; i++) {
            assertThat(limit.admit(i)).isEqualTo(FrameRateLimit.Verdict.REFUSE);
        }
        assertThat(limit.admit(FrameRateLimit.FLOOD_REFUSALS)).isEqualTo(FrameRateLimit.Verdict.CLOSE);
    }

    @Test
    void refusalsSpreadOverTimeAreNotAFlood() {
        FrameRateLimit limit = new FrameRateLimit(1);
        for (int s = 0; s < 300; s++) {
            long t = s * 400 * MS; // 2.5 frames a second against a budget of 1: some refused, never a flood
            assertThat(limit.admit(t)).isNotEqualTo(FrameRateLimit.Verdict.CLOSE);
        }
    }
}
