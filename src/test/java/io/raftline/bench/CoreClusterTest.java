package io.raftline.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The benchmark's harness commits what it claims, on all three nodes, with and without compaction. */
class CoreClusterTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 16, 64, 1024})
    void commitsEveryProposalOnAllNodes(int inFlight) {
        CoreCluster c = new CoreCluster(inFlight, 3_000, 2L * inFlight + 500);
        c.electLeader();
        assertThat(c.runUntilCommitted(5_000)).isGreaterThanOrEqualTo(5_000);
        assertThat(c.runUntilCommitted(5_000)).isGreaterThanOrEqualTo(10_000);
        String summary = c.drainAndCheck();
        assertThat(summary).startsWith("checked:");
        assertThat(c.compactions()).isPositive();
        assertThat(c.committed()).isGreaterThanOrEqualTo(10_000);
    }

    @Test
    void noProposalsIsAFailure() {
        CoreCluster c = new CoreCluster(16);
        c.electLeader();
        assertThatThrownBy(c::drainAndCheck).isInstanceOf(IllegalStateException.class).hasMessageContaining("proposed");
    }
}
