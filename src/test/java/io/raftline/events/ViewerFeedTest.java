package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivex.rxjava3.processors.PublishProcessor;
import io.reactivex.rxjava3.schedulers.TestScheduler;
import io.reactivex.rxjava3.subscribers.TestSubscriber;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One browser's feed follows its demand: a browser that keeps up gets everything, one that falls behind gets every
 * state event and message traffic counted per link, one that falls too far behind starts again from a snapshot.
 */
class ViewerFeedTest {

    private final TestScheduler scheduler = new TestScheduler();
    private final PublishProcessor<List<JsonObject>> windows = PublishProcessor.create();
    private final AtomicLong seq = new AtomicLong();
    /** The "cluster state": here only the seq it was folded to. */
    private long folded;

    private JsonObject event(String type) {
        return new JsonObject().put("seq", seq.incrementAndGet()).put("ts", 1).put("node", 1).put("type", type);
    }

    private JsonObject send(String kind, long msgId) {
        return event("MessageSent").put("kind", kind).put("msgId", msgId).put("from", 1).put("to", 2);
    }

    private JsonObject receive(String kind, long msgId) {
        return event("MessageReceived").put("kind", kind).put("msgId", msgId).put("from", 1).put("to", 2);
    }

    /** Publishes a window of: a state event, a heartbeat sent and received, a vote request sent. */
    private void publishWindow(long i) {
        List<JsonObject> w = List.of(event("LogCommitted").put("commit", i), send("Heartbeat", 2 * i),
                receive("Heartbeat", 2 * i), send("RequestVote", 2 * i + 1));
        folded = w.get(w.size() - 1).getLong("seq");
        windows.onNext(w);
        scheduler.triggerActions();
    }

    private TestSubscriber<JsonObject> subscribe(int maxLag, long initialRequest) {
        TestSubscriber<JsonObject> ts = new TestSubscriber<>(initialRequest);
        ViewerFeed.create(windows, scheduler, () -> new JsonObject().put("type", "Snapshot").put("seq", folded),
                new ViewerFeed.Options(maxLag)).subscribe(ts);
        scheduler.triggerActions();
        return ts;
    }

    private static List<String> types(TestSubscriber<JsonObject> ts) {
        List<String> out = new ArrayList<>();
        for (JsonObject e : ts.values()) {
            out.add(e.getString("type") + (e.containsKey("kind") ? ":" + e.getString("kind") : ""));
        }
        return out;
    }

    @Test
    void aBrowserThatKeepsUpGetsEveryEvent() {
        TestSubscriber<JsonObject> ts = subscribe(10, Long.MAX_VALUE);
        for (int i = 1; i <= 5; i++) {
            publishWindow(i);
        }
        assertThat(ts.values()).hasSize(20);
        assertThat(types(ts)).doesNotContain("Traffic", "Snapshot");
    }

    @Test
    void aBrowserBehindGetsEveryStateEventAndTrafficCountsInsteadOfRoutineArrows() {
        TestSubscriber<JsonObject> ts = subscribe(10, 0);
        for (int i = 1; i <= 5; i++) {
            publishWindow(i); // the browser reads nothing meanwhile
        }
        ts.request(Long.MAX_VALUE);
        scheduler.triggerActions();
        List<String> types = types(ts);
        assertThat(types.stream().filter(t -> t.equals("LogCommitted")).count()).isEqualTo(5);
        assertThat(types.stream().filter(t -> t.equals("MessageSent:RequestVote")).count()).isEqualTo(5);
        // The first window was taken before the others waited (it is what the browser was being given) and the
        // last had none behind it; the three between waited behind others: their heartbeats became counts.
        assertThat(types.stream().filter(t -> t.equals("Traffic")).count()).isEqualTo(3);
        assertThat(types.stream().filter(t -> t.startsWith("MessageReceived")).count()).isEqualTo(2);
        JsonObject traffic = ts.values().stream().filter(e -> e.getString("type").equals("Traffic")).findFirst()
                .orElseThrow();
        assertThat(traffic.getJsonArray("links").getJsonObject(0).getInteger("count")).isEqualTo(1);
        List<Long> seqs = ts.values().stream().map(e -> e.getLong("seq")).toList();
        assertThat(seqs).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aBrowserTooFarBehindIsResynchronisedFromASnapshotThenFollowsOn() {
        TestSubscriber<JsonObject> ts = subscribe(3, 0);
        for (int i = 1; i <= 20; i++) {
            publishWindow(i);
        }
        long snapshotSeq = folded;
        ts.request(Long.MAX_VALUE);
        scheduler.triggerActions();
        // The window the browser was being given when it stopped reading, then the snapshot; every window that
        // waited was older than the snapshot and is not sent.
        assertThat(ts.values()).hasSize(5);
        JsonObject snapshot = ts.values().get(4);
        assertThat(snapshot.getString("type")).isEqualTo("Snapshot");
        assertThat(snapshot.getBoolean("resync")).isTrue();
        assertThat(snapshot.getLong("seq")).isEqualTo(snapshotSeq);
        publishWindow(21);
        assertThat(types(ts).subList(5, 9)).containsExactly("LogCommitted", "MessageSent:Heartbeat",
                "MessageReceived:Heartbeat", "MessageSent:RequestVote");
        assertThat(ts.values().get(5).getLong("seq")).isGreaterThan(snapshotSeq);
    }
}
