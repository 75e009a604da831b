package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * When a heartbeat's answer releases a probe-state follower's pause ({@link Progress#heartbeatAnswered}): at once for
 * a probe within the AppendEntries byte limit (etcd-raft's retry), after a heartbeat interval per byte limit for a
 * larger one, and never later than the cap.
 */
class ProgressTest {

    private static final int HEARTBEAT_TICKS = 5;
    private static final long LIMIT = 1024 * 1024;
    private static final int CAP = 120;

    private static Progress probing(long bytes) {
        Progress pr = new Progress(11, 256);
        pr.sentEntries(1, 11, bytes);
        assertThat(pr.isPaused()).isTrue();
        return pr;
    }

    private static void tick(Progress pr, int ticks) {
        for (int i = 0; i < ticks; i++) {
            pr.tick();
        }
    }

    @Test
    void aProbeWithinTheLimitIsReleasedByAnyAnswer() {
        Progress pr = probing(LIMIT);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).isFalse();
    }

    @Test
    void aLargerProbeWaitsAHeartbeatIntervalPerLimitItCarries() {
        Progress pr = probing(4 * LIMIT + 1); // 5 intervals: 25 ticks
        tick(pr, 24);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).as("24 ticks old").isTrue();
        tick(pr, 1);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).as("25 ticks old").isFalse();
    }

    @Test
    void theWaitIsCapped() {
        Progress pr = probing(64 * LIMIT); // 64 intervals: 320 ticks, capped at 120
        tick(pr, CAP - 1);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).isTrue();
        tick(pr, 1);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).isFalse();
    }

    @Test
    void aNewProbeStartsItsOwnWaitAndAnAnswerToItReleasesIt() {
        Progress pr = probing(64 * LIMIT);
        tick(pr, 100);
        pr.sentEntries(1, 11, 64 * LIMIT); // sent again (after a rejection)
        tick(pr, CAP - 1);
        pr.heartbeatAnswered(HEARTBEAT_TICKS, LIMIT, CAP);
        assertThat(pr.isPaused()).isTrue();
        assertThat(pr.maybeUpdate(11)).isTrue();
        assertThat(pr.isPaused()).as("the probe's own answer").isFalse();
    }
}
