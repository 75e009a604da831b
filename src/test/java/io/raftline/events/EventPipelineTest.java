package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import io.reactivex.rxjava3.schedulers.TestScheduler;
import org.junit.jupiter.api.Test;

class EventPipelineTest {

    private static final PublisherOptions OPTS = new PublisherOptions(50, 200, 2, 1000, 1000);

    /** The pipeline's scheduler and clock: windows close when the test moves it. */
    private final TestScheduler clock = new TestScheduler();
    private final List<RaftEvent> published = new ArrayList<>();
    private PublisherOptions options;

    private EventPipeline pipeline(PublisherOptions o) {
        options = o;
        EventPipeline p = new EventPipeline(o, clock);
        p.sequenced().subscribe(published::addAll);
        return p;
    }

    /** Closes one window and returns what it published. */
    private List<RaftEvent> flush() {
        clock.advanceTimeBy(options.flushIntervalMs(), TimeUnit.MILLISECONDS);
        List<RaftEvent> out = new ArrayList<>(published);
        published.clear();
        return out;
    }

    private static EventHeader at(long ts, int node) {
        return EventHeader.observed(ts, node);
    }

    private static RaftEvent stateChange(int node, long term, String to) {
        return new RaftEvent.StateChange(new EventHeader(0, 1, node, term, to), "Follower", to, 0, "test");
    }

    private static List<RaftEvent> ofType(List<RaftEvent> events, Class<?> type) {
        return events.stream().filter(type::isInstance).collect(Collectors.toList());
    }

