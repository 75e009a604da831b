package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A large AppendEntries holds back no heartbeat on the clustered event bus. The bus writes every message between two
 * processes on one connection, whole and in order: a 64 MiB entry (a Redis MSET at the largest body allowed) kept the
 * leader's heartbeats behind it, and the follower's event-bus reader busy growing its buffer, for longer than the
 * shipped election timeouts, so every such write cost a leader change (9 of 9, `bin/large-entry.sh`). The transport
 * now sends such a frame in chunks, one at a time, and a heartbeat sent after it arrives first; the entry arrives
 * whole, and an AppendEntries sent after it arrives after it. Two clustered Vert.x instances in this JVM, as two
 * nodes' processes.
 */
@Tag("slow")
class ChunkedFramesOverTheClusteredBusTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ClusteredInstances instances = new ClusteredInstances();

    @AfterEach
    void stop() throws Exception {
        instances.close();
    }

    @Test
    void aHeartbeatSentAfterALargeAppendArrivesFirstAndTheAppendArrivesWhole() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("chunked-frames-test");
        Vertx one = instances.join(base, 1);
        Vertx two = instances.join(base, 2);
        EventBusTransport sender = new EventBusTransport(one, new NetworkConditioner(1), (m, reason) -> { });
        EventBusTransport receiver = new EventBusTransport(two, new NetworkConditioner(2), (m, reason) -> { });
        List<Message> received = new CopyOnWriteArrayList<>();
        await(receiver.register(2, received::add), WAIT);
        Context context = one.getOrCreateContext();
        // The route to node 2 is looked up once, before what is measured.
        send(context, sender, List.of(new Heartbeat(1, 2, 1, 0, 0)));
        eventually("the first heartbeat", WAIT, () -> received.size() == 1);

        byte[] data = new byte[48 << 20];
        new Random(7).nextBytes(data);
        AppendRequest large = new AppendRequest(1, 2, 1, 0, 0, List.of(Entry.normal(1, 1, data)), 0);
        AppendRequest next = new AppendRequest(1, 2, 1, 1, 1, List.of(Entry.normal(2, 1, new byte[] {1})), 0);
        Heartbeat after = new Heartbeat(1, 2, 1, 0, 1);
        send(context, sender, List.of(large));
        send(context, sender, List.of(after));
        send(context, sender, List.of(next));
        eventually("everything delivered", WAIT, () -> received.size() == 4);
        assertThat(received.subList(1, 4)).as("the heartbeat first, then the AppendEntries in the order sent")
                .containsExactly(after, large, next);
    }

    private static void send(Context context, EventBusTransport t, List<Message> messages) throws Exception {
        Promise<Void> sent = Promise.promise();
        context.runOnContext(v -> {
            t.sendAll(messages);
            sent.complete();
        });
        await(sent.future(), WAIT);
    }
}
