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
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.LinkFaultTransport;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.raftline.transport.OnContext;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Node faults through {@link FaultControl} on one real node: the network's mark of a paused node must follow the
 * node's own state, so that a node that runs again after a crash is not left cut off by a pause it no longer has; and
 * a crash loses what the network held back for or from the node, so that none of it reaches its next incarnation.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class FaultControlTest {

    private NetworkConditioner network;
    private LinkFaults links;
    private Transport transport;
    private RaftNodeVerticle node;
    private FaultControl faults;
    /** What became of the messages node 1 was sent: {@code received}, or the reason it was lost. */
    private final List<String> fates = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start(Vertx vertx) throws InterruptedException {
        RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(150, 300).build();
        network = new NetworkConditioner(1);
        links = new LinkFaults(1);
        EventBusTransport.DropListener drops = (m, why) -> fates.add(why);
        transport = new LinkFaultTransport(vertx, new EventBusTransport(vertx, network, drops), links, network, drops);
        NodeListener listener = new NodeListener() {
            @Override
            public void messageReceived(Message m) {
                fates.add("received");
            }

            @Override
            public void messageDropped(Message m, String reason) {
                fates.add(reason);
            }
        };
        node = new RaftNodeVerticle(new NodeOptions(raft, 11, 100, 2_000), transport, new MemoryLogStore(), listener);
        await(vertx.deployVerticle(node));
        eventually("node 1 leads", () -> node.status().map(s -> s.role() == Role.LEADER));
        Map<Integer, RaftNodeVerticle> nodes = new ConcurrentSkipListMap<>(Map.of(1, node));
        faults = new FaultControl(nodes, () -> List.of(1, 2), network, links, new EventPublisher(List.of(1, 2)));
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

    /**
     * Sends node 1 a heartbeat of a stale term from node 2 (held back 1 s by the network or the link), crashes node 1
     * and restarts it: the copy was on its way to the incarnation that crashed, and must not reach the new one.
     */
    private void heldAcrossACrashOfTheReceiver(Vertx vertx) throws InterruptedException {
        Context context = vertx.getOrCreateContext();
        OnContext.run(context, () -> transport.send(new Heartbeat(2, 1, 0, 0, 0)));
        await(faults.apply(1, NodeFault.CRASH));
        await(faults.apply(1, NodeFault.RESTART));
        eventually("the held copy landed or was lost", () -> !fates.isEmpty());
        assertThat(fates).containsExactly("receiver down");
        eventually("node 1 leads again", () -> node.status().map(s -> s.up() && s.role() == Role.LEADER));
        assertThat(network.inNetworkFrom(2)).isEmpty();
    }

    @Test
    void aCopyTheNetworkHeldForACrashedNodeDoesNotReachItsNextIncarnation(Vertx vertx) throws InterruptedException {
        network.setFaults(new NetworkFaults(List.of(), 0, 1_000, 1_000, 0));
        heldAcrossACrashOfTheReceiver(vertx);
    }

    @Test
    void aCopyALinkHeldForACrashedNodeDoesNotReachItsNextIncarnation(Vertx vertx) throws InterruptedException {
        links.set(2, 1, new LinkFaults.Condition(0, 1_000, 1_000));
        heldAcrossACrashOfTheReceiver(vertx);
    }

    @Test
    void aCopyTheNetworkHeldFromACrashedNodeStillLands(Vertx vertx) throws InterruptedException {
        network.setFaults(new NetworkFaults(List.of(), 0, 1_000, 1_000, 0));
        Context context = vertx.getOrCreateContext();
        List<Message> atNode2 = new CopyOnWriteArrayList<>();
        await(OnContext.call(context, () -> transport.register(2, atNode2::add)));
        // As node 1 would send it: already on the wire when node 1 crashes, it still reaches node 2.
        OnContext.run(context, () -> transport.send(new Heartbeat(1, 2, 0, 0, 0)));
        await(faults.apply(1, NodeFault.CRASH));
        await(faults.apply(1, NodeFault.RESTART));
        eventually("the held copy landed or was lost", () -> !fates.isEmpty() || !atNode2.isEmpty());
        assertThat(fates).isEmpty();
        assertThat(atNode2).containsExactly(new Heartbeat(1, 2, 0, 0, 0));
    }

    @Test
    void aCopySentAfterTheRestartArrives(Vertx vertx) throws InterruptedException {
        network.setFaults(new NetworkFaults(List.of(), 0, 50, 50, 0));
        await(faults.apply(1, NodeFault.CRASH));
        await(faults.apply(1, NodeFault.RESTART));
        OnContext.run(vertx.getOrCreateContext(), () -> transport.send(new Heartbeat(2, 1, 0, 0, 0)));
        eventually("the copy landed or was lost", () -> !fates.isEmpty());
        assertThat(fates).containsExactly("received");
    }
}
