package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.FrameChunk;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.raftline.transport.RaftBatch;
import io.raftline.transport.Transport;
import io.raftline.transport.TransportQueues;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Large frames on the clustered event bus. The bus writes every message between two processes on one connection,
 * whole and in order: a 64 MiB entry (a Redis MSET at the largest body allowed) kept the leader's heartbeats behind
 * it, and the follower's event-bus reader busy growing its buffer, for longer than the shipped election timeouts, so
 * every such write cost a leader change (9 of 9, `bin/large-entry.sh`). The transport now sends a frame whose entries
 * exceed 4 MiB in chunks of 1 MiB through the peer's lane, one at a time: a heartbeat sent after it arrives first,
 * the entry arrives whole, and AppendEntries sent after it arrive after it. Two clustered Vert.x instances in this
 * JVM, as two nodes' processes, shared by the tests; each test has transports of its own.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkedFramesOverTheClusteredBusTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ClusteredInstances instances = new ClusteredInstances();
    private Vertx one;
    private Vertx two;
    /** What the sending process handed its bus for node 2, in order, while a test runs. */
    private final List<Object> toNodeTwo = new CopyOnWriteArrayList<>();
    /** Runs on each message the sending process hands its bus (a test's own interception), or null. */
    private volatile Consumer<Object> onSend;
    private final List<Transport.Registration> registrations = new ArrayList<>();
    private final List<String> drops = new CopyOnWriteArrayList<>();
    private NetworkConditioner conditioner;
    private EventBusTransport sender;
    private EventBusTransport receiver;
    private Context context;

    @BeforeAll
    void join() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("chunked-frames-test");
        one = instances.join(base, 1);
        two = instances.join(base, 2);
        one.eventBus().addOutboundInterceptor((DeliveryContext<Object> ctx) -> {
            if (ctx.message().address().startsWith(EventBusTransport.address(2))) {
                // The body as sent (on a clustered bus the message's own body() is what a receiver decoded: none here).
                toNodeTwo.add(ctx.body());
                Consumer<Object> hook = onSend;
                if (hook != null) {
                    hook.accept(ctx.body());
                }
            }
            ctx.next();
        });
    }

    @AfterAll
    void leave() throws Exception {
        instances.close();
    }

    @BeforeEach
    void transports() {
        conditioner = new NetworkConditioner(1);
        sender = new EventBusTransport(one, conditioner, (m, reason) -> drops.add(m.describe() + ":" + reason));
        receiver = new EventBusTransport(two, new NetworkConditioner(2), (m, reason) -> { });
        context = one.getOrCreateContext();
    }

    @AfterEach
    void unregister() throws Exception {
        onSend = null;
        for (Transport.Registration r : registrations) {
            await(r.close(), WAIT);
        }
        registrations.clear();
        toNodeTwo.clear();
        drops.clear();
    }

    private List<Message> register(Transport t) throws Exception {
        List<Message> in = new CopyOnWriteArrayList<>();
        registrations.add(await(t.register(2, in::add), WAIT));
        return in;
    }

    /**
     * Sends heartbeats until one arrives: the route to node 2 is looked up before what is measured (and a consumer
     * registered again since the test before may take a moment to be known to the sending process).
     */
    private void warm(Transport t, List<Message> in) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (in.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no heartbeat reached node 2 in " + WAIT);
            }
            send(t, List.of(new Heartbeat(1, 2, 1, 0, 0)));
            try {
                eventually("a heartbeat", Duration.ofSeconds(1), () -> !in.isEmpty());
            } catch (io.raftline.verify.nemesis.Waits.TimedOutException e) {
                // not there yet: send another
            }
        }
        in.clear();
    }

    private static AppendRequest append(long index, int bytes) {
        byte[] data = new byte[bytes];
        new Random(index).nextBytes(data);
        return new AppendRequest(1, 2, 1, index - 1, index == 1 ? 0 : 1, List.of(Entry.normal(index, 1, data)), 0);
    }

    @Test
    void aHeartbeatSentAfterALargeAppendArrivesFirstAndTheAppendArrivesWhole() throws Exception {
        List<Message> received = register(receiver);
        warm(sender, received);
        AppendRequest large = append(1, 48 << 20);
        AppendRequest next = append(2, 1);
        Heartbeat after = new Heartbeat(1, 2, 1, 0, 1);
        send(sender, List.of(large));
        send(sender, List.of(after));
        send(sender, List.of(next));
        eventually("everything delivered", WAIT, () -> received.size() == 3);
        assertThat(received).as("the heartbeat first, then the AppendEntries in the order sent")
                .containsExactly(after, large, next);
    }

    /**
     * The lane's messages count as in flight to the peer until written ({@link Transport#queues}); the large frame
     * goes in 1 MiB chunks, an AppendEntries sent behind it follows through the lane, and once the lane is empty small
     * AppendEntries go the usual way again, in one frame with the rest.
     */
    @Test
    void theLaneIsInFlightUntilWrittenThenSmallAppendsGoTheUsualWay() throws Exception {
        List<Message> received = register(receiver);
        warm(sender, received);
        toNodeTwo.clear();
        AppendRequest large = append(1, 5 << 20);
        AppendRequest small = append(2, 100);
        List<TransportQueues> inLane = new CopyOnWriteArrayList<>();
        Promise<Void> sent = Promise.promise();
        context.runOnContext(v -> {
            sender.sendAll(List.of(large));
            sender.sendAll(List.of(small));
            inLane.add(sender.queues(1));
            sent.complete();
        });
        await(sent.future(), WAIT);
        assertThat(inLane.get(0).inflight()).isEqualTo(Map.of(2, 2));
        eventually("both delivered", WAIT, () -> received.size() == 2);
        assertThat(received).containsExactly(large, small);
        assertThat(toNodeTwo.stream().filter(FrameChunk.class::isInstance).count())
                .as("6 chunks for the large frame, one for the small one behind it").isEqualTo(7);

        eventually("the lane emptied", WAIT, () -> sender.queues(1).inflightTotal() == 0);
        toNodeTwo.clear();
        AppendRequest after = append(3, 100);
        Heartbeat beat = new Heartbeat(1, 2, 1, 0, 2);
        send(sender, List.of(after, beat));
        eventually("the next batch delivered", WAIT, () -> received.size() == 4);
        assertThat(received.subList(2, 4)).containsExactly(after, beat);
        assertThat(toNodeTwo).containsExactly(new RaftBatch(List.of(after, beat)));
    }

    /**
     * What a leader sends a follower it catches up (many AppendEntries of up to 1 MiB in one Ready) goes in frames of
     * at most 4 MiB, not in one frame of its whole size: three AppendEntries of 3 MiB make three frames of three
     * chunks each, delivered in order.
     */
    @Test
    void manyAppendsInOneSendGoInFramesOfAtMostTheChunkingThreshold() throws Exception {
        List<Message> received = register(receiver);
        warm(sender, received);
        toNodeTwo.clear();
        List<Message> catchUp = List.of(append(1, 3 << 20), append(2, 3 << 20), append(3, 3 << 20));
        send(sender, catchUp);
        eventually("all delivered", WAIT, () -> received.size() == 3);
        assertThat(received).containsExactlyElementsOf(catchUp);
        List<FrameChunk> chunks = toNodeTwo.stream().filter(FrameChunk.class::isInstance).map(FrameChunk.class::cast)
                .toList();
        assertThat(chunks.stream().filter(c -> c.index() == 0).count()).as("frames").isEqualTo(3);
        assertThat(chunks).allSatisfy(c -> assertThat(c.count()).isEqualTo(4));
    }

    /** On a sharded node the large frame of one group goes in chunks; other groups' messages are not held behind it. */
    @Test
    void aLargeAppendOfOneGroupHoldsBackNeitherItsHeartbeatsNorOtherGroups() throws Exception {
        register(receiver);
        List<Message> arrivals = new CopyOnWriteArrayList<>();
        List<Message> inOne = new CopyOnWriteArrayList<>();
        List<Message> inTwo = new CopyOnWriteArrayList<>();
        registrations.add(await(receiver.group(1).register(2, m -> {
            inOne.add(m);
            arrivals.add(m);
        }), WAIT));
        registrations.add(await(receiver.group(2).register(2, m -> {
            inTwo.add(m);
            arrivals.add(m);
        }), WAIT));
        Transport groupOne = sender.group(1);
        Transport groupTwo = sender.group(2);
        warm(groupOne, inOne);
        arrivals.clear();
        AppendRequest large = append(1, 12 << 20);
        AppendRequest small = append(2, 100);
        AppendRequest otherGroup = append(1, 100);
        Heartbeat beat = new Heartbeat(1, 2, 1, 0, 1);
        Promise<Void> sent = Promise.promise();
        context.runOnContext(v -> {
            groupOne.sendAll(List.of(large));
            groupOne.sendAll(List.of(beat));
            groupTwo.sendAll(List.of(otherGroup));
            groupOne.sendAll(List.of(small));
            sent.complete();
        });
        await(sent.future(), WAIT);
        eventually("everything delivered", WAIT, () -> inOne.size() == 3 && inTwo.size() == 1);
        assertThat(inOne).containsExactly(beat, large, small);
        assertThat(inTwo).containsExactly(otherGroup);
        assertThat(arrivals.indexOf(otherGroup)).as("the other group's AppendEntries before the large one")
                .isLessThan(arrivals.indexOf(large));
        assertThat(drops).isEmpty();
    }

    /**
     * A partition set while a large frame is on its way keeps the rest of its chunks on this side: the first chunk
     * went, no other does, and the frame's messages are reported lost to the partition. The lane takes the next frame
     * once the partition heals.
     */
    @Test
    void aPartitionSetWhileAFrameIsOnItsWayStopsItsRemainingChunks() throws Exception {
        List<Message> received = register(receiver);
        warm(sender, received);
        toNodeTwo.clear();
        onSend = body -> {
            if (body instanceof FrameChunk c && c.index() == 0 && drops.isEmpty()) {
                conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
            }
        };
        AppendRequest large = append(1, 5 << 20);
        send(sender, List.of(large));
        eventually("the frame given up", WAIT, () -> !drops.isEmpty());
        assertThat(drops).containsExactly(large.describe() + ":partition");
        assertThat(toNodeTwo.stream().filter(FrameChunk.class::isInstance).count()).as("the first chunk only")
                .isEqualTo(1);
        eventually("the lane emptied", WAIT, () -> sender.queues(1).inflightTotal() == 0);

        conditioner.heal();
        send(sender, List.of(large));
        eventually("sent again and delivered", WAIT, () -> received.size() == 1);
        assertThat(received).containsExactly(large);
    }

    private void send(Transport t, List<Message> messages) throws Exception {
        Promise<Void> sent = Promise.promise();
        context.runOnContext(v -> {
            t.sendAll(messages);
            sent.complete();
        });
        await(sent.future(), WAIT);
    }
}
