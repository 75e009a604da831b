package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three processes' {@link NetworkFaultSync}s on a clustered event bus, changed from two of them at once: whatever
 * order the bus delivers the changes in, every process ends with the same faults, those the cluster recorded last;
 * and a process that joins later puts them in force.
 */
class NetworkFaultSyncConvergenceTest {

    private final ClusteredInstances instances = new ClusteredInstances();

    @AfterEach
    void stop() throws Exception {
        instances.close();
    }

    private static FaultControl control() {
        Map<Integer, RaftNode> none = new ConcurrentHashMap<>();
        return new FaultControl(none, () -> List.of(1, 2, 3), new NetworkConditioner(1), new LinkFaults(2),
                new EventPublisher(List.of(1, 2, 3)));
    }

    @Test
    void changesMadeAtOnceOnTwoProcessesEndTheSameOnEveryProcess() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("raftline-faultsync-" + ProcessHandle.current().pid());
        List<FaultControl> controls = new ArrayList<>();
        List<NetworkFaultSync> syncs = new ArrayList<>();
        List<Vertx> vertx = new ArrayList<>();
        for (int id = 1; id <= 2; id++) {
            Vertx v = instances.join(base, id);
            FaultControl control = control();
            NetworkFaultSync sync = new NetworkFaultSync(v, control, id);
            await(sync.start(), ClusteredInstances.WAIT);
            vertx.add(v);
            controls.add(control);
            syncs.add(sync);
        }
        // Forty changes, alternating between the two processes, none waiting for the one before.
        for (int i = 0; i < 40; i++) {
            FaultControl on = controls.get(i % 2);
            on.setNetwork(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), i / 100.0, 0, 0, 0));
            on.setLink(1 + i % 2, 3, new LinkFaults.Condition(0, i, i + 1), false);
        }
        for (NetworkFaultSync s : syncs) {
            await(s.shared(), ClusteredInstances.WAIT);
        }
        String recorded = await(vertx.get(0).sharedData().<String, String>getClusterWideMap(NetworkFaultSync.MAP)
                .compose(m -> m.get(NetworkFaultSync.KEY)), ClusteredInstances.WAIT);
        JsonObject last = new JsonObject(recorded);
        assertThat(last.getLong("version")).isPositive();
        for (int p = 0; p < 2; p++) {
            FaultControl control = controls.get(p);
            eventually("process " + (p + 1) + " holding the change recorded last", ClusteredInstances.WAIT,
                    () -> control.clusterState().equals(last.getJsonObject("state")));
        }

        // A process that joins afterwards reads it.
        Vertx third = instances.join(base, 3);
        FaultControl late = control();
        NetworkFaultSync lateSync = new NetworkFaultSync(third, late, 3);
        await(lateSync.start(), ClusteredInstances.WAIT);
        eventually("the process started later holding it", ClusteredInstances.WAIT,
                () -> late.clusterState().equals(last.getJsonObject("state")));
        assertThat(late.network().partitions()).containsExactly(Set.of(1), Set.of(2, 3));
        syncs.forEach(NetworkFaultSync::stop);
        lateSync.stop();
    }
}
