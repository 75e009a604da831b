package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Partitions, loss, delay, duplication and pauses decide each message's fate; bad settings name the field. */
class NetworkConditionerTest {

    private static final List<Integer> NODES = List.of(1, 2, 3, 4, 5);

    @Test
    void partitionsCutLinksBetweenGroupsOnly() {
        NetworkConditioner c = new NetworkConditioner(1);
        c.setFaults(NetworkFaults.fromJson(new JsonObject("{\"partitions\":[[1,2],[3]]}"), NODES));
        assertThat(c.decide(1, 2).dropped()).isFalse();
        assertThat(c.decide(1, 3).dropReason()).isEqualTo("partition");
        assertThat(c.decide(3, 2).dropReason()).isEqualTo("partition");
        // 4 and 5 are in no group: together they form the rest.
        assertThat(c.decide(4, 5).dropped()).isFalse();
        assertThat(c.decide(4, 1).dropped()).isTrue();
        c.heal();
        assertThat(c.decide(1, 3).dropped()).isFalse();
    }

    @Test
    void dropDelayAndDuplicateFollowTheRatesWithASeededRandom() {
        NetworkConditioner c = new NetworkConditioner(7);
        c.setFaults(NetworkFaults.fromJson(new JsonObject("{\"dropRate\":0.25,\"delayMs\":[5,50],\"duplicateRate\":0.5}"),
                NODES));
        int dropped = 0;
        int duplicated = 0;
        for (int i = 0; i < 4000; i++) {
            NetworkConditioner.Verdict v = c.decide(1, 2);
            if (v.dropped()) {
                dropped++;
                assertThat(v.dropReason()).isEqualTo("drop");
                continue;
            }
            if (v.delaysMs().length == 2) {
                duplicated++;
            }
            for (long d : v.delaysMs()) {
                assertThat(d).isBetween(5L, 50L);
            }
        }
        assertThat(dropped).isBetween(850, 1150);
        assertThat(duplicated).isBetween(1300, 1700);
        // Same seed, same choices.
        NetworkConditioner a = new NetworkConditioner(3);
        NetworkConditioner b = new NetworkConditioner(3);
        NetworkFaults f = new NetworkFaults(List.of(), 0.5, 0, 100, 0.5);
        a.setFaults(f);
        b.setFaults(f);
        for (int i = 0; i < 100; i++) {
            NetworkConditioner.Verdict va = a.decide(1, 2);
            NetworkConditioner.Verdict vb = b.decide(1, 2);
            assertThat(va.dropReason()).isEqualTo(vb.dropReason());
            assertThat(va.delaysMs()).isEqualTo(vb.delaysMs());
        }
    }

    @Test
    void pausedNodesLoseTrafficBothWays() {
        NetworkConditioner c = new NetworkConditioner(1);
        c.setPaused(2, true);
        assertThat(c.decide(1, 2).dropReason()).isEqualTo("paused");
        assertThat(c.decide(2, 3).dropReason()).isEqualTo("paused");
        assertThat(c.pausedNodes()).isEqualTo(Set.of(2));
        assertThat(c.toJson().getJsonArray("pausedNodes").encode()).isEqualTo("[2]");
        c.setPaused(2, false);
        assertThat(c.decide(1, 2).dropped()).isFalse();
    }

    @Test
    void invalidSettingsNameTheField() {
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"dropRate\":1.5}"), NODES))
                .isInstanceOf(ConfigException.class).extracting(e -> ((ConfigException) e).field()).isEqualTo("dropRate");
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"duplicateRate\":\"x\"}"), NODES))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("duplicateRate");
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"delayMs\":[1]}"), NODES))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("delayMs");
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"partitions\":[[1,2],[2]]}"), NODES))
                .hasMessageContaining("more than one group");
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"partitions\":[[7]]}"), NODES))
                .hasMessageContaining("unknown node id 7");
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"partitions\":[[1,2],[]]}"), NODES))
                .hasMessage("partitions: each group must name at least one node id, got [] (no partition:"
                        + " \"partitions\": [])");
        assertThat(NetworkFaults.fromJson(new JsonObject("{\"partitions\":[]}"), NODES).partitions()).isEmpty();
        assertThatThrownBy(() -> NetworkFaults.fromJson(new JsonObject("{\"partition\":[]}"), NODES))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("partition");
        JsonObject json = NetworkFaults.fromJson(new JsonObject(
                "{\"partitions\":[[2,1],[3]],\"dropRate\":0.1,\"delayMs\":[5,50],\"duplicateRate\":0.0}"), NODES).toJson();
        assertThat(json.encode()).isEqualTo(
                "{\"partitions\":[[1,2],[3]],\"dropRate\":0.1,\"delayMs\":[5,50],\"duplicateRate\":0.0}");
    }

    @Test
    void aRateOfNegativeZeroReadsBackAsZero() {
        // -0.0 equals 0 and passes the range check; it was echoed as "dropRate":-0.0 in the fault state.
        JsonObject sent = new JsonObject("{\"dropRate\":-0.0,\"duplicateRate\":-0.0,\"delayMs\":[1,2]}");
        assertThat(sent.getValue("dropRate")).as("the request as parsed").isEqualTo(-0.0);
        NetworkFaults faults = NetworkFaults.fromJson(sent, NODES);
        assertThat(faults.toJson().encode()).isEqualTo(
                "{\"partitions\":[],\"dropRate\":0.0,\"delayMs\":[1,2],\"duplicateRate\":0.0}");
        assertThat(new NetworkFaults(List.of(), -0.0, 0, 0, -0.0)).isEqualTo(NetworkFaults.NONE);
        LinkFaults links = new LinkFaults(1);
        links.set(1, 2, new LinkFaults.Condition(-0.0, 5, 10));
        assertThat(links.toJson().encode()).isEqualTo("[{\"from\":1,\"to\":2,\"dropRate\":0.0,\"delayMs\":[5,10]}]");
    }

    @Test
    void copiesHeldBackByADelayAreListedPerSenderUntilTheyLeave() {
        NetworkConditioner c = new NetworkConditioner(1);
        long a = c.enteredNetwork(new io.raftline.raft.message.Heartbeat(1, 2, 1, 0, 0), 500);
        c.enteredNetwork(new io.raftline.raft.message.Heartbeat(1, 3, 1, 0, 0), 100);
        c.enteredNetwork(new io.raftline.raft.message.HeartbeatResponse(2, 1, 1, 0), 100);
        assertThat(c.inNetworkFrom(1)).extracting(h -> h.message().to()).containsExactly(3, 2); // soonest first
        c.leftNetwork(a);
        assertThat(c.inNetworkFrom(1)).extracting(h -> h.message().to()).containsExactly(3);
        assertThat(c.inNetworkFrom(2)).hasSize(1);
    }
}
