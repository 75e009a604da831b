package io.raftline.events;

import io.raftline.kv.KvResult;
import io.raftline.node.NodeListener;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Publishes everything the nodes report as {@link RaftEvent}s on the event-bus address {@value #ADDRESS},
 * where the SockJS bridge picks them up for browsers. Give it to every {@code RaftNodeVerticle} as their
 * {@link NodeListener} (and to the transport as its drop listener) and deploy it as a verticle.
 *
 * <p>Reporting never slows consensus: a node's event loop only appends the fact to an {@link EventPipeline};
 * this verticle drains the pipeline every {@link PublisherOptions#flushIntervalMs()} on its own event loop,
 * where sequence numbers are assigned, message events are sampled under load, the {@link ClusterState} used
 * for late joiners is folded and extra {@link EventSink}s (an {@link NdjsonRecorder}) are fed. Events reported
 * before deployment are kept and published by the first flush.
 *
 * <p>Message events (a send, receive or drop per Raft message) are most of the volume and serve only to draw
 * arrows, so they are reported only while someone watches: a browser on the bridge ({@link #viewerConnected}),
 * a sink, or with one node per process a viewer of another process ({@link #DEMAND_ADDRESS}). Unwatched, a
 * message costs its node one counter increment (the rates stay true). State events (roles, votes, appends,
 * commits, crashes) are always reported, so a browser that connects later starts from a true snapshot.
 */
public final class EventPublisher extends VerticleBase implements NodeListener {

    /** The event-bus address events are published on. */
    public static final String ADDRESS = "raft.events";

    /**
     * With one node per process (a clustered event bus), every process's pipeline publishes here instead,
     * cluster-wide; each process relays what arrives, from all processes, to its own browsers on
     * {@value #ADDRESS} (local only) with one sequence of its own. So the live view of any process shows the
     * whole cluster with one consistent {@code seq}. Internal: never bridged.
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
    private final ClusterState state;
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    private long timer = -1;
    private boolean relay;
    private long relaySeq;
    /** Browsers connected to this process's bridge; changed on the bridge's threads. */
    private final AtomicInteger viewers = new AtomicInteger();
    // On this verticle's event loop:
    private long remoteDemandUntil;
    /** When this process last published its demand, or -1 before the first time. */
    private long demandSentAt = -1;

    /**
     * Creates a publisher.
     *
     * @param members the cluster's node ids (announced in the first event)
     * @param options sampling budget and flush period
     * @param clock   epoch milliseconds (event timestamps and rates)
     */
    public EventPublisher(List<Integer> members, PublisherOptions options, LongSupplier clock) {
        this.options = options;
        this.clock = clock;
        this.pipeline = new EventPipeline(options);
        this.state = new ClusterState(members);
        pipeline.offer(new RaftEvent.ClusterInfo(EventHeader.observed(clock.getAsLong(), 0), members));
    }

    /**
     * Creates a publisher with the default options and the system clock.
     *
     * @param members the cluster's node ids
     */
    public EventPublisher(List<Integer> members) {
        this(members, PublisherOptions.DEFAULTS, System::currentTimeMillis);
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
        timer = vertx.setPeriodic(options.flushIntervalMs(), t -> flush());
        relay = vertx.isClustered();
        updateAudience();
        if (!relay) {
            return Future.succeededFuture();
        }
        Future<Void> demand = vertx.eventBus().consumer(DEMAND_ADDRESS, m -> {
            remoteDemandUntil = clock.getAsLong() + DEMAND_LEASE_MS;
            updateAudience();
        }).completion();
        return demand.compose(v -> vertx.eventBus().<JsonObject>consumer(ORIGIN_ADDRESS, m -> {
            JsonObject json = m.body().copy().put("seq", ++relaySeq);
            publishLocally(json);
            for (EventSink s : sinks) {
                s.endOfBatch();
            }
        }).completion());
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

    /** Re-decides the audience on this verticle's loop (before deployment, the first flush does it). */
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
        pipeline.setWatched(local || (relay && now < remoteDemandUntil));
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

    private void publishLocally(JsonObject json) {
        state.apply(json);
        vertx.eventBus().publish(ADDRESS, json, LOCAL);
        for (EventSink s : sinks) {
            s.accept(json);
        }
    }

    private static final io.vertx.core.eventbus.DeliveryOptions LOCAL =
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true);

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(timer);
        flush();
        return Future.succeededFuture();
    }

    /**
     * The cluster state folded from every event published so far, after publishing what is pending: the
     * starting point for a browser that connects now (it then ignores events with a {@code seq} not above
     * the snapshot's).
     *
     * @return a {@code Snapshot} JSON object, completed on the caller's context
     */
    public Future<JsonObject> snapshot() {
        if (context == null) {
            return Future.failedFuture(new IllegalStateException("the event publisher is not deployed"));
        }
        Promise<JsonObject> p = Promise.promise();
        context.runOnContext(v -> {
            flush();
            p.complete(state.toJson());
        });
        return p.future();
    }

    /** Publishes everything pending; runs on this verticle's event loop. */
    private void flush() {
        updateAudience();
        List<RaftEvent> events = pipeline.drain(clock.getAsLong());
        if (events.isEmpty()) {
            return;
        }
        for (RaftEvent e : events) {
            JsonObject json = EventJson.toJson(e);
            if (relay) {
                vertx.eventBus().publish(ORIGIN_ADDRESS, json); // comes back through the relay, with the others'
            } else {
                publishLocally(json);
            }
        }
        if (!relay) {
            for (EventSink s : sinks) {
                s.endOfBatch();
            }
        }
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
        pipeline.offer(new RaftEvent.ClientRequest(now(node), request));
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
        return snapshot().mapEmpty();
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

    @Override
    public void messageSent(Message m) {
        if (pipeline.wantsMessages()) {
            pipeline.offer(new RaftEvent.MessageSent(now(m.from()), 0, m));
        } else {
            pipeline.countSent(m);
        }
    }

    @Override
    public void messageReceived(Message m) {
        if (pipeline.wantsMessages()) {
            pipeline.offer(new RaftEvent.MessageReceived(now(m.to()), 0, m));
        }
    }

    @Override
    public void messageDropped(Message m, String reason) {
        if (!pipeline.wantsMessages()) {
            return;
        }
        int node = reason.startsWith("receiver") ? m.to() : m.from();
        pipeline.offer(new RaftEvent.MessageDropped(now(node), 0, m, reason));
    }

    @Override
    public void entriesAppended(int node, List<Entry> entries) {
        if (!entries.isEmpty()) {
            pipeline.offer(new RaftEvent.LogAppended(now(node), entries));
        }
    }

    @Override
    public void committed(int node, long commit) {
        pipeline.offer(new RaftEvent.LogCommitted(now(node), commit));
    }

    @Override
    public void applied(int node, Entry entry, KvResult result) {
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