    @Test
    void seqStrictlyIncreasesAndFillsTermAndRole() {
        EventPipeline p = pipeline(OPTS);
        p.offer(stateChange(1, 2, "Leader"));
        p.offer(new RaftEvent.LogAppended(at(2, 1), List.of(Entry.noop(1, 2))));
        p.offer(new RaftEvent.NodeCrashed(at(3, 2)));
        p.offer(new RaftEvent.NodeRestarted(at(4, 2), 0));
        List<RaftEvent> out = flush();
        p.offer(new RaftEvent.FaultChanged(at(5, 0), new io.vertx.core.json.JsonObject()));
        out.addAll(flush());
        assertThat(out).extracting(e -> e.header().seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
        RaftEvent appended = ofType(out, RaftEvent.LogAppended.class).get(0);
        assertThat(appended.header().term()).isEqualTo(2);
        assertThat(appended.header().role()).isEqualTo("Leader");
        assertThat(ofType(out, RaftEvent.NodeCrashed.class).get(0).header().role()).isEqualTo("Down");
        assertThat(ofType(out, RaftEvent.NodeRestarted.class).get(0).header().role()).isEqualTo("Follower");
        assertThat(out.get(4).header().node()).isZero();
        assertThat(out.get(4).header().term()).isEqualTo(2); // cluster-wide events carry the highest known term
    }

    @Test
    void stateEventsAreNeverDroppedUnderAFloodOfMessages() {
        EventPipeline p = pipeline(OPTS);
        List<RaftEvent> expected = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new Heartbeat(1, 2 + i % 2, 1, i, 0)));
            if (i % 500 == 0) {
                RaftEvent s = stateChange(1 + i % 3, i, i % 1000 == 0 ? "Candidate" : "Follower");
                expected.add(s);
                p.offer(s);
            }
        }
        List<RaftEvent> out = flush();
        assertThat(p.discardedAtIngest()).isEqualTo(50_000 - OPTS.ingestCapacity());
        List<RaftEvent> states = ofType(out, RaftEvent.StateChange.class);
        assertThat(states).hasSameSizeAs(expected);
        for (int i = 0; i < states.size(); i++) {
            assertThat(((RaftEvent.StateChange) states.get(i)).to()).isEqualTo(((RaftEvent.StateChange) expected.get(i)).to());
            assertThat(states.get(i).header().term()).isEqualTo(expected.get(i).header().term());
        }
        assertThat(ofType(out, RaftEvent.MessageSent.class)).hasSizeLessThanOrEqualTo(OPTS.messagesPerFlush());
    }

    @Test
    void messageSendsRespectTheBudgetAndAreSpreadOverLinks() {
        EventPipeline p = pipeline(new PublisherOptions(50, 200, 2, 5000, 1000));
        for (int i = 0; i < 1000; i++) {
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new Heartbeat(1, 2, 1, i, 0)));
        }
        for (int i = 0; i < 10; i++) {
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new Heartbeat(1, 3, 1, i, 0)));
            p.offer(new RaftEvent.MessageSent(at(i, 2), 0, new HeartbeatResponse(2, 1, 1, 0)));
        }
        List<RaftEvent> out = flush();
        Map<String, Integer> perLink = new HashMap<>();
        for (RaftEvent e : ofType(out, RaftEvent.MessageSent.class)) {
            Message m = ((RaftEvent.MessageSent) e).message();
            perLink.merge(m.from() + ">" + m.to() + " " + m.kind(), 1, Integer::sum);
        }
        assertThat(perLink).containsOnlyKeys("1>2 HEARTBEAT", "1>3 HEARTBEAT", "2>1 HEARTBEAT_RESPONSE");
        assertThat(perLink.values()).allMatch(n -> n == OPTS.perLinkPerFlush());
    }

    @Test
    void votesAreAlwaysPublishedEvenWithNoBudget() {
        EventPipeline p = pipeline(new PublisherOptions(50, 0, 0, 1000, 1000));
        for (int i = 0; i < 300; i++) {
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new VoteRequest(1, 2, i, 0, 0, i % 2 == 0, false)));
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new Heartbeat(1, 2, 1, i, 0)));
        }
        List<RaftEvent> sent = ofType(flush(), RaftEvent.MessageSent.class);
        assertThat(sent).hasSize(300).allMatch(e -> ((RaftEvent.MessageSent) e).message() instanceof VoteRequest);
    }

    @Test
    void aReceiveFollowsItsSendWithTheSameIdAndOnlyIfTheSendWasPublished() {
        EventPipeline p = pipeline(new PublisherOptions(50, 20, 1, 1000, 1000));
        Heartbeat kept = new Heartbeat(1, 2, 1, 1, 0);
        Heartbeat sampledOut = new Heartbeat(1, 2, 1, 1, 0); // equal content, other instance: another message
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, kept));
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, sampledOut));
        p.offer(new RaftEvent.MessageReceived(at(2, 2), 0, sampledOut));
        p.offer(new RaftEvent.MessageReceived(at(2, 2), 0, kept));
        List<RaftEvent> out = flush();
        out.addAll(flush()); // the unmatched receive is carried once, then discarded
        assertThat(out).hasSize(2);
        RaftEvent.MessageSent s = (RaftEvent.MessageSent) out.get(0);
        RaftEvent.MessageReceived r = (RaftEvent.MessageReceived) out.get(1);
        assertThat(s.message()).isSameAs(kept);
        assertThat(r.message()).isSameAs(kept);
        assertThat(r.msgId()).isEqualTo(s.msgId()).isPositive();
    }

    /** What a receiver gets over gRPC: a decoded copy, equal in content, another object (entries' bytes too). */
    private static AppendRequest copy(AppendRequest a) {
        List<Entry> entries = a.entries().stream()
                .map(e -> new Entry(e.index(), e.term(), e.type(), e.data().clone())).collect(Collectors.toList());
        return new AppendRequest(a.from(), a.to(), a.term(), a.prevLogIndex(), a.prevLogTerm(), entries,
                a.leaderCommit());
    }

    @Test
    void aReceiveOfADecodedCopyIsPairedWithItsSendByContent() {
        EventPipeline p = pipeline(new PublisherOptions(50, 200, 1, 1000, 1000));
        AppendRequest a = new AppendRequest(1, 2, 3, 10, 3, List.of(Entry.normal(11, 3, new byte[] {1, 2})), 9);
        Heartbeat h1 = new Heartbeat(1, 2, 3, 11, 0);
        Heartbeat h2 = new Heartbeat(1, 2, 3, 11, 0); // equal content, sent after h1
        VoteRequest v = new VoteRequest(1, 2, 4, 11, 3, false, false);
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, a));
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, h1));
        p.offer(new RaftEvent.MessageReceived(at(2, 2), 0, copy(a)));
        List<RaftEvent> out = flush();
        // The second heartbeat goes in the next window, and both copies arrive there, in send order.
        p.offer(new RaftEvent.MessageSent(at(3, 1), 0, h2));
        p.offer(new RaftEvent.MessageReceived(at(4, 2), 0, new Heartbeat(1, 2, 3, 11, 0)));
        p.offer(new RaftEvent.MessageReceived(at(4, 2), 0, new Heartbeat(1, 2, 3, 11, 0)));
        // A copy reported before its send, in the same window (the receiver's thread got there first).
        p.offer(new RaftEvent.MessageReceived(at(5, 2), 0, new VoteRequest(1, 2, 4, 11, 3, false, false)));
        p.offer(new RaftEvent.MessageSent(at(5, 1), 0, v));
        out.addAll(flush());
        out.addAll(flush());
        Map<Long, Message> sent = new HashMap<>();
        List<Long> sentOrder = new ArrayList<>();
        for (RaftEvent e : ofType(out, RaftEvent.MessageSent.class)) {
            sent.put(((RaftEvent.MessageSent) e).msgId(), ((RaftEvent.MessageSent) e).message());
            sentOrder.add(((RaftEvent.MessageSent) e).msgId());
        }
        List<RaftEvent> received = ofType(out, RaftEvent.MessageReceived.class);
        assertThat(sentOrder).hasSize(4);
        assertThat(received).extracting(e -> ((RaftEvent.MessageReceived) e).msgId()).containsExactlyElementsOf(sentOrder);
        assertThat(sent.get(sentOrder.get(1))).isSameAs(h1);
        assertThat(sent.get(sentOrder.get(2))).isSameAs(h2);
        for (RaftEvent e : received) {
            long id = ((RaftEvent.MessageReceived) e).msgId();
            int sendAt = out.indexOf(ofType(out, RaftEvent.MessageSent.class).get(sentOrder.indexOf(id)));
            assertThat(out.indexOf(e)).isGreaterThan(sendAt);
        }
    }

    @Test
    void aCopyOfASampledOutSendIsNotTakenForAPublishedSendOfEqualContent() {
        EventPipeline p = pipeline(new PublisherOptions(50, 200, 1, 1000, 1000));
        Heartbeat first = new Heartbeat(1, 2, 1, 1, 0);
        Heartbeat second = new Heartbeat(1, 2, 1, 1, 0);
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, new Heartbeat(1, 2, 1, 0, 0))); // takes the link's budget
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, first)); // left out by sampling
        flush();
        p.offer(new RaftEvent.MessageSent(at(2, 1), 0, second)); // published
        p.offer(new RaftEvent.MessageReceived(at(3, 2), 0, new Heartbeat(1, 2, 1, 1, 0))); // the copy of first
        List<RaftEvent> out = flush();
        out.addAll(flush());
        assertThat(out).extracting(RaftEvent::type).containsExactly("MessageSent");
        long id = ((RaftEvent.MessageSent) out.get(0)).msgId();
        p.offer(new RaftEvent.MessageReceived(at(4, 2), 0, new Heartbeat(1, 2, 1, 1, 0))); // the copy of second
        out = flush();
        assertThat(out).extracting(RaftEvent::type).containsExactly("MessageReceived");
        assertThat(((RaftEvent.MessageReceived) out.get(0)).msgId()).isEqualTo(id);
    }

    @Test
    void aReceiveReportedBeforeItsSendIsPublishedAfterIt() {
        EventPipeline p = pipeline(OPTS);
        Heartbeat m = new Heartbeat(1, 2, 1, 1, 0);
        // The receiver's thread got there first, within one batch.
        p.offer(new RaftEvent.MessageReceived(at(2, 2), 0, m));
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, m));
        List<RaftEvent> out = flush();
        assertThat(out).extracting(RaftEvent::type).containsExactly("MessageSent", "MessageReceived");
        // ... and across two batches: the receive waits one flush for its send.
        Heartbeat m2 = new Heartbeat(1, 2, 1, 2, 0);
        p.offer(new RaftEvent.MessageReceived(at(3, 2), 0, m2));
        assertThat(flush()).isEmpty();
        p.offer(new RaftEvent.MessageSent(at(3, 1), 0, m2));
        List<RaftEvent> next = flush();
        assertThat(next).extracting(RaftEvent::type).containsExactly("MessageSent", "MessageReceived");
        assertThat(((RaftEvent.MessageReceived) next.get(1)).msgId()).isEqualTo(((RaftEvent.MessageSent) next.get(0)).msgId());
        assertThat(next.get(0).header().seq()).isLessThan(next.get(1).header().seq());
    }

    @Test
    void aNetworkDropReportedInsideSendIsPublishedAfterTheSend() {
        // EventBusTransport reports a loss from inside transport.send(), before the node reports the send.
        EventPipeline p = pipeline(OPTS);
        Heartbeat m = new Heartbeat(1, 3, 1, 1, 0);
        p.offer(new RaftEvent.MessageDropped(at(1, 1), 0, m, "partition"));
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, m));
        List<RaftEvent> out = flush();
        assertThat(out).extracting(RaftEvent::type).containsExactly("MessageSent", "MessageDropped");
        assertThat(((RaftEvent.MessageDropped) out.get(1)).reason()).isEqualTo("partition");
    }

    @Test
    void duplicatedDeliveriesBothPairWithTheirSend() {
        EventPipeline p = pipeline(OPTS);
        Heartbeat m = new Heartbeat(1, 2, 1, 1, 0);
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, m));
        List<RaftEvent> out = flush();
        p.offer(new RaftEvent.MessageReceived(at(2, 2), 0, m));
        p.offer(new RaftEvent.MessageReceived(at(3, 2), 0, m));
        out.addAll(flush());
        assertThat(out).extracting(RaftEvent::type).containsExactly("MessageSent", "MessageReceived", "MessageReceived");
    }

    @Test
    void applyAndCommitProgressIsCoalescedWithoutLosingAnything() {
        EventPipeline p = pipeline(OPTS);
        for (long i = 1; i <= 100; i++) {
            p.offer(new RaftEvent.Applied(at(i, 1), i, i));
            p.offer(new RaftEvent.LogCommitted(at(i, 1), i));
            p.offer(new RaftEvent.Applied(at(i, 2), i, i));
            if (i == 50) {
                p.offer(stateChange(1, 3, "Follower")); // node 1's progress before this event is published before it
            }
        }
        List<RaftEvent> out = flush();
        assertThat(out).extracting(e -> e.type() + "@" + e.header().node() + describe(e)).containsExactly(
                "Applied@1[1..50]", "LogCommitted@1[50]", "StateChange@1", "Applied@1[51..100]", "LogCommitted@1[100]",
                "Applied@2[1..100]");
    }

    @Test
    void appendsOfOneNodeAreCoalescedIntoTheLogAsItReadsAfterAllOfThem() {
        EventPipeline p = pipeline(OPTS);
        p.offer(new RaftEvent.LogAppended(at(1, 1), List.of(entry(1, 1), entry(2, 1), entry(3, 1))));
        p.offer(new RaftEvent.LogCommitted(at(1, 1), 2));
        p.offer(new RaftEvent.LogAppended(at(2, 1), List.of(entry(4, 1), entry(5, 1))));
        p.offer(new RaftEvent.LogAppended(at(2, 2), List.of(entry(1, 1))));
        p.offer(new RaftEvent.LogAppended(at(3, 1), List.of(entry(4, 2), entry(5, 2), entry(6, 2)))); // replaces 4..5
        p.offer(new RaftEvent.LogCommitted(at(3, 1), 4));
        List<RaftEvent> out = flush();
        assertThat(out).extracting(e -> e.type() + "@" + e.header().node()).containsExactlyInAnyOrder(
                "LogAppended@1", "LogCommitted@1", "LogAppended@2");
        RaftEvent.LogAppended one = (RaftEvent.LogAppended) ofType(out, RaftEvent.LogAppended.class).stream()
                .filter(e -> e.header().node() == 1).findFirst().orElseThrow();
        assertThat(one.entries()).extracting(e -> e.index() + "t" + e.term())
                .containsExactly("1t1", "2t1", "3t1", "4t2", "5t2", "6t2");
        assertThat(out.indexOf(one)).isLessThan(out.indexOf(ofType(out, RaftEvent.LogCommitted.class).get(0)));
        assertThat(((RaftEvent.LogCommitted) ofType(out, RaftEvent.LogCommitted.class).get(0)).commit()).isEqualTo(4);
    }

    @Test
    void anAppendThatDoesNotJoinThePendingOneIsPublishedSeparately() {
        RaftEvent.LogAppended a = new RaftEvent.LogAppended(at(1, 1), List.of(entry(1, 1)));
        RaftEvent.LogAppended gap = new RaftEvent.LogAppended(at(2, 1), List.of(entry(5, 1)));
        RaftEvent.LogAppended earlier = new RaftEvent.LogAppended(at(3, 1), List.of(entry(1, 3)));
        assertThat(EventPipeline.merge(a, gap)).isNull();
        assertThat(EventPipeline.merge(gap, earlier)).isSameAs(earlier);
        EventPipeline p = pipeline(OPTS);
        p.offer(a);
        p.offer(gap); // after a snapshot, say: both are published, in order
        assertThat(flush()).extracting(e -> ((RaftEvent.LogAppended) e).entries().get(0).index())
                .containsExactly(1L, 5L);
    }

    private static Entry entry(long index, long term) {
        return Entry.noop(index, term);
    }

    private static String describe(RaftEvent e) {
        if (e instanceof RaftEvent.Applied a) {
            return "[" + a.first() + ".." + a.last() + "]";
        }
        if (e instanceof RaftEvent.LogCommitted c) {
            return "[" + c.commit() + "]";
        }
        return "";
    }

    @Test
    void ratesCountEveryMessageAndRecentElections() {
        EventPipeline p = pipeline(new PublisherOptions(50, 20, 1, 100, 1000));
        assertThat(flush()).isEmpty();
        for (int i = 0; i < 500; i++) {
            p.offer(new RaftEvent.MessageSent(at(i, 1), 0, new Heartbeat(1, 2, 1, i, 0)));
        }
        p.offer(new RaftEvent.ElectionStarted(new EventHeader(0, 5, 2, 2, "Candidate"), 2, false, false));
        p.offer(new RaftEvent.ElectionStarted(new EventHeader(0, 5, 2, 2, "PreCandidate"), 2, true, false));
        p.offer(new RaftEvent.LogCommitted(at(5, 1), 40));
        clock.advanceTimeTo(950, TimeUnit.MILLISECONDS);
        assertThat(ofType(published, RaftEvent.Rates.class)).isEmpty();
        clock.advanceTimeTo(1000, TimeUnit.MILLISECONDS);
        List<RaftEvent> rates = ofType(published, RaftEvent.Rates.class);
        assertThat(rates).hasSize(1);
        io.vertx.core.json.JsonObject r = ((RaftEvent.Rates) rates.get(0)).rates();
        assertThat(r.getLong("intervalMs")).isEqualTo(1000);
        assertThat(r.getDouble("msgsPerSec")).isEqualTo(500.0); // 500 sends in 1 s, published, sampled or discarded
        assertThat(r.getDouble("sampledOutPerSec")).isEqualTo(499.0); // one of 500 was published
        assertThat(r.getJsonObject("byKind").getDouble("Heartbeat")).isEqualTo(500.0);
        assertThat(r.getInteger("electionsPerMin")).isEqualTo(1); // pre-votes are not elections
        assertThat(r.getDouble("commitsPerSec")).isEqualTo(40.0);
        assertThat(rates.get(0).header().node()).isZero();
    }

    @Test
    void producersOnManyThreadsOnlyHandOverAndThePipelineRunsOnItsOwnThread() throws InterruptedException {
        EventPipeline p = new EventPipeline(OPTS);
        List<RaftEvent> out = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(1);
        int perNode = 5_000;
        p.sequenced().subscribe(batch -> {
            threads.add(Thread.currentThread().getName());
            out.addAll(batch);
            if (ofType(out, RaftEvent.NodeFrozen.class).size() == 4) {
                all.countDown();
            }
        });
        List<Thread> producers = new ArrayList<>();
        for (int node = 1; node <= 4; node++) {
            int id = node;
            producers.add(new Thread(() -> {
                for (int i = 1; i <= perNode; i++) {
                    p.offer(new RaftEvent.SnapshotTaken(at(i, id), i));
                    p.offer(new RaftEvent.MessageSent(at(i, id), 0, new Heartbeat(id, id % 4 + 1, 1, i, 0)));
                }
                p.offer(new RaftEvent.NodeFrozen(at(perNode + 1, id), true));
            }, "node-" + id));
        }
        producers.forEach(Thread::start);
        for (Thread t : producers) {
            t.join();
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        p.close();
        assertThat(threads).containsExactly("raftline-events");
        for (int node = 1; node <= 4; node++) {
            int id = node;
            assertThat(out.stream().filter(e -> e instanceof RaftEvent.SnapshotTaken && e.header().node() == id)
                    .map(e -> ((RaftEvent.SnapshotTaken) e).index()).toList())
                    .isEqualTo(java.util.stream.LongStream.rangeClosed(1, perNode).boxed().toList());
        }
        for (int i = 1; i < out.size(); i++) {
            assertThat(out.get(i).header().seq()).isGreaterThan(out.get(i - 1).header().seq());
        }
    }
    /**
     * A pipeline closed while its thread is busy (a node stopping while a window is on its way to the viewers) drops
     * what was still on the way, silently: work handed to its thread after the close was refused by the thread's
     * executor, and RxJava reported each refusal as an undeliverable error, printed with its stack in the node's log
     * on a clean stop (seen in ChildProcessStallTest's node logs). Here every window takes 2 ms on the pipeline's
     * thread before it hops onto that thread again, as the publisher's relays do, so a close lands in the middle of one.
     */
    @Test
    void aPipelineClosedWhileAWindowIsOnItsWayReportsNoError() throws InterruptedException {
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        io.reactivex.rxjava3.plugins.RxJavaPlugins.setErrorHandler(errors::add);
        try {
            for (int round = 0; round < 20; round++) {
                EventPipeline p = new EventPipeline(new PublisherOptions(1, 1000, 2, 1000, 1000));
                java.util.concurrent.CountDownLatch flowing = new java.util.concurrent.CountDownLatch(5);
                p.sequenced().doOnNext(batch -> Thread.sleep(2)).onBackpressureDrop().observeOn(p.scheduler())
                        .subscribe(batch -> flowing.countDown());
                assertThat(flowing.await(30, TimeUnit.SECONDS)).as("windows flowing").isTrue();
                p.close();
                p.offer(new RaftEvent.SnapshotTaken(at(1, 1), 1)); // a node's thread still reporting
            }
        } finally {
            io.reactivex.rxjava3.plugins.RxJavaPlugins.setErrorHandler(null);
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void aFocusSwitchComesAfterTheOldGroupsPendingProgressAndItsStatesSetTheHeaders() {
        EventPipeline p = pipeline(OPTS);
        p.offer(stateChange(1, 2, "Leader"));
        Heartbeat old = new Heartbeat(1, 2, 2, 0, 1);
        p.offer(new RaftEvent.MessageSent(at(1, 1), 0, old));
        p.offer(new RaftEvent.LogCommitted(at(2, 1), 7)); // coalesced: held until the node's next event or the end
        p.offer(new RaftEvent.FocusChanged(at(3, 0), 2, 0, List.of(1, 2)));
        io.raftline.node.NodeStatus follower = new io.raftline.node.NodeStatus(1, true, false,
                io.raftline.raft.Role.FOLLOWER, 5, 2, 3, 3, 3, 0, 0, io.raftline.node.StorageStats.MEMORY, false, false,
                null, 0, Map.of(), 3);
        p.offer(new RaftEvent.ReplicaState(at(4, 1), 2, new io.raftline.node.NodeHost.ReplicaView(follower, 2, List.of())));
        p.offer(new RaftEvent.LogCommitted(at(5, 1), 4));
        p.offer(new RaftEvent.MessageReceived(at(6, 2), 0, old)); // an old group's message arriving late
        List<RaftEvent> out = flush();
        assertThat(out).extracting(RaftEvent::type).containsExactly("StateChange", "MessageSent", "LogCommitted",
                "FocusChanged", "ReplicaState", "LogCommitted");
        RaftEvent after = out.get(5);
        assertThat(after.header().role()).as("the new group's replica's role").isEqualTo("Follower");
        assertThat(after.header().term()).isEqualTo(5);
    }

    /** What a node's capture reports: its role, term and indexes, and the tail of its log. */
    private static RaftEvent replicaState(int node, io.raftline.raft.Role role, long term, int leader, List<Entry> log) {
        long last = log.get(log.size() - 1).index();
        io.raftline.node.NodeStatus s = new io.raftline.node.NodeStatus(node, true, false, role, term, leader, last,
                last, last, 0, 0, io.raftline.node.StorageStats.MEMORY, false, false, null, 0, Map.of(), last);
        List<Entry> tail = log.subList(Math.max(0, log.size() - ClusterState.LOG_TAIL), log.size());
        return new RaftEvent.ReplicaState(at(0, node), 0, new io.raftline.node.NodeHost.ReplicaView(s, 0, tail));
    }

    /**
     * Regression (issue 13, "bounded when a browser is connected"): message events were bounded at the hand-off, the
     * per-write state events were not, so with a viewer connected and the pipeline thread behind (a busy machine) every
     * node's appends, commits and applications queued without bound, each append holding its entries' values. Now at
     * most {@code ingestCapacity} of them wait; the rest are counted and discarded, an {@code EventsDropped} marker
     * says how many, and every node's state is asked for again, so the folded view ends at the nodes' true state.
     */

    /** What the nodes 1-3 report for the write at {@code index}: appended, committed, applied, each (one event each). */
    private static void writeEverywhere(EventPipeline p, Map<Integer, List<Entry>> logs, long index) {
        Entry en = Entry.normal(index, 2, ("v" + index).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int node = 1; node <= 3; node++) {
            logs.get(node).add(en);
            p.offer(new RaftEvent.LogAppended(at(index, node), List.of(en)));
            p.offer(new RaftEvent.LogCommitted(at(index, node), index));
            p.offer(new RaftEvent.Applied(at(index, node), index, index));
        }
    }
    @Test
    void perWriteStateEventsStayBoundedWhileThePipelineIsBehindAndAResyncMakesTheViewTrue() {
        PublisherOptions o = new PublisherOptions(50, 200, 2, 1000, 1000);
        EventPipeline p = pipeline(o);
        Map<Integer, List<Entry>> logs = new HashMap<>();
        Map<Integer, io.raftline.raft.Role> roles = Map.of(1, io.raftline.raft.Role.LEADER,
                2, io.raftline.raft.Role.FOLLOWER, 3, io.raftline.raft.Role.FOLLOWER);
        for (int node = 1; node <= 3; node++) {
            logs.put(node, new ArrayList<>());
            p.offer(stateChange(node, 2, roles.get(node).displayName()));
        }
        java.util.concurrent.atomic.AtomicInteger resyncs = new java.util.concurrent.atomic.AtomicInteger();
        p.onShedEnd(() -> {
            // As the nodes do, each on its own loop: the state they are in when asked.
            resyncs.incrementAndGet();
            for (int node = 1; node <= 3; node++) {
                p.offer(replicaState(node, roles.get(node), 2, 1, logs.get(node)));
            }
        });
        int maxQueued = 0;
        long index = 0;
        // 3 nodes x 3 events x 2,000 writes, and the pipeline thread does not run meanwhile (the clock stands).
        for (int w = 0; w < 2000; w++) {
            index++;
            writeEverywhere(p, logs, index);
            maxQueued = Math.max(maxQueued, p.queuedProgressEvents());
        }
        assertThat(maxQueued).as("per-write events waiting for the pipeline thread").isEqualTo(o.ingestCapacity());
        long discarded = p.discardedProgressEvents();
        assertThat(discarded).isEqualTo(3L * 3 * 2000 - o.ingestCapacity());
        List<RaftEvent> out = new ArrayList<>(flush());
        assertThat(p.queuedProgressEvents()).isZero();
        // Writes go on after the resync was asked for: they are kept, and follow each node's captured state.
        for (int w = 0; w < 50; w++) {
            index++;
            writeEverywhere(p, logs, index);
        }
        out.addAll(flush());
        out.addAll(flush());
        assertThat(resyncs).as("one resync for the one spell of discarding").hasValue(1);
        List<RaftEvent> markers = ofType(out, RaftEvent.EventsDropped.class);
        assertThat(markers).hasSize(1);
        assertThat(((RaftEvent.EventsDropped) markers.get(0)).count()).isEqualTo(discarded);
        assertThat(out.indexOf(markers.get(0))).isLessThan(out.indexOf(ofType(out, RaftEvent.ReplicaState.class).get(0)));
        assertThat(p.discardedProgressEvents()).as("nothing discarded after the spell").isEqualTo(discarded);

        ClusterState view = new ClusterState(List.of(1, 2, 3));
        for (RaftEvent e : out) {
            view.apply(EventJson.toJson(e));
        }
        for (Object n : view.toJson().getJsonArray("nodes")) {
            io.vertx.core.json.JsonObject node = (io.vertx.core.json.JsonObject) n;
            int id = node.getInteger("id");
            assertThat(node.getString("role")).isEqualTo(roles.get(id).displayName());
            assertThat(node.getLong("term")).isEqualTo(2);
            assertThat(node.getLong("commit")).as("node %d's commit", id).isEqualTo(index);
            assertThat(node.getLong("applied")).isEqualTo(index);
            assertThat(node.getLong("lastIndex")).isEqualTo(index);
            io.vertx.core.json.JsonArray log = node.getJsonArray("log");
            assertThat(log).hasSize(ClusterState.LOG_TAIL);
            for (int k = 0; k < log.size(); k++) {
                assertThat(log.getJsonObject(k).getLong("i")).isEqualTo(index - ClusterState.LOG_TAIL + 1 + k);
            }
        }
    }
}
