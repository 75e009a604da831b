package io.raftline.events;

import io.raftline.raft.Entry;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.MessageKind;
import io.reactivex.rxjava3.core.BackpressureStrategy;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.FlowableEmitter;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.processors.PublishProcessor;
import io.reactivex.rxjava3.schedulers.Schedulers;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Turns the facts that node threads report into the ordered, bounded event stream that is published: a reactive
 * stream (RxJava 3 {@link Flowable}) that runs on a {@link Scheduler} of its own, so that no node's event loop
 * ever runs any of it. It has two sides:
 *
 * <ul>
 *   <li>{@link #offer} may be called from any thread (every node's event loop) and never waits: it hands the fact
 *       to a serialized {@link FlowableEmitter} whose only downstream operator is {@code observeOn(scheduler)}, so
 *       the most a producer can ever run is that operator's enqueue (and, when the pipeline thread is idle, the
 *       submission of its drain task). Message events beyond {@link PublisherOptions#ingestCapacity()} waiting for
 *       the pipeline thread are counted and discarded there. So are the per-write state events ({@code LogAppended},
 *       {@code LogCommitted}, {@code Applied}) beyond as many (or
 *       {@link #MAX_QUEUED_PROGRESS_BYTES} of entries) not yet sequenced: once the backlog is down to half of that,
 *       an {@code EventsDropped} marker is published and every node is asked for its state ({@link #onShedEnd}),
 *       which it reports as a {@code ReplicaState}. The other state events (roles, elections, membership, faults,
 *       crashes, snapshots), whose number does not grow with the write load (a snapshot comes once per thousands of
 *       entries), are always handed over.</li>
 *   <li>On the pipeline's scheduler, {@code buffer} cuts the stream into windows of
 *       {@link PublisherOptions#flushIntervalMs()}, and each window is sequenced at once: the cluster-wide
 *       {@code seq} and each node's term and role are assigned, message events are sampled, apply, commit and
 *       append progress is coalesced. The result is {@link #sequenced()}, one list per window.</li>
 * </ul>
 *
 * <p>Why a time window rather than per-event operators: sampling that keeps a message's send and receive together,
 * and coalescing a node's progress, need to see the facts of the same moment together, and a receive reported
 * (by the receiving node's thread) before its send must still be published after it. The window is the unit in
 * which that causal order is restored.
 *
 * <p>Guarantees, checked by {@code EventPipelineTest}:
 * <ul>
 *   <li>state events (everything but message events) are never discarded unless the per-write ones exceed their
 *       bound (then the marker and a resync follow, see above); {@code LogAppended},
 *       {@code Applied} and {@code LogCommitted} runs of one node are coalesced into one event carrying the
 *       same progress (an append of many Readies reads as the node's log reads after all of them), so their
 *       number per window is bounded by the number of nodes, however busy the cluster is;</li>
 *   <li>per node, events are published in the order the node reported them; {@code seq} strictly increases;</li>
 *   <li>at most {@link PublisherOptions#messagesPerFlush()} sends per window (plus vote, pre-vote, snapshot and
 *       TimeoutNow sends, which are always kept), at most {@link PublisherOptions#perLinkPerFlush()} of one kind
 *       on one link;</li>
 *   <li>a receive or drop is published if and only if its send was, after it, with the send's {@code msgId}; it is
 *       paired with its send by identity, or, when it reports a copy (gRPC delivers what it decoded), by content
 *       ({@link SentMessages});</li>
 *   <li>the {@code Rates} figures count every message, published or not.</li>
 * </ul>
 */
public final class EventPipeline {

    /** Published sends remembered for pairing with their receives, at most (and as many sampled-out ones). */
    static final int MAX_TRACKED_SENDS = 8192;
    /**
     * Bytes of entries and snapshots the published sends remembered keep alive, at most (and as many for the
     * sampled-out ones): a remembered AppendEntries holds its values.
     */
    static final long MAX_TRACKED_SEND_BYTES = 64L << 20;
    /** A published send is forgotten after this long (longer than the largest injected delay). */
    static final long SEND_RETENTION_MS = 70_000;

    /**
     * Bytes of entries the per-write state events waiting for the pipeline thread may hold, at most (a
     * {@code LogAppended} keeps its entries' values alive until it is sequenced).
     */
    static final long MAX_QUEUED_PROGRESS_BYTES = 64L << 20;

    /** Facts a producer hands over before the pipeline thread asks for more (then they wait in the emitter). */
    static final int INGRESS_PREFETCH = 1024;

    private final PublisherOptions options;
    private final Scheduler scheduler;
    /** The daemon thread the scheduler runs on when the pipeline made its own, else null. */
    private final ScheduledExecutorService ownThread;
    private final FlowableEmitter<RaftEvent> ingress;
    private final PublishProcessor<List<RaftEvent>> sequenced = PublishProcessor.create();
    private final Disposable running;
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong discardedAtIngest = new AtomicLong();
    /**
     * Per-write state events ({@link #isProgress}) handed over and not yet sequenced: waiting for the pipeline
     * thread or in its open window. At most {@link PublisherOptions#ingestCapacity()}.
     */
    private final AtomicInteger queuedProgress = new AtomicInteger();
    /** Bytes of entries those events hold, at most {@link #MAX_QUEUED_PROGRESS_BYTES}. */
    private final AtomicLong queuedProgressBytes = new AtomicLong();
    /**
     * Set by a producer that found the bound reached: per-write state events are discarded from then on until the
     * pipeline thread has taken the backlog down to half the bound, then publishes an {@code EventsDropped} and asks
     * for every node's state again ({@link #onShedEnd}).
     */
    private volatile boolean shedding;
    /** Per-write state events discarded since the last {@code EventsDropped}. */
    private final AtomicLong shed = new AtomicLong();
    /** Per-write state events discarded since the start. */
    private final AtomicLong shedTotal = new AtomicLong();
    /** Run on the pipeline's scheduler when a spell of discarding ended (see {@link #onShedEnd}). */
    private volatile Runnable shedEnd;
    /** Sends per kind, counted at ingest so the rates include what was discarded there. */
    private final LongAdder[] sentByKind = new LongAdder[MessageKind.values().length];
    /**
     * Whether anyone looks at message events (a browser, a recorder): when no one does, a node's report of a
     * message costs one counter increment and nothing is queued (see {@link #wantsMessages()}).
     */
    private volatile boolean watched = true;

    // Everything below belongs to the pipeline's scheduler.
    private long seq;
    private long msgSeq;
    private final Map<Integer, NodeView> nodes = new HashMap<>();
    private final SentMessages sends = new SentMessages(MAX_TRACKED_SENDS, MAX_TRACKED_SEND_BYTES, SEND_RETENTION_MS);
    private List<RaftEvent> carried = new ArrayList<>();
    private final Map<Integer, RaftEvent.Applied> pendingApplied = new TreeMap<>();
    private final Map<Integer, RaftEvent.LogCommitted> pendingCommit = new TreeMap<>();
    private final Map<Integer, RaftEvent.LogAppended> pendingAppend = new TreeMap<>();
    private final Counters counters = new Counters();
    private final ArrayDeque<Long> elections = new ArrayDeque<>();
    private long ratesAt;
    private long ratesCommit;
    /** The followed group changed: the next rates start counting commits from that group's commit index. */
    private boolean rebaseCommit;

    /**
     * Creates a pipeline that runs on a daemon thread of its own (named {@code raftline-events}).
     *
     * @param options the sampling budget and bounds
     */
    public EventPipeline(PublisherOptions options) {
        // Work handed to the thread once it is shut down (a window on its way when the pipeline closed, an event a
        // node's thread offers meanwhile) is dropped, as close() says: refused, RxJava would report every refusal as
        // an undeliverable error, printed with its stack on a clean stop.
        this(options, new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "raftline-events");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.DiscardPolicy()));
    }

    private EventPipeline(PublisherOptions options, ScheduledExecutorService thread) {
        this(options, Schedulers.from(thread), thread);
    }

    /**
     * Creates a pipeline on the given scheduler, which must run one task at a time (tests pass a
     * {@code TestScheduler} and move its clock).
     *
     * @param options   the sampling budget and bounds
     * @param scheduler where sequencing, sampling and coalescing run, and whose clock dates windows and rates
     */
    public EventPipeline(PublisherOptions options, Scheduler scheduler) {
        this(options, scheduler, null);
    }

    private EventPipeline(PublisherOptions options, Scheduler scheduler, ScheduledExecutorService ownThread) {
        this.options = options;
        this.scheduler = scheduler;
        this.ownThread = ownThread;
        for (int i = 0; i < sentByKind.length; i++) {
            sentByKind[i] = new LongAdder();
        }
        List<FlowableEmitter<RaftEvent>> emitter = new ArrayList<>(1);
        Flowable<RaftEvent> facts = Flowable.create(e -> emitter.add(e.serialize()), BackpressureStrategy.BUFFER);
        running = facts
                .observeOn(scheduler, false, INGRESS_PREFETCH)
                .doOnNext(e -> {
                    if (e.isMessageEvent()) {
                        queuedMessages.decrementAndGet();
                    }
                })
                .buffer(options.flushIntervalMs(), TimeUnit.MILLISECONDS, scheduler, Integer.MAX_VALUE,
                        ArrayList::new, false)
                .map(batch -> sequence(batch, scheduler.now(TimeUnit.MILLISECONDS)))
                .subscribe(sequenced::onNext, sequenced::onError, sequenced::onComplete);
        this.ingress = emitter.get(0); // Flowable.create calls its source on subscription, above
        ratesAt = scheduler.now(TimeUnit.MILLISECONDS);
    }

    /**
     * The sequenced stream: one list per window (empty when nothing happened), on the pipeline's scheduler. It is
     * hot and does not wait for slow subscribers: subscribe with an {@code onBackpressure...} operator.
     *
     * @return the stream of windows
     */
    public Flowable<List<RaftEvent>> sequenced() {
        return sequenced;
    }

    /**
     * The scheduler everything downstream of {@link #offer} runs on.
     *
     * @return the pipeline's scheduler
     */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** Stops the pipeline (what was offered and not yet sequenced is lost) and its thread, if it has its own. */
    public void close() {
        running.dispose();
        if (ownThread != null) {
            ownThread.shutdown();
        }
    }

    /**
     * Whether message events are wanted now. Reporters ask before they build a message event: when this is
     * false they call {@link #countSent} instead of {@link #offer}, so a cluster that no one watches pays
     * nothing per message for the live view.
     *
     * @return true while someone watches
     */
    public boolean wantsMessages() {
        return watched;
    }

    /**
     * Says whether anyone watches message events (the publisher sets it from its audience).
     *
     * @param watched true while a browser or a recorder is attached
     */
    public void setWatched(boolean watched) {
        this.watched = watched;
    }

    /**
     * Counts a send for the rates; {@link #offer} does it for the sends it queues, and a reporter calls it alone
     * for a send it does not report because no one watches, so the rates stay true.
     *
     * @param m the message sent
     */
    public void countSent(Message m) {
        sentByKind[m.kind().ordinal()].increment();
    }

    /**
     * Hands a fact to the pipeline; callable from any thread, never waits for the pipeline.
     *
     * @param e the event, with an observed header
     */
    public void offer(RaftEvent e) {
        if (e.isMessageEvent()) {
            if (e instanceof RaftEvent.MessageSent s) {
                countSent(s.message());
            }
            if (queuedMessages.incrementAndGet() > options.ingestCapacity()) {
                queuedMessages.decrementAndGet();
                discardedAtIngest.incrementAndGet();
                return;
            }
        } else if (isProgress(e)) {
            if (shedding) {
                discard();
                return;
            }
            long bytes = bytesOf(e);
            int queued = queuedProgress.incrementAndGet();
            long queuedBytes = queuedProgressBytes.addAndGet(bytes);
            if (queued > options.ingestCapacity() || (queuedBytes > MAX_QUEUED_PROGRESS_BYTES && queued > 1)) {
                queuedProgress.decrementAndGet();
                queuedProgressBytes.addAndGet(-bytes);
                shedding = true;
                discard();
                return;
            }
        }
        ingress.onNext(e);
    }

    private void discard() {
        shed.incrementAndGet();
        shedTotal.incrementAndGet();
    }

    /**
     * Whether an event is one of the per-write state events, whose number grows with the write load: the pipeline
     * holds a bounded number of them, and what a discarded one would have told a {@code ReplicaState} tells.
     */
    static boolean isProgress(RaftEvent e) {
        return e instanceof RaftEvent.LogAppended || e instanceof RaftEvent.LogCommitted
                || e instanceof RaftEvent.Applied;
    }

    private static long bytesOf(RaftEvent e) {
        if (!(e instanceof RaftEvent.LogAppended a)) {
            return 0;
        }
        long bytes = 0;
        for (Entry en : a.entries()) {
            bytes += en.sizeBytes();
        }
        return bytes;
    }

    /**
     * Sets what runs, on the pipeline's scheduler, when per-write state events were discarded because the nodes
     * reported them faster than the pipeline took them, once the backlog is down again (right after the window that
     * carries the {@code EventsDropped} marker): the publisher has every local node report its state as a
     * {@code ReplicaState}, so the view is true again.
     *
     * @param action what asks the nodes for their state
     */
    public void onShedEnd(Runnable action) {
        this.shedEnd = action;
    }

    /**
     * Per-write state events handed over and not yet sequenced.
     *
     * @return the count, never above {@link PublisherOptions#ingestCapacity()}
     */
    public int queuedProgressEvents() {
        return queuedProgress.get();
    }

    /**
     * Per-write state events discarded at the hand-off since the start (the view was resynchronised after each spell).
     *
     * @return the count
     */
    public long discardedProgressEvents() {
        return shedTotal.get();
    }

    /**
     * Sequences one window of facts (on the pipeline's scheduler).
     *
     * @param batch the facts of the window, in the order they were handed over
     * @param now   the current time, epoch ms (for the rates and for forgetting old sends)
     * @return the events to publish, in order, with their final headers
     */
    private List<RaftEvent> sequence(List<RaftEvent> batch, long now) {
        Drain d = new Drain(now, batch);
        for (RaftEvent e : carried) {
            d.process(e, -1, true);
        }
        carried = d.carryNext;
        int progress = 0;
        long progressBytes = 0;
        for (int i = 0; i < batch.size(); i++) {
            RaftEvent e = batch.get(i);
            if (isProgress(e)) {
                progress++;
                progressBytes += bytesOf(e);
            }
            d.process(e, i, false);
        }
        for (Integer node : new ArrayList<>(pendingApplied.keySet())) {
            flushPending(node, d.out);
        }
        for (Integer node : new ArrayList<>(pendingCommit.keySet())) {
            flushPending(node, d.out);
        }
        for (Integer node : new ArrayList<>(pendingAppend.keySet())) {
            flushPending(node, d.out);
        }
        sends.forgetOld(now);
        if (now - ratesAt >= options.ratesIntervalMs()) {
            d.out.add(publish(rates(now)));
        }
        // Taken from the bound only now: until the window is sequenced its events are held in it.
        int left = queuedProgress.addAndGet(-progress);
        long leftBytes = queuedProgressBytes.addAndGet(-progressBytes);
        if (shedding && left <= options.ingestCapacity() / 2 && leftBytes <= MAX_QUEUED_PROGRESS_BYTES / 2) {
            shedding = false;
            long n = shed.getAndSet(0);
            d.out.add(publish(new RaftEvent.EventsDropped(EventHeader.observed(now, 0), n)));
            Runnable r = shedEnd;
            if (r != null) {
                // Every local node's state is captured on its own event loop after this point; what it reports
                // afterwards follows the capture.
                r.run();
            }
        }
        return d.out;
    }

    /**
     * Message events discarded at ingest because the buffer was full, since the start.
     *
     * @return the count
     */
    public long discardedAtIngest() {
        return discardedAtIngest.get();
    }

    /** One window: the batch, which sends in it were already handled, and what to publish. */
    private final class Drain {
        final long now;
        final List<RaftEvent> batch;
        final boolean[] done;
        final IdentityHashMap<Message, ArrayDeque<Integer>> sendsInBatch = new IdentityHashMap<>();
        /** The batch's sends by content, for an arrival that reports a copy (see {@link SentMessages}). */
        final Map<Object, ArrayDeque<Integer>> sendsInBatchByContent = new HashMap<>();
        /** The content key of each of the batch's sends (null for other events). */
        final Object[] keys;
        final Map<String, Integer> perLink = new HashMap<>();
        final List<RaftEvent> out = new ArrayList<>();
        final List<RaftEvent> carryNext = new ArrayList<>();
        int budget = options.messagesPerFlush();

        Drain(long now, List<RaftEvent> batch) {
            this.now = now;
            this.batch = batch;
            this.done = new boolean[batch.size()];
            this.keys = new Object[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                if (batch.get(i) instanceof RaftEvent.MessageSent s) {
                    sendsInBatch.computeIfAbsent(s.message(), k -> new ArrayDeque<>()).add(i);
                    keys[i] = SentMessages.key(s.message());
                    sendsInBatchByContent.computeIfAbsent(keys[i], k -> new ArrayDeque<>()).add(i);
                }
            }
        }

        void process(RaftEvent e, int index, boolean wasCarried) {
            if (e instanceof RaftEvent.MessageSent s) {
                if (!done[index]) {
                    done[index] = true;
                    send(s, keys[index]);
                }
            } else if (e instanceof RaftEvent.MessageReceived || e instanceof RaftEvent.MessageDropped) {
                arrival(e, wasCarried);
            } else {
                state(e);
            }
        }

        private void send(RaftEvent.MessageSent s, Object key) {
            Message m = s.message();
            boolean keep;
            if (alwaysKept(m.kind())) {
                keep = true;
            } else {
                String link = m.from() + ">" + m.to() + ":" + m.kind().ordinal();
                int onLink = perLink.getOrDefault(link, 0);
                keep = budget > 0 && onLink < options.perLinkPerFlush();
                if (keep) {
                    budget--;
                    perLink.put(link, onLink + 1);
                }
            }
            if (!keep) {
                counters.sampledOut++;
                sends.add(m, key, 0, now); // so that its arrival is not taken for a published send's
                return;
            }
            flushPending(m.from(), out);
            long msgId = ++msgSeq;
            sends.add(m, key, msgId, now);
            out.add(publish(s.withMsgId(msgId)));
        }

        /**
         * The send an arrival belongs to (published or not), or null if none is known yet: the same object first, in
         * what was sequenced or later in this window; else, for a copy, the oldest send of the same content awaiting
         * its arrival, likewise; else the send of that content something arrived for last (a duplicate). A send
         * later in this window, reported after its arrival by another thread, is sequenced first.
         */
        private SentMessages.Sent sendOf(Message m) {
            SentMessages.Sent p = sends.byIdentity(m);
            if (p != null) {
                return p;
            }
            ArrayDeque<Integer> same = sendsInBatch.get(m);
            if (same != null) {
                for (Integer i : same) {
                    if (!done[i]) {
                        // The receiver reported before the sender (they run on different threads): the send
                        // goes out first so that every consumer sees cause before effect.
                        process(batch.get(i), i, false);
                    }
                }
                return sends.byIdentity(m);
            }
            Object key = SentMessages.key(m);
            p = sends.awaitingContent(key);
            if (p != null) {
                return p;
            }
            ArrayDeque<Integer> equal = sendsInBatchByContent.get(key);
            if (equal != null) {
                for (Integer i : equal) {
                    if (!done[i]) {
                        process(batch.get(i), i, false);
                        return sends.awaitingContent(key);
                    }
                }
            }
            return sends.arrivedContent(key);
        }

        private void arrival(RaftEvent e, boolean wasCarried) {
            Message m = e instanceof RaftEvent.MessageReceived r ? r.message() : ((RaftEvent.MessageDropped) e).message();
            SentMessages.Sent sent = sendOf(m);
            boolean known = sent != null;
            long msgId = known ? sent.msgId : 0;
            if (!wasCarried) {
                if (e instanceof RaftEvent.MessageDropped) {
                    counters.dropped++;
                } else {
                    counters.received++;
                }
            }
            if (msgId == 0) {
                if (!known && !wasCarried) {
                    carryNext.add(e); // its send may still be on its way into the queue
                } else {
                    counters.sampledOut++;
                }
                return;
            }
            flushPending(e.header().node(), out);
            if (e instanceof RaftEvent.MessageReceived r) {
                out.add(publish(r.withMsgId(msgId)));
            } else {
                out.add(publish(((RaftEvent.MessageDropped) e).withMsgId(msgId)));
            }
        }

        private void state(RaftEvent e) {
            int node = e.header().node();
            if (e instanceof RaftEvent.Applied a) {
                RaftEvent.Applied pending = pendingApplied.get(node);
                if (pending != null && a.first() == pending.last() + 1) {
                    pendingApplied.put(node, new RaftEvent.Applied(pending.header(), pending.first(), a.last()));
                } else {
                    if (pending != null) {
                        out.add(publish(pendingApplied.remove(node)));
                    }
                    pendingApplied.put(node, a);
                }
                return;
            }
            if (e instanceof RaftEvent.LogAppended a) {
                RaftEvent.LogAppended merged = merge(pendingAppend.get(node), a);
                if (merged == null) {
                    flushPending(node, out);
                    merged = a;
                }
                pendingAppend.put(node, merged);
                return;
            }
            if (e instanceof RaftEvent.LogCommitted c) {
                RaftEvent.LogCommitted pending = pendingCommit.get(node);
                pendingCommit.put(node, pending == null ? c : new RaftEvent.LogCommitted(pending.header(), c.commit()));
                return;
            }
            if (e instanceof RaftEvent.ElectionStarted s && !s.preVote()) {
                elections.add(now);
            }
            if (e instanceof RaftEvent.FocusChanged f) {
                // Everything reported before the switch is of the old group: out before the marker. A receive or loss
                // of an old group's message that comes later finds no published send and is left out.
                for (Integer n : new java.util.TreeSet<>(pendingApplied.keySet())) {
                    flushPending(n, out);
                }
                for (Integer n : new java.util.TreeSet<>(pendingCommit.keySet())) {
                    flushPending(n, out);
                }
                for (Integer n : new java.util.TreeSet<>(pendingAppend.keySet())) {
                    flushPending(n, out);
                }
                sends.clear();
                rebaseCommit = true;
                for (Integer n : f.nodes()) {
                    nodes.remove(n);
                }
            }
            flushPending(node, out);
            out.add(publish(e));
        }
    }

    private static boolean alwaysKept(MessageKind kind) {
        switch (kind) {
            case APPEND_ENTRIES:
            case APPEND_ENTRIES_RESPONSE:
            case HEARTBEAT:
            case HEARTBEAT_RESPONSE:
            case READ_INDEX:
            case READ_INDEX_RESPONSE:
                return false;
            default:
                return true;
        }
    }

    /**
     * One append standing for two successive appends of a node, as its log would read after both: the later one
     * replaces the earlier one's entries from its first index on. Null when they do not join (a gap between
     * them), so the earlier one is published on its own.
     */
    static RaftEvent.LogAppended merge(RaftEvent.LogAppended earlier, RaftEvent.LogAppended later) {
        if (earlier == null) {
            return later;
        }
        List<Entry> before = earlier.entries();
        long first = later.entries().get(0).index();
        long earlierFirst = before.get(0).index();
        if (first > before.get(before.size() - 1).index() + 1) {
            return null;
        }
        if (first <= earlierFirst) {
            return later;
        }
        List<Entry> joined = new ArrayList<>(before.subList(0, (int) (first - earlierFirst)));
        joined.addAll(later.entries());
        return new RaftEvent.LogAppended(later.header(), joined);
    }

    private void flushPending(int node, List<RaftEvent> out) {
        RaftEvent.LogAppended appended = pendingAppend.remove(node);
        if (appended != null) {
            out.add(publish(appended));
        }
        RaftEvent.Applied a = pendingApplied.remove(node);
        if (a != null) {
            out.add(publish(a));
        }
        RaftEvent.LogCommitted c = pendingCommit.remove(node);
        if (c != null) {
            out.add(publish(c));
        }
    }

    /** Assigns the final header and tracks the node's term, role and commit. */
    private RaftEvent publish(RaftEvent e) {
        EventHeader h = e.header();
        int node = h.node();
        if (node == 0) {
            long maxTerm = 0;
            for (NodeView v : nodes.values()) {
                maxTerm = Math.max(maxTerm, v.term);
            }
            return e.withHeader(h.published(++seq, maxTerm, ""));
        }
        NodeView v = nodes.computeIfAbsent(node, k -> new NodeView());
        if (!h.role().isEmpty()) {
            // Core events arrive with the term and role the node reported.
            v.term = h.term();
            v.role = h.role();
        } else if (e instanceof RaftEvent.NodeCrashed) {
            v.role = "Down";
        } else if (e instanceof RaftEvent.NodeRestarted) {
            v.role = "Follower";
        } else if (e instanceof RaftEvent.LogCommitted c) {
            v.commit = c.commit();
        } else if (e instanceof RaftEvent.ReplicaState r) {
            // The node's replica of the group now followed: its headers carry that replica's term and role.
            v.term = r.view().status().term();
            v.role = r.view().status().roleName();
            v.commit = r.view().status().commit();
        }
        return e.withHeader(h.published(++seq, v.term, v.role));
    }

    private RaftEvent rates(long now) {
        double seconds = Math.max(1, now - ratesAt) / 1000.0;
        while (!elections.isEmpty() && elections.peek() <= now - 60_000) {
            elections.poll();
        }
        long maxCommit = 0;
        for (NodeView v : nodes.values()) {
            maxCommit = Math.max(maxCommit, v.commit);
        }
        if (rebaseCommit) {
            rebaseCommit = false;
            ratesCommit = maxCommit;
        }
        long sampledOut = counters.sampledOut + (discardedAtIngest.get() - counters.ingestDiscardSeen);
        JsonObject byKind = new JsonObject();
        long sentTotal = 0;
        for (MessageKind k : MessageKind.values()) {
            long n = sentByKind[k.ordinal()].sumThenReset();
            sentTotal += n;
            if (n > 0) {
                byKind.put(k.displayName(), round(n / seconds));
            }
        }
        JsonObject r = new JsonObject()
                .put("intervalMs", now - ratesAt)
                .put("msgsPerSec", round(sentTotal / seconds))
                .put("receivedPerSec", round(counters.received / seconds))
                .put("dropsPerSec", round(counters.dropped / seconds))
                .put("sampledOutPerSec", round(sampledOut / seconds))
                .put("electionsPerMin", elections.size())
                .put("commitsPerSec", round(Math.max(0, maxCommit - ratesCommit) / seconds))
                .put("byKind", byKind);
        counters.reset();
        counters.ingestDiscardSeen = discardedAtIngest.get();
        ratesCommit = Math.max(ratesCommit, maxCommit);
        ratesAt = now;
        return new RaftEvent.Rates(EventHeader.observed(now, 0), r);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** What the drain knows of one node, to fill in event headers. */
    private static final class NodeView {
        long term;
        String role = "Follower";
        long commit;
    }

    /** Message counts since the last rates event. */
    private static final class Counters {
        long received;
        long dropped;
        long sampledOut;
        long ingestDiscardSeen;

        void reset() {
            received = 0;
            dropped = 0;
            sampledOut = 0;
        }
    }
}
