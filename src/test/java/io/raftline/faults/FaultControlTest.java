package io.raftline.faults;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.node.MemoryLogStore;
import io.raftline.node.NodeListener;
import io.raftline.node.NodeOptions;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Node faults through {@link FaultControl} on one real node: the network's mark of a paused node must follow the
 * node's own state, so that a node that runs again after a crash is not left cut off by a pause it no longer has.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class FaultControlTest {

    private NetworkConditioner network;
    private RaftNodeVerticle node;
    private FaultControl faults;

    @BeforeEach
    void start(Vertx vertx) throws InterruptedException {
        RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(150, 300).build();
        network = new NetworkConditioner(1);
        node = new RaftNodeVerticle(new NodeOptions(raft, 11, 100, 2_000),
                new EventBusTransport(vertx, network, (m, why) -> { }), new MemoryLogStore(), NodeListener.NONE);
        await(vertx.deployVerticle(node));
        eventually("node 1 leads", () -> node.status().map(s -> s.role() == Role.LEADER));
        Map<Integer, RaftNodeVerticle> nodes = new ConcurrentSkipListMap<>(Map.of(1, node));
        faults = new FaultControl(nodes, () -> List.of(1, 2), network, new LinkFaults(1),
                new EventPublisher(List.of(1, 2)));
    }

    /** What the fault state says of node 1: in the network's paused list, and paused as the node itself reports. */
    private void assertPausedEverywhere(boolean paused) throws InterruptedException {
        JsonObject state = await(faults.state());
        assertThat(state.getJsonArray("pausedNodes").contains(1)).as("pausedNodes lists node 1").isEqualTo(paused);
        assertThat(state.getJsonArray("nodes").getJsonObject(0).getBoolean("paused")).as("node 1 is paused")
                .isEqualTo(paused);
        assertThat(network.blocked(1, 2)).as("the network's verdict on node 1's messages")
                .isEqualTo(paused ? "paused" : null);
    }

    @Test
    void aCrashEndsAPauseInTheNetworkAsInTheNode() throws InterruptedException {
        await(faults.apply(1, NodeFault.PAUSE));
        assertPausedEverywhere(true);

        await(faults.apply(1, NodeFault.CRASH));
        await(faults.apply(1, NodeFault.RESTART));
        eventually("node 1 leads again", () -> node.status().map(s -> s.up() && s.role() == Role.LEADER));

        // The node runs unpaused after its restart: its messages must go out again.
        assertPausedEverywhere(false);
    }

    @Test
    void pausingACrashedNodeDoesNotCutItOffOnceRestarted() throws InterruptedException {
        await(faults.apply(1, NodeFault.CRASH));
        await(faults.apply(1, NodeFault.PAUSE));
        assertThat(await(node.status()).paused()).as("a crashed node does not pause").isFalse();
        assertPausedEverywhere(false);

        await(faults.apply(1, NodeFault.RESTART));
        eventually("node 1 leads again", () -> node.status().map(s -> s.up() && s.role() == Role.LEADER));
        assertPausedEverywhere(false);
    }
}
