package io.raftline.events;

import io.raftline.kv.KvResult;
import io.raftline.node.NodeListener;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.CompositeDisposable;
import io.reactivex.rxjava3.processors.PublishProcessor;
import io.reactivex.rxjava3.processors.UnicastProcessor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import io.vertx.rxjava3.RxHelper;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Publishes everything the nodes report as {@link RaftEvent}s: to each browser on the SockJS bridge as frames of the
 * address {@value #ADDRESS} (one {@link ViewerFeed} per browser), to {@link EventSink}s (an {@link NdjsonRecorder}),
 * and folded into the {@link ClusterState} a late joiner starts from. Give it to every {@code RaftNodeVerticle} as
 * their {@link NodeListener} (and to the transport as its drop listener) and deploy it as a verticle.
 *
 * <p>Reporting never slows consensus: a node's event loop only hands the fact to the {@link EventPipeline}, a
 * reactive stream on a thread of its own where sequence numbers are assigned, message events are sampled, JSON is
 * made and the cluster state is folded; each browser's feed is shaped there too. This verticle's event loop only
 * feeds the sinks and, with one node per process, relays. Events reported before deployment are kept and reach the
 * sinks once it is deployed.
 *
 * <p>Message events (a send, receive or drop per Raft message) are most of the volume and serve only to draw
 * arrows, so they are reported only while someone watches: a browser on the bridge ({@link #viewerConnected}),
 * a sink, or with one node per process a viewer of another process ({@link #DEMAND_ADDRESS}). Unwatched, a
 * message costs its node one counter increment (the rates stay true). State events (roles, votes, appends,
 * commits, crashes) are always reported, so a browser that connects later starts from a true snapshot.
 */
public final class EventPublisher extends VerticleBase implements NodeListener {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventPublisher.class);


    /**
     * The address browsers register on the bridge to receive events. Nothing is published on the event bus under
     * it: each registered browser gets its own {@link ViewerFeed}, written to its socket as the bridge's
     * {@code rec} frames of this address.
     */
    public static final String ADDRESS = "raft.events";

    /**
     * With one node per process (a clustered event bus), every process's pipeline publishes here instead,
     * cluster-wide, one JSON array per window of events; each process relays what arrives, from all processes, to its own browsers and sinks with one
     * sequence of its own. So the live view of any process shows the whole cluster with one consistent
     * {@code seq}. Internal: never bridged.
     */
    public static final String ORIGIN_ADDRESS = "raftline.events.origin";

    /**
     * With one node per process, a process whose live view has a viewer publishes here (cluster-wide, every
     * {@link #DEMAND_INTERVAL_MS}) so that every process reports message events while anyone watches, and none
     * while no one does. Internal: never bridged.
     */
    public static final String DEMAND_ADDRESS = "raftline.events.demand";

    /** How often a process with viewers renews its demand for message events. */
    static final long DEMAND_INTERVAL_MS = 1000;
    /** A demand lapses after this long without renewal (a process with viewers that died). */
    static final long DEMAND_LEASE_MS = 3 * DEMAND_INTERVAL_MS;

    private final EventPipeline pipeline;
    private final PublisherOptions options;
    private final LongSupplier clock;
    private final EventJson.Mapper json;
    /** Folded on the pipeline's scheduler only. */
    private final ClusterState state;
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    /** Every window, as JSON, for this verticle's event loop (held until deployment). */
    private final UnicastProcessor<Window> toLoop = UnicastProcessor.create();
    /** The published stream every feed and in-process subscriber reads (on the pipeline's scheduler). */
    private final PublishProcessor<Window> published = PublishProcessor.create();
    /** Relayed events from every process (one node per process), from this verticle's loop. */
    private final UnicastProcessor<JsonObject> relayed = UnicastProcessor.create();
    /** Callers of {@link #flushNow}, with the window number they wait for. */
    private final java.util.Queue<Waiter> flushWaiters = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Callers of {@link #snapshot}, with the window number they wait for (pipeline scheduler only). */
    private final List<SnapshotWaiter> snapshotWaiters = new java.util.ArrayList<>();
    private final CompositeDisposable running = new CompositeDisposable();
    private volatile boolean relay;
    // On the pipeline's scheduler:
    private boolean started;
    private final List<Window> early = new java.util.ArrayList<>();
    private long windows;
    private long relaySeq;
    /** The relay's own message ids for the messages of every process (pipeline scheduler only). */
    private final RelayedMessageIds relayedIds = new RelayedMessageIds(4 * EventPipeline.MAX_TRACKED_SENDS);
    /** Browsers connected to this process's bridge; changed on the bridge's threads. */
    private final AtomicInteger viewers = new AtomicInteger();
    // On this verticle's event loop:
    private long remoteDemandUntil;
    /** When this process last published its demand, or -1 before the first time. */
    private long demandSentAt = -1;
    private long audienceTimer = -1;
    private volatile java.util.function.IntFunction<List<io.raftline.transport.NetworkConditioner.InNetwork>> outbox;
    /** Run on this verticle's loop when an audience returns after none (see {@link #onAudienceReturn}). */
    private volatile Runnable resync;

    /**
     * Creates a publisher whose pipeline runs on a thread of its own.
     *
     * @param members the cluster's node ids (announced in the first event)
     * @param options sampling budget and flush period
     * @param clock   epoch milliseconds (event timestamps and rates)
     */
    public EventPublisher(List<Integer> members, PublisherOptions options, LongSupplier clock) {
        this(members, options, clock, null, new EventPipeline(options));
    }

    /**
     * Creates a publisher.
     *
     * @param members  the cluster's node ids (announced in the first event)
     * @param options  sampling budget and flush period
     * @param clock    epoch milliseconds (event timestamps)
     * @param timing   the configured Raft timing announced to viewers ({@code heartbeatMs},
     *                 {@code electionMs: [min, max]}), or null if unknown
     * @param pipeline the pipeline to run on (built with the same options)
     */
    public EventPublisher(List<Integer> members, PublisherOptions options, LongSupplier clock, JsonObject timing,
            EventPipeline pipeline) {
        this.options = options;
        this.clock = clock;
        this.pipeline = pipeline;
        this.json = new EventJson.Mapper(options.eventValues());
        this.state = new ClusterState(members);
        Scheduler on = pipeline.scheduler();
        running.add(pipeline.sequenced()
                .onBackpressureBuffer()
                .map(batch -> {
                    List<JsonObject> out = new java.util.ArrayList<>(batch.size());
                    for (RaftEvent e : batch) {
                        out.add(json.toJson(e));
                    }
                    return new Window(++windows, out);
                })
                .subscribe(this::sequenced));
        running.add(relayed.observeOn(on)
                .buffer(options.flushIntervalMs(), TimeUnit.MILLISECONDS, on, Integer.MAX_VALUE, java.util.ArrayList::new,
                        false)
                .filter(b -> !b.isEmpty())
                .subscribe(b -> {
                    List<JsonObject> out = new java.util.ArrayList<>(b.size());
                    for (JsonObject e : b) {
                        // Another process may be configured to show what this one hides: the stricter wins here.
                        JsonObject r = EventJson.redact(e.copy(), options.eventValues());
                        if (relayedIds.renumber(r)) {
                            out.add(r.put("seq", ++relaySeq));
                        }
                    }
                    if (!out.isEmpty()) {
                        fold(new Window(-1, out));
                    }
                }));
        // Per-write state events discarded because the nodes reported them faster than the pipeline took them: once
        // the backlog is gone, every local node reports its state again (as when an audience returns).
        pipeline.onShedEnd(() -> {
            Context ctx = context;
            Runnable r = resync;
            if (ctx != null && r != null) {
                ctx.runOnContext(v -> r.run());
            }
        });
        pipeline.offer(new RaftEvent.ClusterInfo(EventHeader.observed(clock.getAsLong(), 0), members, timing));
    }

    /**
     * Creates a publisher with the default options and the system clock.
     *
     * @param members the cluster's node ids
     * @param timing  the configured Raft timing (see the main constructor), or null
     */
    public EventPublisher(List<Integer> members, JsonObject timing) {
        this(members, PublisherOptions.DEFAULTS, System::currentTimeMillis, timing,
                new EventPipeline(PublisherOptions.DEFAULTS));
    }

    /**
     * Creates a publisher with the default options and the system clock.
     *
     * @param members the cluster's node ids
     */
    public EventPublisher(List<Integer> members) {
        this(members, (JsonObject) null);
    }

    /** One window of published events as JSON; {@code number} counts this process's own windows (-1: relayed). */
    record Window(long number, List<JsonObject> events) {
    }

    private record Waiter(long window, Promise<Void> promise) {
    }

    private record SnapshotWaiter(long window, Consumer<JsonObject> then) {
    }

    /** A window of this process's pipeline, on the pipeline's scheduler. */
    private void sequenced(Window w) {
        if (!started) {
            early.add(w); // folded once deployed, when it is known whether this process relays
            return;
        }
        if (!relay) {
            fold(w);
        } else {
            answerSnapshots(w.number());
        }
        if (!w.events().isEmpty() || !flushWaiters.isEmpty()) {
            toLoop.onNext(w);
        }
    }

    /** Folds a published window into the state and hands it to the feeds (pipeline scheduler). */
    private void fold(Window w) {
        for (JsonObject e : w.events()) {
            state.apply(e);
        }
        if (w.number() >= 0) {
            answerSnapshots(w.number());
        }
        if (!w.events().isEmpty()) {
            published.onNext(w);
            if (relay) {
                toLoop.onNext(w);
            }
        }
    }

    private void answerSnapshots(long window) {
        for (java.util.Iterator<SnapshotWaiter> it = snapshotWaiters.iterator(); it.hasNext();) {
            SnapshotWaiter s = it.next();
            if (s.window() <= window) {
                it.remove();
                s.then().accept(state.toJson());
            }
        }
    }

    /**
     * Adds a sink that receives every event published from now on (call before deploying to see them all).
     *
     * @param sink the sink
     */
    public void addSink(EventSink sink) {
        sinks.add(sink);
    }

    @Override
    public Future<?> start() {
        relay = vertx.isClustered();
        Scheduler loop = RxHelper.scheduler(context);
        running.add(toLoop.observeOn(loop).subscribe(this::onLoop));
        pipeline.scheduler().scheduleDirect(() -> {
            started = true;
            early.forEach(this::sequenced);
            early.clear();
        });
        audienceTimer = vertx.setPeriodic(DEMAND_INTERVAL_MS / 4, t -> updateAudience());
        updateAudience();
        if (!relay) {
            return Future.succeededFuture();
        }
        Future<Void> demand = vertx.eventBus().consumer(DEMAND_ADDRESS, m -> {
            remoteDemandUntil = clock.getAsLong() + DEMAND_LEASE_MS;
            updateAudience();
        }).completion();
        return demand.compose(v -> vertx.eventBus().<io.vertx.core.json.JsonArray>consumer(ORIGIN_ADDRESS,
                m -> relay(m.body())).completion());
    }

    /**
     * A window of events published by a process (this one included) on {@value #ORIGIN_ADDRESS}: relayed to this
     * process's feeds, sinks and state in the relay's next window. Callable from any thread.
     *
     * @param window the events, as the publishing process made them
     */
    void relay(io.vertx.core.json.JsonArray window) {
        for (Object e : window) {
            relayed.onNext((JsonObject) e);
        }
    }

    /**
     * A window on this verticle's event loop: this process's own windows go to the other processes (relay) or
     * to the sinks; relayed ones (number -1) to the sinks.
     */
    private void onLoop(Window w) {
        // Nothing here may throw out of this method: RxJava cancels a subscription whose consumer throws, and every
        // later window of this process would be lost (the live view would stop showing this process's nodes).
        boolean own = w.number() >= 0;
        if (own && relay) {
            // One cluster-wide message per window, not per event: under load a window holds hundreds of appends
            // and commits, and a bus message each cost a tenth of a busy leader's CPU (docs/performance.md). It
            // comes back through the relay, with the other processes' windows.
            if (!w.events().isEmpty()) {
                try {
                    vertx.eventBus().publish(ORIGIN_ADDRESS, new io.vertx.core.json.JsonArray(
                            new java.util.ArrayList<>(w.events())));
                } catch (RuntimeException e) {
                    // A publish that fails to reach a dying process does not throw here: Vert.x 5.0 reports it to
                    // the context's exception handler ("Promise already completed", which FatalErrors logs as a
                    // warning). Anything that does throw costs this window, not the subscription.
                    LOG.warn("an event window of {} events was not published to every process: {}",
                            w.events().size(), e.toString());
                }
            }
        } else if (!w.events().isEmpty()) {
            for (EventSink s : sinks) {
                // Each sink on its own: one that fails (a recorder whose disk is full) leaves the others their events.
                try {
                    for (JsonObject e : w.events()) {
                        s.accept(e);
                    }
                    s.endOfBatch();
                } catch (RuntimeException e) {
                    LOG.warn("an event sink failed on a window of {} events: {}", w.events().size(), e.toString());
                }
            }
        }
        if (own) {
            for (java.util.Iterator<Waiter> it = flushWaiters.iterator(); it.hasNext();) {
                Waiter f = it.next();
                if (f.window() <= w.number()) {
                    it.remove();
                    f.promise().complete();
                }
            }
        }
    }

    /**
     * A browser opened the live view's bridge on this process: message events are reported from now on (in
     * every process of a clustered deployment, within {@link #DEMAND_INTERVAL_MS}).
     */
    public void viewerConnected() {
        viewers.incrementAndGet();
        viewersChanged();
    }

    /** A browser left; once none is left anywhere (and no sink records), message events stop being reported. */
    public void viewerDisconnected() {
        viewers.decrementAndGet();
        viewersChanged();
    }

    /** Re-decides the audience on this verticle's loop (before deployment, {@link #start} does it). */
    private void viewersChanged() {
        Context ctx = context;
        if (ctx != null) {
            ctx.runOnContext(v -> updateAudience());
        }
    }

    /**
     * Decides whether message events are wanted: while a browser is connected here, a sink records, or (one
     * node per process) another process's demand is fresh. Renews this process's demand when it has viewers.
     * Runs on this verticle's event loop.
     */
    private void updateAudience() {
        long now = clock.getAsLong();
        boolean local = viewers.get() > 0 || !sinks.isEmpty();
        if (relay && local && demandDue(demandSentAt, now)) {
            demandSentAt = now;
            vertx.eventBus().publish(DEMAND_ADDRESS, null);
        }
        boolean watched = local || (relay && now < remoteDemandUntil);
        boolean was = pipeline.wantsMessages();
        pipeline.setWatched(watched);
        Runnable r = resync;
        if (watched && !was && r != null) {
            // What no one watched was not reported: the nodes' state (log tails included) is captured again.
            r.run();
        }
    }

    /**
     * Sets what brings the stream's picture of the local nodes up to date when someone starts watching after no one
     * did: while no one watches (no browser here or, with one node per process, anywhere, and no sink), neither
     * message events nor the per-write events ({@code LogAppended}, {@code LogCommitted}, {@code Applied},
     * {@code ClientRequest}) are reported, so a cluster that no one watches pays next to nothing for the live view.
     * The resync reports each local node's state as a {@code ReplicaState} (see {@link #replicaState}); it runs on
     * this verticle's loop. It also runs after the pipeline discarded per-write events that the nodes reported
     * faster than it took them (see {@link EventPipeline#onShedEnd}).
     *
     * @param action captures every local node and reports it
     */
    public void onAudienceReturn(Runnable action) {
        this.resync = action;
    }

    /**
     * Whether a process with viewers must renew its demand now.
     *
     * @param sentAt when it last did, or -1 if never
     * @param now    the clock now
     * @return true the first time and then every {@link #DEMAND_INTERVAL_MS}
     */
    static boolean demandDue(long sentAt, long now) {
        return sentAt < 0 || now - sentAt >= DEMAND_INTERVAL_MS;
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(audienceTimer);
        return flushNow().eventually(() -> {
            running.dispose();
            pipeline.close();
            return Future.succeededFuture();
        });
    }

    /**
     * Every event published from now on, as JSON, on the pipeline's scheduler, for an in-process subscriber that
     * must see them all (it is buffered without bound: keep up). Browsers get a {@link #viewerFeed} instead.
     *
     * @return the stream of published events
     */
    public Flowable<JsonObject> events() {
        return published.onBackpressureBuffer().concatMapIterable(Window::events);
    }

    /**
     * The stream one browser gets: every state event, message events thinned when the browser falls behind, and a
     * resynchronising {@code Snapshot} when it falls too far behind (see {@link ViewerFeed}). Nothing runs until it
     * is subscribed; it runs on the pipeline's scheduler.
     *
     * @param feedOptions how much lag a browser is allowed
     * @return the browser's stream of events
     */
    public Flowable<JsonObject> viewerFeed(ViewerFeed.Options feedOptions) {
        return ViewerFeed.create(published.map(Window::events), pipeline.scheduler(), state::toJson, feedOptions);
    }

    /**
     * The cluster state folded from every event published so far, once what is pending is published: the
     * starting point for a browser that connects now (it then ignores events with a {@code seq} not above
     * the snapshot's).
     *
     * @return a {@code Snapshot} JSON object, completed on the caller's context
     */
    public Future<JsonObject> snapshot() {
        if (context == null) {
            return Future.failedFuture(new IllegalStateException("the event publisher is not deployed"));
        }
        io.vertx.core.internal.ContextInternal caller = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
        Promise<JsonObject> p = caller.promise();
        pipeline.scheduler().scheduleDirect(() -> snapshotWaiters.add(new SnapshotWaiter(relay ? -1 : windows + 1,
                p::complete)));
        if (relay) {
            pipeline.scheduler().scheduleDirect(() -> answerSnapshots(windows));
        }
        return p.future();
    }

    private EventHeader now(int node) {
        return EventHeader.observed(clock.getAsLong(), node);
    }

    /**
     * Reports a change of the injected faults (the control handler and the admin API call this).
     *
     * @param faults the whole new fault state
     */
    public void faultChanged(JsonObject faults) {
        pipeline.offer(new RaftEvent.FaultChanged(now(0), faults));
    }

    /**
     * Reports a client request issued from the live view.
     *
     * @param node    the node it was sent to
     * @param request its fields (see {@link RaftEvent.ClientRequest})
     */
    public void clientRequest(int node, JsonObject request) {
        if (!pipeline.wantsMessages()) {
            return;
        }
        pipeline.offer(new RaftEvent.ClientRequest(now(node), request));
    }

    /**
     * Whether anyone watches the stream now (a browser here or, with one node per process, in another process, or a
     * recording sink): periodic reports that only a viewer needs, such as the groups grid, are made only then.
     *
     * @return true while someone watches
     */
    public boolean watched() {
        return pipeline.wantsMessages();
    }

    /**
     * Reports the grid of a sharded cluster's groups (see {@link RaftEvent.GroupsState}); call it only while
     * {@link #watched()}.
     *
     * @param state {@code count}, {@code focusedGroup}, {@code nodes}, {@code groups}, {@code leads}
     */
    public void groupsState(JsonObject state) {
        pipeline.offer(new RaftEvent.GroupsState(now(0), state));
    }

    /**
     * Reports that the listed nodes' events are of another group from now on (see {@link RaftEvent.FocusChanged}).
     * Call it after the old group's replicas stopped reporting and before the new group's start.
     *
     * @param group    the group followed from now on
     * @param previous the group followed until now
     * @param nodes    the nodes whose events switch
     */
    public void focusChanged(int group, int previous, List<Integer> nodes) {
        pipeline.offer(new RaftEvent.FocusChanged(now(0), group, previous, nodes));
    }

    /**
     * Reports the state a node's replica of the newly followed group starts from; called on that replica's event
     * loop, right before its events start being reported.
     *
     * @param node  the node
     * @param group the group
     * @param view  the replica as captured
     */
    public void replicaState(int node, int group, io.raftline.node.NodeHost.ReplicaView view) {
        pipeline.offer(new RaftEvent.ReplicaState(now(node), group, view));
    }

    /**
     * Reports the verdict of a linearizability check of a run against this cluster (the {@code verify}
     * command calls this once the run is checked).
     *
     * @param result the figures (see {@link RaftEvent.CheckVerdict})
     */
    public void checkVerdict(JsonObject result) {
        pipeline.offer(new RaftEvent.CheckVerdict(now(0), result));
    }

    /**
     * Publishes everything reported so far and hands it to the sinks, then completes: after it, a verdict
     * reported before the call is in every recording.
     *
     * @return completes on the caller's context once flushed
     */
    public Future<Void> flushNow() {
        if (context == null) {
            return Future.failedFuture(new IllegalStateException("the event publisher is not deployed"));
        }
        io.vertx.core.internal.ContextInternal caller = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
        Promise<Void> p = caller.promise();
        pipeline.scheduler().scheduleDirect(() -> flushWaiters.add(new Waiter(windows + 1, p)));
        return p.future();
    }

    @Override
    public void coreEvent(int node, long term, Role role, CoreEvent event) {
        long ts = clock.getAsLong();
        EventHeader h = new EventHeader(0, ts, node, term, role.displayName());
        if (event instanceof CoreEvent.StateChange s) {
            pipeline.offer(new RaftEvent.StateChange(new EventHeader(0, ts, node, s.term(), s.to().displayName()),
                    s.from().displayName(), s.to().displayName(), s.leader(), s.reason()));
        } else if (event instanceof CoreEvent.ElectionStarted s) {
            pipeline.offer(new RaftEvent.ElectionStarted(h, s.term(), s.preVote(), s.transfer()));
        } else if (event instanceof CoreEvent.VoteGranted v) {
            pipeline.offer(new RaftEvent.VoteGranted(h, v.candidate(), v.term(), v.preVote()));
        } else if (event instanceof CoreEvent.LeaderElected l) {
            pipeline.offer(new RaftEvent.LeaderElected(h, l.leader(), l.term(), l.votes()));
        } else if (event instanceof CoreEvent.LeadershipTransfer t) {
            pipeline.offer(new RaftEvent.LeadershipTransfer(h, t.target(), t.description()));
        } else if (event instanceof CoreEvent.MembershipChanged mc) {
            pipeline.offer(new RaftEvent.MembershipChanged(h, mc.index(), mc.membership().voters(),
                    mc.membership().learners(), mc.membership().addresses(), mc.reason()));
        }
    }

    /**
     * Where the copies of a node's messages that the network holds back are read from (the process's network
     * conditioner); without one, {@code QueueStats} carry an empty outbox.
     *
     * @param source the held copies of a sender, callable from any thread
     */
    public void setOutboxSource(java.util.function.IntFunction<List<io.raftline.transport.NetworkConditioner.InNetwork>> source) {
        this.outbox = source;
    }

    @Override
    public boolean wantsQueueStats() {
        return pipeline.wantsMessages();
    }

    @Override
    public void queueStats(io.raftline.node.QueueStats stats) {
        var held = outbox;
        pipeline.offer(new RaftEvent.QueueStats(now(stats.node()), stats,
                held == null ? List.of() : held.apply(stats.node())));
    }

    @Override
    public void messageSent(Message m) {
        if (m instanceof io.raftline.raft.message.Keepalive) {
            return; // not a Raft message: the node's liveness signal, never drawn
        }
        if (pipeline.wantsMessages()) {
            pipeline.offer(new RaftEvent.MessageSent(now(m.from()), 0, m));
        } else {
            pipeline.countSent(m);
        }
    }

    @Override
    public void messageReceived(Message m) {
        if (m instanceof io.raftline.raft.message.Keepalive) {
            return; // not a Raft message: the node's liveness signal, never drawn
        }
        if (pipeline.wantsMessages()) {
            pipeline.offer(new RaftEvent.MessageReceived(now(m.to()), 0, m));
        }
    }

    @Override
    public void messageDropped(Message m, String reason) {
        if (m instanceof io.raftline.raft.message.Keepalive) {
            return; // not a Raft message: the node's liveness signal, never drawn
        }
        if (!pipeline.wantsMessages()) {
            return;
        }
        int node = reason.startsWith("receiver") ? m.to() : m.from();
        pipeline.offer(new RaftEvent.MessageDropped(now(node), 0, m, reason));
    }

    @Override
    public void entriesAppended(int node, List<Entry> entries) {
        // Unwatched, the per-write events are not reported (see onAudienceReturn): a resync catches up.
        if (!entries.isEmpty() && pipeline.wantsMessages()) {
            pipeline.offer(new RaftEvent.LogAppended(now(node), entries));
        }
    }

    @Override
    public void committed(int node, long commit) {
        if (!pipeline.wantsMessages()) {
            return;
        }
        pipeline.offer(new RaftEvent.LogCommitted(now(node), commit));
    }

    @Override
    public void applied(int node, Entry entry, KvResult result) {
        if (!pipeline.wantsMessages()) {
            return;
        }
        pipeline.offer(new RaftEvent.Applied(now(node), entry.index(), entry.index()));
    }

    @Override
    public void snapshotTaken(int node, long index) {
        pipeline.offer(new RaftEvent.SnapshotTaken(now(node), index));
    }

    @Override
    public void snapshotInstalled(int node, long index) {
        pipeline.offer(new RaftEvent.SnapshotInstalled(now(node), index));
    }

    @Override
    public void crashed(int node) {
        pipeline.offer(new RaftEvent.NodeCrashed(now(node)));
    }

    @Override
    public void restarted(int node, long applied) {
        pipeline.offer(new RaftEvent.NodeRestarted(now(node), applied));
    }

    @Override
    public void pausedChanged(int node, boolean paused) {
        pipeline.offer(new RaftEvent.NodePaused(now(node), paused));
    }

    @Override
    public void frozenChanged(int node, boolean frozen) {
        pipeline.offer(new RaftEvent.NodeFrozen(now(node), frozen));
    }
}
