package io.raftline.node;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.raft.message.Message;
import io.raftline.raft.PeerLiveness;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one node's {@link NodeHost} on one Vert.x event loop: the Vert.x side of a node, and nothing else. It
 * owns the tick timer (gated so the core's clock never runs ahead of real time, see {@link TickGate}), the
 * transport registration, the hop of every client call onto the node's context and of every answer back to the
 * caller's, and the {@link #freeze()} fault, which holds every input as a stopped process would. All node state
 * lives in the host and is touched only on this verticle's context, so nothing needs a lock and nothing blocks.
 */
public final class RaftNodeVerticle extends VerticleBase implements RaftNode {

    private static final Logger LOG = LoggerFactory.getLogger(RaftNodeVerticle.class);

    /**
     * When, on {@link System#nanoTime()}'s clock, the last node verticle of this JVM stopped, or when the JVM started
     * before any did: what {@link Environment#previousLifeEndedBy()} answers, whichever node boots. A node's earlier
     * life ended before this JVM started (its process is started after the previous one ended: the data directory's
     * lock refuses a second one while it lives) or, in this JVM, when its verticle stopped, which is no later than the
     * last stop of any node here.
     */
    private static final AtomicLong LAST_LIFE_ENDED = new AtomicLong(
            System.nanoTime() - ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L);

    private final NodeOptions options;
    private final Transport transport;
    private final NodeHost host;

    // Everything below is touched only on this verticle's context.
    private long tickTimer = -1;
    private TickGate tickGate;
    /** Ticks per firing of a quiet replica's timer (see {@link #onQuietTick}). */
    static final int QUIET_TICKS = 5;
    /** Whether the timer runs at the quiet pace, and the time of the last tick it delivered. */
    private boolean quietTimer;
    private long quietLast;
    private Transport.Registration registration;
    private boolean flushScheduled;
    /** Requests waiting for a leader ({@link #awaitLeader}), and the timer that answers them while any waits. */
    private final List<LeaderWaiter> leaderWaiters = new ArrayList<>();
    private long leaderWaitTimer = -1;
    /**
     * Frozen: the node does nothing at all while wall time runs on, as a process under SIGSTOP, a long GC
     * pause or a stalled VM. Inputs (messages, client requests, storage completions) wait in
     * {@link #frozenBacklog} and run in arrival order on {@link #thaw()}; ticks are lost. Written on this verticle's
     * context only; read from other threads by {@link #knownLeader()}.
     */
    private volatile boolean frozen;
    /** How often a watched node reports its {@link QueueStats}. */
    public static final long QUEUE_STATS_MS = 500;
    private long statsTimer = -1;
    private final ArrayDeque<Runnable> frozenBacklog = new ArrayDeque<>();
    /** Answers owed to requests held in {@link #frozenBacklog}: a crash while frozen fails them. */
    private final List<Promise<?>> frozenReplies = new ArrayList<>();

    /**
     * Creates a node; it starts when deployed.
     *
     * @param options   configuration and policies
     * @param transport how messages reach the other nodes
     * @param store     the log store (survives crashes)
     * @param listener  told about everything that happens
     */
    public RaftNodeVerticle(NodeOptions options, Transport transport, LogStore store, NodeListener listener) {
        this(options, transport, store, listener, null, false);
    }

    /**
     * Creates one group's replica on a node whose groups may quiesce; it starts when deployed.
     *
     * @param options         configuration and policies
     * @param transport       how messages reach the other nodes
     * @param store           the log store (survives crashes)
     * @param listener        told about everything that happens
     * @param liveness        the node's liveness record, shared by its groups (null: groups never quiesce)
     * @param sendsKeepalives whether this replica sends the node's keepalives (exactly one per node)
     */
    public RaftNodeVerticle(NodeOptions options, Transport transport, LogStore store, NodeListener listener,
            PeerLiveness liveness, boolean sendsKeepalives) {
        this.options = options;
        this.transport = transport;
        this.host = new NodeHost(options, store, listener, new Environment(), liveness, sendsKeepalives);
    }

    @Override
    public Future<?> start() {
        Future<Transport.Registration> registered;
        try {
            host.boot();
            registered = transport.register(id(), this::onMessage);
        } catch (RuntimeException e) {
            registered = Future.failedFuture(e);
        }
        return registered.onSuccess(r -> {
            registration = r;
            startTicking(System.nanoTime(), Long.MIN_VALUE);
            statsTimer = vertx.setPeriodic(alignedDelayMs(QUEUE_STATS_MS, System.nanoTime()), QUEUE_STATS_MS,
                    t -> reportQueues());
        }).recover(e -> {
            // Vert.x calls no stop() for a verticle whose start failed: the store (its files, threads and the data
            // directory's lock) is let go here, or the directory stays locked by a node that never ran and a restart
            // in this process is refused as "in use by another running node".
            host.shutdown();
            return host.closeStore().transform(x -> Future.failedFuture(e));
        });
    }

    @Override
    public Future<?> stop() {
        if (tickTimer >= 0) {
            vertx.cancelTimer(tickTimer);
        }
        if (statsTimer >= 0) {
            vertx.cancelTimer(statsTimer);
        }
        if (leaderWaitTimer >= 0) {
            vertx.cancelTimer(leaderWaitTimer);
        }
        leaderWaiters.forEach(w -> w.found().tryComplete(0));
        host.shutdown();
        LAST_LIFE_ENDED.accumulateAndGet(System.nanoTime(), Math::max);
        NodeRequestException down = new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id() + " is shutting down");
        frozenReplies.forEach(p -> p.tryFail(down));
        Future<Void> unregistered = registration == null ? Future.succeededFuture() : registration.close();
        return unregistered.eventually(host::closeStore);
    }

    /** The Vert.x side of what the host needs. */
    private final class Environment implements HostEnvironment {
        @Override
        public void quietChanged(boolean quiet) {
            RaftNodeVerticle.this.quietChanged(quiet);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long previousLifeEndedBy() {
            return LAST_LIFE_ENDED.get();
        }

        @Override
        public void send(Message m) {
            transport.send(m);
        }

        @Override
        public void sendAll(List<Message> messages) {
            transport.sendAll(messages);
        }

        @Override
        public void runOnLoop(Runnable r) {
            context.runOnContext(v -> whenRunning(r));
        }

        @Override
        public void scheduleFlush() {
            if (!flushScheduled) {
                flushScheduled = true;
                context.runOnContext(v -> {
                    flushScheduled = false;
                    whenRunning(host::flush);
                });
            }
        }

        @Override
        public <T> Future<T> offload(Callable<T> work) {
            return vertx.executeBlocking(work, false);
        }

        @Override
        public long randomLong() {
            return ThreadLocalRandom.current().nextLong();
        }
    }

    // ---------------------------------------------------------------- client API

    @Override
    public int id() {
        return options.raft().id();
    }

    /**
     * The leader the host last knew of, or 0 while frozen: a stopped process hands nothing on, so its clients' requests
     * go to the node itself, which holds them until it thaws (and then serves or forwards them).
     */
    @Override
    public int knownLeader() {
        return frozen ? 0 : host.knownLeader();
    }

    @Override
    public Future<Integer> awaitLeader(int other) {
        int now = knownLeader();
        if (now != 0 && now != other) {
            return Future.succeededFuture(now);
        }
        long deadline = System.nanoTime() + 2L * options.raft().electionTimeoutMaxMs() * 1_000_000L;
        return onContext(() -> {
            Promise<Integer> found = Promise.promise();
            leaderWaiters.add(new LeaderWaiter(other, deadline, found));
            if (leaderWaitTimer < 0) {
                leaderWaitTimer = vertx.setPeriodic(options.raft().tickMs(), t -> answerLeaderWaiters());
            }
            return found.future();
        });
    }

    /**
     * Answers the requests waiting for a leader ({@link #awaitLeader}): one timer for all of them, every tick while any
     * waits (during a change of leader under load, hundreds of requests may wait at once), none otherwise.
     */
    private void answerLeaderWaiters() {
        int leader = knownLeader();
        long now = System.nanoTime();
        leaderWaiters.removeIf(w -> {
            if (leader != 0 && leader != w.other()) {
                w.found().tryComplete(leader);
            } else if (now - w.deadline() >= 0) {
                w.found().tryComplete(0);
            } else {
                return false;
            }
            return true;
        });
        if (leaderWaiters.isEmpty()) {
            vertx.cancelTimer(leaderWaitTimer);
            leaderWaitTimer = -1;
        }
    }

    /** A request waiting for a leader other than {@code other} until {@code deadline} (nanoTime). */
    private record LeaderWaiter(int other, long deadline, Promise<Integer> found) {
    }

    @Override
    public Future<KvResult> propose(KvCommand command) {
        return onContextWhenRunning(() -> host.propose(command));
    }

    @Override
    public Future<KvView> read(ReadConsistency consistency) {
        return onContextWhenRunning(() -> host.read(consistency));
    }

    @Override
    public Future<Long> confirmLeaderCommit() {
        return onContextWhenRunning(host::confirmLeaderCommit);
    }

    @Override
    public Future<NodeStatus> status() {
        return onContext(() -> Future.succeededFuture(frozen ? host.status().withFrozen(true) : host.status()));
    }

    /**
     * Runs an action on this node's event loop, between two of its steps, even while it is frozen or down: what the
     * node reports to its listener before the action and after it is ordered with it. The live view's group focus
     * uses it to stop or start following a replica at an exact point of its event stream.
     *
     * @param action what to run on the loop (must not block)
     * @return completes once it ran
     */
    public Future<Void> onLoop(Runnable action) {
        return onContext(() -> {
            action.run();
            return Future.succeededFuture();
        });
    }

    /**
     * Captures this replica's {@link NodeHost.ReplicaView} on its event loop and hands it to {@code atCapture} there,
     * so that whatever the node reports afterwards comes after the capture (the live view starts a replica from it).
     *
     * @param tail      the most log entries to include
     * @param atCapture run on the loop with the view (must not block)
     * @return the view, once captured
     */
    public Future<NodeHost.ReplicaView> replicaView(int tail, java.util.function.Consumer<NodeHost.ReplicaView> atCapture) {
        return onContext(() -> {
            NodeHost.ReplicaView v = host.replicaView(tail);
            if (frozen) {
                v = new NodeHost.ReplicaView(v.status().withFrozen(true), v.votedFor(), v.log());
            }
            atCapture.accept(v);
            return Future.succeededFuture(v);
        });
    }

    @Override
    public Future<Void> transferLeadership(int target) {
        return onContextWhenRunning(() -> host.transferLeadership(target));
    }

    @Override
    public Future<NodeHost.MembershipInfo> changeMembership(io.raftline.raft.MembershipChange change) {
        return onContextWhenRunning(() -> host.changeMembership(change));
    }

    @Override
    public Future<NodeHost.Watch> watch(String prefix, long fromRevision, int skip, NodeHost.WatchSink sink) {
        return onContextWhenRunning(() -> {
            NodeHost.Watch w = host.watch(prefix, fromRevision, skip, sink);
            Context owner = context;
            return Future.succeededFuture(new NodeHost.Watch() {
                @Override
                public void cancel() {
                    owner.runOnContext(v -> w.cancel());
                }

                @Override
                public List<WatchPosition> start() {
                    return w.start();
                }

                @Override
                public void requestProgress() {
                    owner.runOnContext(v -> w.requestProgress());
                }
            });
        });
    }

    @Override
    public Future<StateDigest> digest() {
        return onContextWhenRunning(host::digest);
    }

    @Override
    public Future<Void> crash() {
        return onContext(() -> {
            // Killing a stopped process works: what it had not done yet is lost with it, and the requests it
            // held were never handled (their clients would see the connection close).
            frozen = false;
            frozenBacklog.clear();
            NodeRequestException never = new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id()
                    + " was killed while frozen, before it handled the request");
            frozenReplies.forEach(p -> p.tryFail(never));
            frozenReplies.clear();
            host.crash();
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> restart() {
        return onContextWhenRunning(host::restart);
    }

    @Override
    public Future<Void> freeze() {
        return onContext(() -> {
            if (host.up() && !frozen) {
                frozen = true;
                LOG.warn("{} frozen: stopped as a process under SIGSTOP would be; wall time runs on", host.who());
                host.listener().frozenChanged(id(), true);
            }
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> thaw() {
        return onContext(() -> {
            if (frozen) {
                frozen = false;
                LOG.info("{} thawed: handling {} inputs that arrived while frozen", host.who(),
                        frozenBacklog.size());
                host.listener().frozenChanged(id(), false);
                while (!frozen && !frozenBacklog.isEmpty()) {
                    frozenBacklog.poll().run();
                }
                frozenReplies.clear();
                host.flush();
            }
            return Future.succeededFuture();
        });
    }

    /**
     * Tells this replica that another Raft group of its node found out the node lost state it had acknowledged
     * ({@link NodeHost#stateLostElsewhere}); a frozen node takes it once thawed.
     *
     * @param detail what the other group found
     * @return completes once this replica recorded the loss
     */
    public Future<Void> stateLostElsewhere(String detail) {
        return onContextWhenRunning(() -> host.stateLostElsewhere(detail));
    }

    @Override
    public Future<Void> pause() {
        return onContextWhenRunning(() -> {
            host.pause();
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> resume() {
        return onContextWhenRunning(() -> {
            host.resume();
            return Future.succeededFuture();
        });
    }

    // ---------------------------------------------------------------- inputs

    /** Reports what waits in this node while the live view watches (a frozen node too: its inbox grows). */
    private void reportQueues() {
        NodeListener l = host.listener();
        if (l.wantsQueueStats()) {
            QueueStats q = host.queueStats(frozenBacklog.size(), transport.queues(id()));
            if (q != null) {
                l.queueStats(q);
            }
        }
    }

    private void onTick() {
        if (quietTimer) {
            onQuietTick();
            return;
        }
        // Ticks are lost while frozen, as a stopped process loses the time; the gate keeps a late timer's
        // catch-up burst from running the core's clock ahead of real time.
        if (!frozen && tickGate.due(System.nanoTime())) {
            host.tick();
            if (host.quiet()) {
                setTimer(true);
            }
        }
    }

    /**
     * A quiet replica's timer fires every {@link #QUIET_TICKS} ticks, not every tick: a sharded node hosts many
     * replicas, most of them quiet when idle, and a timer per replica waking the event loop every {@code tick_ms} was
     * most of an idle node's CPU (measured: 0.58 of a core for three idle processes of 16 quiet groups). The firing
     * delivers the ticks that elapsed since the last one (at most {@link #QUIET_TICKS} + 1, so never ahead of real
     * time by more than the gate allows), and goes back to a tick per firing as soon as the group wakes.
     */
    private void onQuietTick() {
        long now = System.nanoTime();
        long tickNanos = options.raft().tickMs() * 1_000_000L;
        int due = (int) Math.min(QUIET_TICKS + 1, Math.max(0, (now - quietLast) / tickNanos));
        for (int i = 0; i < due && !frozen; i++) {
            quietLast += tickNanos;
            host.tick();
            if (!host.quiet()) {
                break; // what elapsed after the wake-up is ticked at the normal pace from here
            }
        }
        if (!host.quiet()) {
            setTimer(false);
        }
    }

    /** Ticks every tick (awake) or in bursts every {@link #QUIET_TICKS} ticks (quiet); call on the node's loop. */
    private void setTimer(boolean quiet) {
        if (quiet == quietTimer || tickTimer < 0) {
            return;
        }
        vertx.cancelTimer(tickTimer);
        quietTimer = quiet;
        long now = System.nanoTime();
        long tickMs = options.raft().tickMs();
        if (quiet) {
            quietLast = now;
            long period = tickMs * QUIET_TICKS;
            tickTimer = vertx.setPeriodic(alignedDelayMs(period, now), period, t -> onTick());
        } else {
            startTicking(now, quietLast);
        }
    }

    /**
     * Ticks every {@code tick_ms}, the first time at the next multiple of {@code tick_ms} on the process's monotonic
     * clock, with a gate that lets that first firing through. Every replica of the process ticks on the same beat:
     * a sharded node's awake groups then tick in one pass of their event loop, one wake-up for all of them instead
     * of one each, and the messages their ticks make (heartbeats of the groups it leads, with the same phase)
     * leave in one frame per peer ({@link io.raftline.transport.EventBusTransport}'s outboxes) instead of a frame per
     * group at its own moment.
     *
     * @param now      {@link System#nanoTime()}
     * @param lastTick when the last tick delivered before (in quiet bursts) was due, {@link Long#MIN_VALUE} if none:
     *                 the gate lets no tick through less than a tick's time after it, so the first firing may wait for
     *                 the next beat, and the core's clock never runs ahead of real time
     */
    private void startTicking(long now, long lastTick) {
        long tickMs = options.raft().tickMs();
        tickGate = firstGate(tickMs, now, lastTick);
        tickTimer = vertx.setPeriodic(alignedDelayMs(tickMs, now), tickMs, t -> onTick());
    }

    /**
     * The gate for ticks that start at the next beat after {@code now} ({@link #alignedDelayMs}): as if the previous
     * tick was one period before that first firing, so that the gate lets it through, unless {@code lastTick} (a tick
     * delivered later than that) says otherwise.
     */
    static TickGate firstGate(long tickMs, long now, long lastTick) {
        long tickNanos = tickMs * 1_000_000L;
        long first = now + alignedDelayMs(tickMs, now) * 1_000_000L;
        return new TickGate(tickNanos, Math.max(lastTick, first - tickNanos));
    }

    /**
     * The delay from {@code nowNanos} (from {@link System#nanoTime()}) to the next whole multiple of {@code periodMs}
     * on that clock, between 1 and {@code periodMs}: timers of one period started this way fire together.
     */
    static long alignedDelayMs(long periodMs, long nowNanos) {
        return periodMs - Math.floorMod(Math.floorDiv(nowNanos, 1_000_000L), periodMs);
    }

    /** The host's report that its group went quiet or woke (a wake is acted on at once, not at the next burst). */
    private void quietChanged(boolean quiet) {
        if (!quiet) {
            setTimer(false);
        }
    }

    private void onMessage(Message m) {
        whenRunning(() -> host.step(m));
    }

    /** Runs {@code r} now, or after {@link #thaw()} if the node is frozen. Call on this node's context. */
    private void whenRunning(Runnable r) {
        if (frozen) {
            frozenBacklog.add(r);
        } else {
            r.run();
        }
    }

    /**
     * Runs {@code op} on this node's context and completes the result on the caller's context.
     */
    private <T> Future<T> onContext(Supplier<Future<T>> op) {
        Context caller = Vertx.currentContext();
        if (context == null) {
            return Future.failedFuture(new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id()
                    + " is not deployed"));
        }
        if (caller == context) {
            return run(op);
        }
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> run(op).onComplete(ar -> {
            if (caller == null) {
                promise.handle(ar);
            } else {
                caller.runOnContext(x -> promise.handle(ar));
            }
        }));
        return promise.future();
    }

    /** As {@link #onContext}, but a frozen node runs {@code op} only once thawed. */
    private <T> Future<T> onContextWhenRunning(Supplier<Future<T>> op) {
        return onContext(() -> {
            if (!frozen) {
                return op.get();
            }
            Promise<T> later = Promise.promise();
            frozenReplies.add(later);
            frozenBacklog.add(() -> run(op).onComplete(later::tryComplete, later::tryFail));
            return later.future();
        });
    }

    private static <T> Future<T> run(Supplier<Future<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }
}
