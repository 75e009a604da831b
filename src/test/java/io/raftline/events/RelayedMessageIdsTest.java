package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.reactivex.rxjava3.schedulers.TestScheduler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * With one node per process every process's pipeline numbers its own messages from 1, and every process relays the
 * windows of all of them to its browsers: two processes' messages must not share a {@code msgId} there, or a loss
 * one process reports is drawn on the other process's arrow (the page keeps its arrows, flight times and left-out
 * sends by {@code msgId}). Two processes are simulated in one JVM: two pipelines whose windows, as JSON, are fed to
 * a third process's relay.
 */
class RelayedMessageIdsTest {

    private static final PublisherOptions OPTS = new PublisherOptions(50, 600, 2, 1000, 1000);

    private final TestScheduler clock = new TestScheduler();

    /** One process's pipeline: what it publishes on the origin address for the messages its node reports. */
    private JsonArray processWindow(List<RaftEvent> facts) {
        EventPipeline pipeline = new EventPipeline(OPTS, clock);
        EventJson.Mapper json = new EventJson.Mapper(EventValues.SHOW);
        JsonArray window = new JsonArray();
        pipeline.sequenced().subscribe(batch -> batch.forEach(e -> window.add(json.toJson(e))));
        facts.forEach(pipeline::offer);
        clock.advanceTimeBy(OPTS.flushIntervalMs(), TimeUnit.MILLISECONDS);
        pipeline.close();
        return window;
    }

    private static EventHeader at(long ts, int node) {
        return EventHeader.observed(ts, node);
    }

    @Test
    void twoProcessesMessagesKeepDistinctIdsAndALossStaysWithItsOwnSend() {
        Message toNode2 = new Heartbeat(1, 2, 3, 7, 11);
        Message lost = new Heartbeat(1, 3, 3, 7, 12);
        JsonArray process1 = processWindow(List.of(
                new RaftEvent.MessageSent(at(100, 1), 0, toNode2),
                new RaftEvent.MessageSent(at(101, 1), 0, lost),
                new RaftEvent.MessageDropped(at(101, 1), 0, lost, "drop")));
        Message answer = new HeartbeatResponse(2, 1, 3, 10);
        Message vote = new VoteRequest(2, 3, 4, 7, 3, false, false);
        JsonArray process2 = processWindow(List.of(
                new RaftEvent.MessageSent(at(100, 2), 0, answer),
                new RaftEvent.MessageSent(at(101, 2), 0, vote)));
        assertThat(ids(process1, "MessageSent")).as("each process numbers its messages from 1").containsExactly(1L, 2L);
        assertThat(ids(process2, "MessageSent")).containsExactly(1L, 2L);

        EventPublisher viewer = new EventPublisher(List.of(1, 2, 3), OPTS, () -> 0L, null,
                new EventPipeline(OPTS, clock));
        List<JsonObject> relayed = new ArrayList<>();
        viewer.events().subscribe(relayed::add);
        viewer.relay(process1);
        viewer.relay(process2);
        clock.advanceTimeBy(OPTS.flushIntervalMs(), TimeUnit.MILLISECONDS);

        List<JsonObject> sends = relayed.stream().filter(e -> e.getString("type").equals("MessageSent"))
                .collect(Collectors.toList());
        assertThat(sends).hasSize(4);
        assertThat(sends.stream().map(e -> e.getLong("msgId")).distinct().count())
                .as("four messages, four ids, in the stream a browser of any process gets").isEqualTo(4);
        JsonObject drop = relayed.stream().filter(e -> e.getString("type").equals("MessageDropped")).findFirst()
                .orElseThrow();
        JsonObject lostSend = sends.stream().filter(e -> e.getInteger("from") == 1 && e.getInteger("to") == 3)
                .findFirst().orElseThrow();
        assertThat(drop.getLong("msgId")).as("the loss is drawn on node 1's heartbeat to node 3")
                .isEqualTo(lostSend.getLong("msgId"));
        assertThat(sends.stream().filter(e -> e.getLong("msgId").equals(drop.getLong("msgId"))).count())
                .as("and on no other arrow").isEqualTo(1);
        assertThat(sends).as("no receive of a message between two processes is published: each send says so")
                .allSatisfy(e -> assertThat(e.getBoolean("receipt")).isFalse());
    }

    @Test
    void aRestartedProcessesIdsAreNewAndAnArrivalWithoutARelayedSendIsLeftOut() {
        RelayedMessageIds ids = new RelayedMessageIds(2);
        JsonObject first = message("MessageSent", 1, 1);
        assertThat(ids.renumber(first)).isTrue();
        // Node 1's process restarted and numbers from 1 again: a new message, a new id, and its loss is drawn on it.
        JsonObject again = message("MessageSent", 1, 1);
        assertThat(ids.renumber(again)).isTrue();
        assertThat(again.getLong("msgId")).isNotEqualTo(first.getLong("msgId"));
        JsonObject loss = message("MessageDropped", 1, 1);
        assertThat(ids.renumber(loss)).isTrue();
        assertThat(loss.getLong("msgId")).isEqualTo(again.getLong("msgId"));
        // A receive whose send this relay never saw, and one whose send it forgot (two remembered at most).
        assertThat(ids.renumber(message("MessageReceived", 2, 9))).isFalse();
        ids.renumber(message("MessageSent", 2, 1));
        ids.renumber(message("MessageSent", 2, 2));
        assertThat(ids.size()).isEqualTo(2);
        assertThat(ids.renumber(message("MessageReceived", 1, 1))).isFalse();
        // Other events pass as they are.
        JsonObject state = new JsonObject().put("type", "StateChange").put("node", 1);
        assertThat(ids.renumber(state)).isTrue();
        assertThat(state.containsKey("msgId")).isFalse();
    }

    private static JsonObject message(String type, int from, long msgId) {
        return new JsonObject().put("type", type).put("from", from).put("to", 3).put("msgId", msgId);
    }

    private static List<Long> ids(JsonArray window, String type) {
        List<Long> out = new ArrayList<>();
        for (Object o : window) {
            JsonObject e = (JsonObject) o;
            if (e.getString("type").equals(type)) {
                out.add(e.getLong("msgId"));
            }
        }
        return out;
    }
}
