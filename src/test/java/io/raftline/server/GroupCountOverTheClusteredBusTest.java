package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.GroupCountCheck;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Two processes on the clustered event bus (two clustered Vert.x instances in this JVM) whose configurations disagree
 * on {@code "groups"}: node 1 runs 2 groups, node 2 runs 3. Every frame states its process's count, so node 2 refuses
 * everything node 1 sends (a message, a batch, a frame of several groups): none of it reaches a replica, each message
 * is reported dropped with a reason that names node 1 and both counts, and node 1 is logged once at ERROR, however
 * many frames it sends. Before frames carried the count, node 1's messages were delivered.
 */
@Tag("slow")
class GroupCountOverTheClusteredBusTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ClusteredInstances instances = new ClusteredInstances();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger checkLog = (Logger) LoggerFactory.getLogger(GroupCountCheck.class);

    @BeforeEach
    void listen() {
        logged.start();
        checkLog.addAppender(logged);
    }

    @AfterEach
    void leave() throws Exception {
        checkLog.detachAppender(logged);
        instances.close();
    }

    private static void send(Context context, Transport t, List<Message> messages) throws Exception {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            t.sendAll(messages);
            done.complete();
        });
        await(done.future(), WAIT);
    }

    @Test
    void everyFrameOfAProcessWithAnotherNumberOfGroupsIsRefusedAndItsSenderLoggedOnce() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("group-count-test");
        Vertx one = instances.join(base, 1);
        Vertx two = instances.join(base, 2);
        EventBusTransport node1 = new EventBusTransport(one, new NetworkConditioner(1), (m, reason) -> { }, 2);
        Map<Message, String> refused = new ConcurrentHashMap<>();
        EventBusTransport node2 = new EventBusTransport(two, new NetworkConditioner(2), refused::put, 3);
        List<Message> delivered = new CopyOnWriteArrayList<>();
        Transport.Registration registration = await(node2.register(2, delivered::add), WAIT);
        Context context = one.getOrCreateContext();

        // Until the first refusal: node 1's bus learns where node 2's address lives meanwhile.
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (long n = 1; refused.isEmpty(); n++) {
            assertThat(System.nanoTime()).as("a refusal within " + WAIT).isLessThan(deadline);
            send(context, node1, List.of(new Heartbeat(1, 2, 1, 0, n)));
            try {
                eventually("a refusal", Duration.ofSeconds(1), () -> !refused.isEmpty());
            } catch (io.raftline.verify.nemesis.Waits.TimedOutException e) {
                // not routed yet: send another
            }
        }

        Message vote = new VoteRequest(1, 2, 9, 5, 8, false, false);
        Message beat = new Heartbeat(1, 2, 9, 5, 100);
        Message append = new AppendRequest(1, 2, 9, 5, 8, List.of(Entry.normal(6, 9, new byte[] {6})), 5);
        send(context, node1, List.of(vote)); // one message
        send(context, node1, List.of(beat, append)); // a batch
        // A sharded node's groups share frames of several groups.
        Message ofGroup1 = new Heartbeat(1, 2, 9, 0, 101);
        Message ofGroup0 = new Heartbeat(1, 2, 9, 0, 102);
        send(context, node1.group(1), List.of(ofGroup1));
        send(context, node1, List.of(ofGroup0));

        List<Message> sent = List.of(vote, beat, append, ofGroup1, ofGroup0);
        eventually("every message refused", WAIT, () -> refused.keySet().containsAll(sent));
        assertThat(sent).allSatisfy(m -> assertThat(refused.get(m)).isEqualTo("receiver has \"groups\": 3, node 1 has 2"));
        assertThat(delivered).as("nothing of node 1 reached node 2's replica").isEmpty();
        List<String> errors = logged.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(errors).as("one ERROR for node 1, not one per message (%d refused)", refused.size()).hasSize(1);
        assertThat(errors.get(0)).contains("node 1").contains("\"groups\": 2 and this process with 3");
        await(registration.close(), WAIT);
    }
}
