package io.raftline.transport;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event-bus transport of a sharded node: each group's messages reach only that group's replica on the peer, and
 * what the groups send to one peer while the transport's flush is pending travels as one frame.
 */
class EventBusGroupsTest {

    private Vertx vertx;
    private Context sender;
    private NetworkConditioner conditioner;
    private EventBusTransport transport;
    private final List<String> drops = new CopyOnWriteArrayList<>();
    private final List<Object> frames = new CopyOnWriteArrayList<>();
    private final Map<Integer, List<Message>> received = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        sender = vertx.getOrCreateContext();
        conditioner = new NetworkConditioner(3);
        // Made on the sender's context, so that the outboxes are flushed there: after the task that filled them.
        Promise<EventBusTransport> made = Promise.promise();
        sender.runOnContext(v -> made.complete(new EventBusTransport(vertx, conditioner,
                (m, why) -> drops.add(m.describe() + ": " + why))));
        transport = await(made.future());
        vertx.eventBus().addOutboundInterceptor(ctx -> {
            if (ctx.message().address().startsWith(EventBusTransport.ADDRESS_PREFIX)) {
                frames.add(ctx.message().body());
            }
            ctx.next();
        });
        for (int group : List.of(0, 2)) {
            List<Message> in = new CopyOnWriteArrayList<>();
            received.put(group, in);
            await(transport.group(group).register(3, in::add));
        }
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private static Heartbeat hb(long context) {
        return new Heartbeat(1, 3, 4, 0, context);
    }

    @Test
    void eachGroupsMessagesReachOnlyItsReplicaAndOneTurnsSendsShareOneFrame() throws Exception {
        OnContext.run(sender, () -> {
            transport.group(2).sendAll(List.of(hb(21), hb(22)));
            transport.sendAll(List.of(hb(1)));
            transport.group(2).sendAll(List.of(hb(23)));
            transport.group(5).sendAll(List.of(hb(51)));
        });
        eventually("group 0 and group 2 got theirs", () -> received.get(0).size() == 1
                && received.get(2).size() == 3 && drops.size() == 1);
        assertThat(received.get(0)).extracting(m -> ((Heartbeat) m).context()).containsExactly(1L);
        assertThat(received.get(2)).extracting(m -> ((Heartbeat) m).context()).containsExactly(21L, 22L, 23L);
        assertThat(drops).singleElement().asString().contains("no replica of group 5 here");
        assertThat(frames).as("one frame for the four sends").singleElement().isInstanceOf(GroupBatches.class);
        GroupBatches frame = (GroupBatches) frames.get(0);
        assertThat(frame.parts()).extracting(GroupBatches.Part::group).containsExactly(2, 0, 2, 5);
    }

    /**
     * The groups' batches wait in the peer's outbox until the flush after the sending task; a partition set in between
     * is in force when they leave, so they are lost, reported as partition drops (a snapshot among them frees its
     * link, or the next snapshot would be refused as still on its way).
     */
    @Test
    void aPartitionSetWhileBatchesWaitInTheOutboxCutsThem() throws Exception {
        OnContext.run(sender, () -> {
            transport.group(2).sendAll(List.of(hb(21), snapshot(30)));
            transport.sendAll(List.of(hb(1)));
            conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(3)), 0, 0, 0, 0));
        });
        eventually("the three reported lost", () -> drops.size() == 3);
        assertThat(drops).containsExactly(hb(21).describe() + ": partition", snapshot(30).describe() + ": partition",
                hb(1).describe() + ": partition");

        conditioner.heal();
        OnContext.run(sender, () -> {
            transport.group(2).sendAll(List.of(hb(24), snapshot(31)));
        });
        eventually("what was sent after healing delivered", () -> received.get(2).size() == 2);
        assertThat(received.get(2)).as("nothing of before the cut crossed it").containsExactly(hb(24), snapshot(31));
        assertThat(received.get(0)).isEmpty();
        assertThat(drops).hasSize(3);
    }

    /**
     * A duplicated message's copies go at once, but not past what the same group sent the same peer before it and that
     * still waits in the outbox: the copies follow the original's path, so the peer gets them in order.
     */
    @Test
    void duplicatedCopiesDoNotOvertakeABatchWaitingInTheOutbox() throws Exception {
        OnContext.run(sender, () -> {
            transport.group(2).sendAll(List.of(hb(21)));
            conditioner.setFaults(new NetworkFaults(List.of(), 0, 0, 0, 1.0));
            transport.group(2).sendAll(List.of(hb(22)));
            transport.sendAll(List.of(hb(1)));
        });
        eventually("every copy delivered", () -> received.get(2).size() == 3 && received.get(0).size() == 2);
        assertThat(received.get(2)).extracting(m -> ((Heartbeat) m).context()).containsExactly(21L, 22L, 22L);
        assertThat(received.get(0)).extracting(m -> ((Heartbeat) m).context()).containsExactly(1L, 1L);
        assertThat(drops).isEmpty();
    }

    private static SnapshotRequest snapshot(long index) {
        return new SnapshotRequest(1, 3, 4, new Snapshot(new SnapshotMetadata(index, 4, List.of(1, 3)),
                new byte[16]));
    }

    @Test
    void theFrameSurvivesTheWireAndACorruptOneIsNamed() {
        GroupBatchesCodec codec = new GroupBatchesCodec(null);
        GroupBatches frame = new GroupBatches(List.of(new GroupBatches.Part(7, List.of(hb(70), hb(71))),
                new GroupBatches.Part(0, List.of(hb(1)))));
        Buffer wire = Buffer.buffer();
        codec.encodeToWire(wire, frame);
        GroupBatches back = codec.decodeFromWire(0, wire);
        assertThat(back.parts()).extracting(GroupBatches.Part::group).containsExactly(7, 0);
        assertThat(back.parts().get(0).messages()).isEqualTo(frame.parts().get(0).messages());

        Buffer cut = wire.getBuffer(0, wire.length() - 3);
        cut.setInt(0, cut.length() - 4);
        assertThatThrownBy(() -> codec.decodeFromWire(0, cut)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("raft group batches");
        Buffer negative = wire.copy();
        negative.setInt(10, -1); // the first part's group: after the length, the sender's number of groups, the parts
        assertThatThrownBy(() -> codec.decodeFromWire(0, negative)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("group -1");
    }
}
