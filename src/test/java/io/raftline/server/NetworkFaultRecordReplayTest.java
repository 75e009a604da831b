package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Records of the network's faults are state, read again on purpose (the cluster manager's map, the other processes'
 * answers), so they carry no nonce: what keeps a sealed record captured earlier from being put in force again over a
 * newer one is its version. A process holding a record takes a replayed older one as a no-op, however often it comes
 * and whoever sends it; the same record read again is a no-op too.
 */
class NetworkFaultRecordReplayTest {

    private static final String SECRET = "a-cluster-secret-of-32-characters";
    private static final List<Set<Integer>> SPLIT = List.of(Set.of(1, 2), Set.of(3));

    private static FaultControl control() {
        Map<Integer, RaftNode> none = new ConcurrentHashMap<>();
        return new FaultControl(none, () -> List.of(1, 2, 3), new NetworkConditioner(1), new LinkFaults(2),
                new EventPublisher(List.of(1, 2, 3)));
    }

    @Test
    void aReplayedOlderRecordDoesNotReplaceANewerOne() {
        FaultControl making = control();
        NetworkFaultRecord maker = new NetworkFaultRecord(making, 2, SECRET);
        making.setNetwork(new NetworkFaults(SPLIT, 0, 0, 0, 0));
        String partitioned = maker.next(making.clusterState(), 0).sealed();
        making.heal();
        String healed = maker.next(making.clusterState(), 0).sealed();

        FaultControl holding = control();
        NetworkFaultRecord holder = new NetworkFaultRecord(holding, 1, SECRET);
        assertThat(holder.received(partitioned)).isTrue();
        assertThat(holding.network().partitions()).isEqualTo(SPLIT);
        assertThat(holder.received(healed)).isTrue();
        assertThat(holding.network().partitions()).isEmpty();
        for (int i = 0; i < 3; i++) {
            assertThat(holder.received(partitioned)).as("the captured partition, replayed").isFalse();
            assertThat(holder.received(healed)).as("the record in force, read again").isFalse();
        }
        assertThat(holding.network().partitions()).isEmpty();
        assertThat(holder.version()).isEqualTo(2);
        assertThat(new JsonObject(holder.record()).getString("change")).contains("\"version\":2");
    }
}
