package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.Heartbeat;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Message events and the per-write events cost nothing while no one watches, and flow again as soon as a viewer
 * connects, which first brings the nodes' state up to date (a resync); the other state events flow either way.
 */
class EventPublisherAudienceTest {

    private Vertx vertx;
    private EventPublisher publisher;
    private final List<JsonObject> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws InterruptedException {
        vertx = Vertx.vertx();
        publisher = new EventPublisher(List.of(1, 2, 3), new PublisherOptions(10, 600, 2, 1000, 1000),
                System::currentTimeMillis);
        publisher.events().subscribe(seen::add);
        Waits.await(vertx.deployVerticle(publisher));
    }

    @AfterEach
    void stop() throws InterruptedException {
        Waits.await(vertx.close());
    }

    @Test
    void messageAndPerWriteEventsAreReportedOnlyWhileAViewerIsConnectedAndItsReturnResyncs() throws Exception {
        java.util.concurrent.atomic.AtomicInteger resyncs = new java.util.concurrent.atomic.AtomicInteger();
        publisher.onAudienceReturn(resyncs::incrementAndGet);
        Waits.await(publisher.flushNow());
        byte[] put = "x".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 11));
        publisher.entriesAppended(1, List.of(io.raftline.raft.Entry.normal(7, 1, put)));
        publisher.committed(1, 7);
        publisher.pausedChanged(1, true); // a state event: reported whether or not anyone watches
        awaitType("NodePaused", 1);
        assertThat(types()).doesNotContain("MessageSent", "LogAppended", "LogCommitted");
        assertThat(resyncs).as("no audience yet").hasValue(0);

        publisher.viewerConnected();
        Waits.eventually("the returning audience asks for a resync", () -> resyncs.get() == 1);
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 12));
        publisher.entriesAppended(1, List.of(io.raftline.raft.Entry.normal(8, 1, put)));
        publisher.committed(1, 8);
        awaitCommit(8);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("MessageSent")).hasSize(1);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("LogAppended")).hasSize(1);

        publisher.viewerDisconnected();
        Waits.await(publisher.flushNow());
        Waits.await(publisher.flushNow()); // the audience was re-decided on the loop before this flush
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 13));
        publisher.committed(1, 9);
        publisher.pausedChanged(1, false);
        awaitType("NodePaused", 2);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("MessageSent")).hasSize(1);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("LogCommitted")).hasSize(1);

        publisher.viewerConnected();
        Waits.eventually("a second return, a second resync", () -> resyncs.get() == 2);
    }

    @Test
    void aWindowThatCannotBeDeliveredDoesNotEndTheStream() throws Exception {
        // Regression: a sink (or the clustered bus's publish, which Vert.x 5.0 can make throw while a process dies)
        // that threw out of the publisher's consumer made RxJava cancel it: no later event of the process reached
        // anyone, and flushNow never completed.
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        publisher.addSink(e -> {
            if (calls.getAndIncrement() == 0) {
                throw new IllegalStateException("Promise already completed");
            }
        });
        publisher.pausedChanged(1, true);
        Waits.await(publisher.flushNow());
        publisher.pausedChanged(1, false);
        awaitType("NodePaused", 2);
        assertThat(calls).as("the failing sink is still called").hasValueGreaterThan(1);
    }

    private void awaitType(String type, int count) throws InterruptedException {
        Waits.eventually(count + " " + type, () -> seen.stream().filter(e -> e.getString("type").equals(type)).count()
                >= count);
    }

    @Test
    void aProcessWithViewersDemandsMessageEventsAtOnceAndThenEverySecond() {
        // Regression: the "never sent" marker was Long.MIN_VALUE, and now - MIN_VALUE overflowed, so no process
        // ever sent its demand and other processes never reported message events to a viewer.
        assertThat(EventPublisher.demandDue(-1, 1_700_000_000_000L)).isTrue();
        assertThat(EventPublisher.demandDue(-1, 0)).isTrue();
        assertThat(EventPublisher.demandDue(5_000, 5_999)).isFalse();
        assertThat(EventPublisher.demandDue(5_000, 6_000)).isTrue();
    }

    private void awaitCommit(long commit) throws InterruptedException {
        Waits.eventually("LogCommitted " + commit + " published", () -> seen.stream()
                .anyMatch(e -> e.getString("type").equals("LogCommitted") && e.getLong("commit") == commit));
    }

    private List<String> types() {
        return seen.stream().map(e -> e.getString("type")).toList();
    }
}
