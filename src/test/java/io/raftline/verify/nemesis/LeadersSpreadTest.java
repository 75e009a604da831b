package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * When {@link InJvmCluster#awaitLeadersSpread} stops waiting: the leaders as the balancer leaves them, over the nodes
 * that are up and not paused, every group led by one of them.
 */
class LeadersSpreadTest {

    /** A {@code /v1/cluster} answer: group g led by {@code leaders[g]}; node 3 up unless {@code down3}. */
    private static JsonObject described(boolean down3, boolean paused2, int... leaders) {
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            nodes.add(new JsonObject().put("id", id).put("up", !(down3 && id == 3)).put("paused", paused2 && id == 2));
        }
        JsonArray groups = new JsonArray();
        for (int g = 0; g < leaders.length; g++) {
            groups.add(new JsonObject().put("id", g).put("leader", leaders[g]));
        }
        return new JsonObject().put("leader", leaders[0]).put("nodes", nodes).put("groups", groups);
    }

    @Test
    void spreadWhenNoNodeLeadsTwoGroupsMoreThanAnother() {
        assertThat(InJvmCluster.leadersSpread(described(false, false, 1, 2, 3, 1))).isTrue();
        assertThat(InJvmCluster.leadersSpread(described(false, false, 1, 1, 3, 2))).isTrue();
        // 3-1-0 and 2-2-0: the balancer still moves a group (to node 3, leading none).
        assertThat(InJvmCluster.leadersSpread(described(false, false, 1, 1, 1, 2))).isFalse();
        assertThat(InJvmCluster.leadersSpread(described(false, false, 1, 1, 2, 2))).isFalse();
    }

    @Test
    void aGroupWithoutALeaderOrLedByANodeThatIsDownOrPausedIsNotSpread() {
        assertThat(InJvmCluster.leadersSpread(described(false, false, 1, 0, 3, 2))).isFalse();
        // Node 3 down: 2-2 over the two others is spread, 3-1 is not, and a group still led by node 3 is not.
        assertThat(InJvmCluster.leadersSpread(described(true, false, 1, 1, 2, 2))).isTrue();
        assertThat(InJvmCluster.leadersSpread(described(true, false, 1, 1, 1, 2))).isFalse();
        assertThat(InJvmCluster.leadersSpread(described(true, false, 1, 3, 2, 2))).isFalse();
        assertThat(InJvmCluster.leadersSpread(described(false, true, 1, 1, 3, 3))).isTrue();
        assertThat(InJvmCluster.leadersSpread(described(false, true, 1, 2, 3, 3))).isFalse();
    }

    @Test
    void aClusterOfOneGroupIsSpreadOnceItHasALeader() {
        assertThat(InJvmCluster.leadersSpread(new JsonObject().put("leader", 2))).isTrue();
        assertThat(InJvmCluster.leadersSpread(new JsonObject().put("leader", 0))).isFalse();
    }
}
