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
 * Message events cost nothing while no one watches, and flow again as soon as a viewer connects; state events
 * flow either way (a later viewer's snapshot depends on them).
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
    void messageEventsAreReportedOnlyWhileAViewerIsConnected() throws InterruptedException {
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 11));
        publisher.committed(1, 7);
        awaitCommit(7);
        assertThat(types()).doesNotContain("MessageSent").contains("LogCommitted");

        publisher.viewerConnected();
        Waits.await(publisher.flushNow()); // the publisher has taken the new audience into account
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 12));
        publisher.committed(1, 8);
        awaitCommit(8);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("MessageSent")).hasSize(1);

        publisher.viewerDisconnected();
        Waits.await(publisher.flushNow());
        publisher.messageSent(new Heartbeat(1, 2, 1, 0, 13));
        publisher.committed(1, 9);
        awaitCommit(9);
        assertThat(seen).filteredOn(e -> e.getString("type").equals("MessageSent")).hasSize(1);
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
