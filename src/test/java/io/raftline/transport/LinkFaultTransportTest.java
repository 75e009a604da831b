package io.raftline.transport;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A copy a link's delay holds back ({@link LinkFaultTransport}, the live view's per-link controls) is "in the network"
 * exactly as one the cluster-wide delay holds ({@link ConditionedSendTest}): lost if its link is cut while it is held,
 * even by a cut that heals before it lands, and never sent into a cut; and it meets each fault once, the link's when
 * it is sent and the network's when it leaves the link. An audit's finding: the link's timer handed the copy to the
 * inner transport when it landed, which only looked at the link as it was then.
 */
class LinkFaultTransportTest {

    private static final Heartbeat HEARTBEAT = new Heartbeat(1, 2, 1, 0, 0);
    private static final NetworkFaults CUT_1 = new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0);

    private Vertx vertx;
    private Context context;
    private NetworkConditioner conditioner;
    private LinkFaults links;
    private Transport transport;
    private final List<Message> received = new CopyOnWriteArrayList<>();
    private final List<String> drops = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws InterruptedException {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        conditioner = new NetworkConditioner(1);
        links = new LinkFaults(1);
        links.set(1, 2, new LinkFaults.Condition(0, 200, 200));
        EventBusTransport.DropListener dropped = (m, reason) -> drops.add(reason);
        transport = new LinkFaultTransport(vertx, new EventBusTransport(vertx, conditioner, dropped), links,
                conditioner, dropped);
        await(OnContext.call(context, () -> transport.register(2, received::add)));
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /**
     * Sends a heartbeat from 1 to 2 (held 200 ms by the link), then runs {@code meanwhile} in the same task, and waits
     * until {@code copies} copies landed or were lost.
     */
    private void sendThen(Runnable meanwhile, int copies) throws InterruptedException {
        OnContext.run(context, () -> {
            transport.send(HEARTBEAT);
            meanwhile.run();
        });
        eventually("the held copies landed or were lost", () -> received.size() + drops.size() == copies);
        assertThat(conditioner.inNetworkFrom(1)).as("nothing held any more").isEmpty();
    }

    /**
     * With one node per process, a partition set on one process (its admin port or live view) cuts its node's links
     * both ways: what another process's node sends it, not knowing the partition, is lost when it arrives. Before, only
     * the node's own sends were cut, and the leader's heartbeats kept the "isolated" node a follower.
     */
    @Test
    void aPartitionOnlyTheReceivingProcessKnowsCutsWhatArrives() throws Exception {
        // The other process: node 1's, with a network of its own that knows no partition.
        NetworkConditioner otherNetwork = new NetworkConditioner(2);
        List<String> otherDrops = new CopyOnWriteArrayList<>();
        EventBusTransport.DropListener otherDropped = (m, reason) -> otherDrops.add(reason);
        Transport other = new LinkFaultTransport(vertx, new EventBusTransport(vertx, otherNetwork, otherDropped),
                new LinkFaults(2), otherNetwork, otherDropped);
        Heartbeat first = new Heartbeat(1, 2, 1, 0, 1);
        OnContext.run(context, () -> other.send(first));
        eventually("the heartbeat arrives", () -> received.size() == 1);

        conditioner.setFaults(new NetworkFaults(List.of(Set.of(2), Set.of(1, 3)), 0, 0, 0, 0));
        OnContext.run(context, () -> other.send(new Heartbeat(1, 2, 1, 0, 2)));
        eventually("the heartbeat cut where it arrives", () -> drops.size() == 1);
        assertThat(drops).containsExactly("partition");
        assertThat(otherDrops).as("the sender's process saw no cut").isEmpty();

        conditioner.setFaults(NetworkFaults.NONE);
        Heartbeat healed = new Heartbeat(1, 2, 1, 0, 3);
        OnContext.run(context, () -> other.send(healed));
        eventually("the heartbeat arrives once healed", () -> received.size() == 2);
        assertThat(received).containsExactly(first, healed);
    }

    @Test
    void aCopyHeldWhileAPartitionCameAndWentIsLost() throws Exception {
        sendThen(() -> {
            conditioner.setFaults(CUT_1);
            conditioner.setFaults(NetworkFaults.NONE);
        }, 1);
        assertThat(received).isEmpty();
        assertThat(drops).containsExactly("partition");
    }

    @Test
    void aCopyHeldWhileItsReceiverWasPausedAndResumedIsLost() throws Exception {
        sendThen(() -> {
            conditioner.setPaused(2, true);
            conditioner.setPaused(2, false);
        }, 1);
        assertThat(received).isEmpty();
        assertThat(drops).containsExactly("paused");
    }

    @Test
    void aCopyHeldWhileItsSenderWasPausedAndResumedIsLost() throws Exception {
        sendThen(() -> {
            conditioner.setPaused(1, true);
            conditioner.setPaused(1, false);
        }, 1);
        assertThat(received).isEmpty();
        assertThat(drops).containsExactly("paused");
    }

    @Test
    void aCopyHeldWhileItsReceiverWentDownAndCameBackIsLost() throws Exception {
        sendThen(() -> {
            conditioner.setDown(2, true);
            conditioner.setDown(2, false);
        }, 1);
        assertThat(received).isEmpty();
        assertThat(drops).containsExactly("receiver down");
    }

    @Test
    void aSendIntoACutIsLostAtOnceEvenIfTheCutHealsBeforeTheLinkDelayEnds() throws Exception {
        conditioner.setFaults(CUT_1);
        OnContext.run(context, () -> transport.send(HEARTBEAT));
        assertThat(drops).as("lost at the send, as a send into the cut without a link fault").containsExactly("partition");
        assertThat(conditioner.inNetworkFrom(1)).isEmpty();
        conditioner.setFaults(NetworkFaults.NONE);
        // A later copy on the same link, sent after the heal, lands: nothing of the earlier one is left to follow it.
        sendThen(() -> { }, 2);
        assertThat(received).containsExactly(HEARTBEAT);
        assertThat(drops).containsExactly("partition");
    }

    @Test
    void aCopyTheLinkHoldsShowsInTheSendersOutbox() throws Exception {
        // Held long enough that the test reads it held whatever the machine's load; the close cancels its timer.
        links.set(1, 2, new LinkFaults.Condition(0, 60_000, 60_000));
        OnContext.run(context, () -> transport.send(HEARTBEAT));
        assertThat(conditioner.inNetworkFrom(1)).as("held in the network, where the live view's outbox reads")
                .extracting(NetworkConditioner.InNetwork::message).containsExactly(HEARTBEAT);
    }

    @Test
    void aCopyWhoseOwnLinkStayedUpArrives() throws Exception {
        sendThen(() -> {
            // Node 3 cut off, paused and down, and back: 1 -> 2 was never cut.
            conditioner.setFaults(new NetworkFaults(List.of(Set.of(1, 2), Set.of(3)), 0, 0, 0, 0));
            conditioner.setPaused(3, true);
            conditioner.setPaused(3, false);
            conditioner.setDown(3, true);
            conditioner.setDown(3, false);
            conditioner.setFaults(NetworkFaults.NONE);
        }, 1);
        assertThat(drops).isEmpty();
        assertThat(received).containsExactly(HEARTBEAT);
    }

    @Test
    void theNetworkDuplicatesALinkDelayedMessageOnceWhenItLeavesTheLink() throws Exception {
        // Every message duplicated: drawn once, two copies; drawn again when the link's delay ends, four.
        conditioner.setFaults(new NetworkFaults(List.of(), 0, 0, 0, 1));
        sendThen(() -> { }, 2);
        assertThat(drops).isEmpty();
        assertThat(received).containsExactly(HEARTBEAT, HEARTBEAT);
        // Nothing more follows: no third or fourth copy is still on its way through the bus.
        OnContext.run(context, () -> { });
        assertThat(received).hasSize(2);
    }
}
