package io.raftline.api.resp;

import static io.raftline.api.resp.RawResp.array;
import static io.raftline.api.resp.RawResp.bulk;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.shard.KeyGroups;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Redis protocol on a cluster sharded over 4 Raft groups: what a pipelining client sends works as on one group,
 * though one command may only write the keys of one group.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RespShardedClusterTest {

    private static final int GROUPS = 4;
    private static final KeyGroups MAP = new KeyGroups(GROUPS);

    private InJvmCluster harness;
    /** One key of each group, {@code keys.get(g)} in group g. */
    private final List<String> keys = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 17, 3000).put("groups", GROUPS);
        config.getJsonObject("raft").put("heartbeat_ms", 100).put("election_timeout_min_ms", 1500)
                .put("election_timeout_max_ms", 3000);
        harness = InJvmCluster.builder(config).start();
        for (int g = 0; g < GROUPS; g++) {
            for (int i = 0; ; i++) {
                if (MAP.groupOf("sh:" + i) == g && !keys.contains("sh:" + i)) {
                    keys.add("sh:" + i);
                    break;
                }
            }
        }
        // Every group has a leader once a write of one of its keys, alone, is answered.
        for (String key : keys) {
            eventually("group " + MAP.groupOf(key) + " takes writes", Duration.ofSeconds(30),
                    () -> exchange(1, array("SET", key, "0") + array("QUIT")).equals("+OK\r\n+OK\r\n"));
        }
        // And the balancer's moves of the first seconds are over: none changes a group's leader under a pipeline.
        harness.awaitLeadersSpread(Duration.ofSeconds(45));
    }

    @AfterAll
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private String exchange(int node, String request) throws Exception {
        return RawResp.exchange(harness.vertx(), harness.verticle().respAddress(node), request, Integer.MAX_VALUE);
    }

    @Test
    void pipelinedSetsOfKeysInDifferentGroupsAreEachAnsweredAndApplied() throws Exception {
        // Interleaved groups, a key of group 0 set twice: each group's SETs are one write, the last value wins.
        StringBuilder sets = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int round = 0; round < 3; round++) {
            for (String key : keys) {
                sets.append(array("SET", key, key + "=" + round));
                expected.append("+OK\r\n");
            }
        }
        sets.append(array("SET", keys.get(0), "last"));
        expected.append("+OK\r\n");
        for (int node = 1; node <= 3; node++) {
            assertThat(exchange(node, sets + array("QUIT"))).as("pipeline on node %d", node)
                    .isEqualTo(expected + "+OK\r\n");
        }
        // Each value as written, read through another connection after the replies.
        StringBuilder gets = new StringBuilder();
        StringBuilder values = new StringBuilder(bulk("last"));
        for (String key : keys) {
            gets.append(array("GET", key));
        }
        for (String key : keys.subList(1, GROUPS)) {
            values.append(bulk(key + "=2"));
        }
        assertThat(exchange(2, gets + array("QUIT"))).isEqualTo(values + "+OK\r\n");
    }

    @Test
    void anMsetOfKeysInDifferentGroupsIsRefusedAsCrossSlot() throws Exception {
        assertThat(exchange(1, array("MSET", keys.get(0), "x", keys.get(1), "y") + array("QUIT")))
                .startsWith("-CROSSSLOT cross_group: ").endsWith("+OK\r\n");
        // MSETNX as well (its comparisons of absence name the same keys), and nothing of it is written.
        String a = "nx:0";
        String b = a;
        for (int i = 1; MAP.groupOf(b) == MAP.groupOf(a); i++) {
            b = "nx:" + i;
        }
        assertThat(exchange(2, array("MSETNX", a, "x", b, "y") + array("EXISTS", a, b) + array("QUIT")))
                .startsWith("-CROSSSLOT cross_group: ").endsWith(":0\r\n+OK\r\n");
    }

    /** A RENAME's two keys must belong to one group, as in a Redis cluster: refused as CROSSSLOT, nothing moved. */
    @Test
    void aRenameAcrossGroupsIsRefusedAsCrossSlotAndWithinOneMoves() throws Exception {
        String a = "rn:0";
        String other = a;
        for (int i = 1; MAP.groupOf(other) == MAP.groupOf(a); i++) {
            other = "rn:" + i;
        }
        String same = other;
        for (int i = 1; MAP.groupOf(same) != MAP.groupOf(a); i++) {
            same = "rn:" + i;
        }
        assertThat(exchange(2, array("SET", a, "v") + array("RENAME", a, other) + array("QUIT")))
                .startsWith("+OK\r\n-CROSSSLOT cross_group: ").endsWith("+OK\r\n");
        assertThat(exchange(3, array("RENAME", a, same) + array("MGET", a, same) + array("QUIT")))
                .isEqualTo("+OK\r\n*2\r\n$-1\r\n$1\r\nv\r\n+OK\r\n");
    }

    /** A MULTI's keys must belong to one group, as an MSET's: EXEC is refused as CROSSSLOT and writes nothing. */
    @Test
    void aTransactionOfKeysInDifferentGroupsIsRefusedAsCrossSlot() throws Exception {
        String k0 = keys.get(0);
        String k1 = keys.get(1);
        String reply = exchange(2, array("MULTI") + array("SET", k0, "tx") + array("SET", k1, "tx") + array("EXEC")
                + array("MGET", k0, k1) + array("MULTI") + array("SET", k1, "one") + array("GET", k1)
                + array("EXEC") + array("QUIT"));
        assertThat(reply).startsWith("+OK\r\n+QUEUED\r\n+QUEUED\r\n-CROSSSLOT cross_group: ");
        assertThat(reply).doesNotContain("$2\r\ntx\r\n")
                .endsWith("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$3\r\none\r\n+OK\r\n");
    }
}
