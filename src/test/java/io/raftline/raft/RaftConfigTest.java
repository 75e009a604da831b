package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RaftConfigTest {

    private static RaftConfig.Builder three() {
        return RaftConfig.builder(1, List.of(1, 2, 3));
    }

    @Test
    void defaultsMatchTheDocumentedValues() {
        RaftConfig c = three().build();
        assertThat(c.heartbeatMs()).isEqualTo(100);
        assertThat(c.electionTimeoutMinMs()).isEqualTo(500);
        assertThat(c.electionTimeoutMaxMs()).isEqualTo(1000);
        assertThat(c.snapshotIntervalEntries()).isEqualTo(100_000);
        assertThat(c.snapshotIntervalBytes()).isEqualTo(100L * 1024 * 1024);
        assertThat(c.maxLogSizeBytes()).isEqualTo(500L * 1024 * 1024);
        assertThat(c.heartbeatTicks()).isEqualTo(10);
        assertThat(c.electionTicksMin()).isEqualTo(50);
        assertThat(c.electionTicksMax()).isEqualTo(100);
        assertThat(c.quorum()).isEqualTo(2);
        assertThat(c.preVote()).isTrue();
        assertThat(c.checkQuorum()).isTrue();
    }

    @Test
    void rejectsNonPositiveId() {
        assertThatThrownBy(() -> RaftConfig.builder(0, List.of(0, 2, 3)).build())
                .isInstanceOf(ConfigException.class).hasMessage("id: must be > 0, got 0")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("id");
    }

    @Test
    void rejectsTwoMemberClusterAndAllowsExplicitSingleNode() {
        assertThatThrownBy(() -> RaftConfig.builder(1, List.of(1, 2)).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("members: a cluster needs at least 3 voting members (got 2)");
        assertThatThrownBy(() -> RaftConfig.builder(1, List.of(1)).build())
                .hasMessageContaining("set single_node=true");
        assertThat(RaftConfig.builder(1, List.of(1)).singleNode(true).build().quorum()).isEqualTo(1);
        assertThatThrownBy(() -> three().singleNode(true).build())
                .hasMessageStartingWith("single_node: a single-node bootstrap must list exactly one member");
    }

    @Test
    void rejectsDuplicateAndForeignMembers() {
        assertThatThrownBy(() -> RaftConfig.builder(1, List.of(1, 2, 2)).build())
                .hasMessage("members: duplicate id 2");
        assertThatThrownBy(() -> RaftConfig.builder(4, List.of(1, 2, 3)).build())
                .hasMessage("members: must contain this node's id 4, got [1, 2, 3]; leave it empty for a node that"
                        + " joins a running cluster");
    }

    @Test
    void anEmptyMembershipMakesAJoiningNode() {
        RaftConfig joining = RaftConfig.builder(4, List.of()).build();
        assertThat(joining.members()).isEmpty();
        // The other rules still apply to a joining node.
        assertThatThrownBy(() -> RaftConfig.builder(4, List.of()).heartbeatMs(5).build())
                .hasMessageStartingWith("heartbeat_ms: must be >= tick_ms");
        assertThatThrownBy(() -> RaftConfig.builder(4, List.of()).singleNode(true).build())
                .hasMessageStartingWith("single_node: a single-node bootstrap must list exactly one member");
    }

    @Test
    void electionTimeoutMustBeAtLeastTwiceTheHeartbeat() {
        assertThatThrownBy(() -> three().heartbeatMs(100).electionTimeoutMs(150, 300).build())
                .hasMessage("election_timeout_min_ms: must be at least 2 × heartbeat_ms (200), got 150");
        assertThatThrownBy(() -> three().electionTimeoutMs(600, 500).build())
                .hasMessage("election_timeout_max_ms: must be >= election_timeout_min_ms (600), got 500");
        assertThat(three().heartbeatMs(100).electionTimeoutMs(200, 200).build().electionTicksMin()).isEqualTo(20);
    }

    @Test
    void rejectsBadLimits() {
        assertThatThrownBy(() -> three().maxInflightMessages(0).build())
                .hasMessage("max_inflight_messages: must be > 0, got 0");
        assertThatThrownBy(() -> three().snapshotIntervalBytes(10).maxLogSizeBytes(5).build())
                .hasMessage("max_log_size_bytes: must be >= snapshot_interval_bytes (10), got 5");
        assertThatThrownBy(() -> three().tickMs(0).build()).hasMessage("tick_ms: must be > 0, got 0");
    }
}
