package io.raftline.node;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvFormatException;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.NotLeaderException;
import io.raftline.raft.Proposal;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.ReadState;
import io.raftline.raft.Ready;
import io.raftline.raft.Role;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SoftState;
import io.raftline.raft.storage.Storage;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts one {@link RaftCore} on one event loop: it ticks the core, feeds it messages and client requests,
 * and handles every {@link Ready} in the order the core requires — persist (through the {@link LogStore}),
 * send, install the snapshot and apply committed entries to the {@link KvStateMachine}, serve read states,
 * {@code advance}. All state lives on this verticle's context, so nothing needs a lock and nothing blocks:
 * a slow persist just holds the next Ready back until its future completes.
 *
 * <p>Client requests ({@link RaftNode}) hop onto the context, and their answers hop back. Proposals made in
 * one event-loop turn are handed to the core together ({@code proposeAll}) and so share one Ready, one
 * persist and one AppendEntries per follower. A proposal succeeds only if the entry applied at its index
 * has its term; if another entry lands there, a new leader overwrote it and the client is told to retry.
 *
 * <p>Faults are first-class: {@link #pause()} freezes the node (no ticks, incoming messages dropped),
 * {@link #crash()} throws away the core and the state machine and keeps only the log store (the "disk"),
 * and {@link #restart()} rebuilds the state machine by replaying that store from its snapshot — event
 * sourcing is the recovery path.
 */
public final class RaftNodeVerticle extends VerticleBase implements RaftNode {

    private static final Logger LOG = LoggerFactory.getLogger(RaftNodeVerticle.class);

    private final NodeOptions options;
    private final RaftConfig config;
    private final Transport transport;
    private final LogStore store;
    private final NodeListener listener;
    private final SplittableRandom seeds;

    // Everything below is touched only on this verticle's context.
    private RaftCore core;
    private KvStateMachine kv;
    private boolean up;
    private boolean paused;
    /**
     * Frozen: the node does nothing at all while wall time runs on, as a process under SIGSTOP, a long GC
     * pause or a stalled VM. Inputs (messages, client requests, timers, storage completions) wait in
     * {@link #frozenBacklog} and run in arrival order on {@link #thaw()}; ticks are lost.
     */
    private boolean frozen;
    private final java.util.ArrayDeque<Runnable> frozenBacklog = new java.util.ArrayDeque<>();
    /** Answers owed to requests held in {@link #frozenBacklog}: a crash while frozen fails them. */
    private final List<Promise<?>> frozenReplies = new ArrayList<>();
    /** Bumped by every crash, so callbacks from an earlier life are ignored. */
    private long generation;
    private long tickTimer = -1;
    private Transport.Registration registration;
    private boolean flushScheduled;
    private boolean persistInFlight;
    private boolean snapshotInFlight;
    private long appliedBytesSinceSnapshot;
    private long loggedCommit;
    private Role lastRole;
    private int lastLeader;
    /** Published for {@link #knownLeader()}, read from other threads. */
    private volatile int leaderView;

    private final List<PendingWrite> queued = new ArrayList<>();
    private final TreeMap<Long, PendingWrite> proposals = new TreeMap<>();
    private final Map<Long, PendingRead> readsAwaitingIndex = new HashMap<>();
    private final PriorityQueue<PendingRead> readsAwaitingApply =
            new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    private long readSeq;

    /**
     * Creates a node; it starts when deployed.
     *
     * @param options   configuration and policies
     * @param transport how messages reach the other nodes
     * @param store     the log store (survives crashes)
     * @param listener  told about everything that happens
     */
    public RaftNodeVerticle(NodeOptions options, Transport transport, LogStore store, NodeListener listener) {
        this.options = options;
        this.config = options.raft();
        this.transport = transport;
        this.store = store;
        this.listener = listener;
        this.seeds = new SplittableRandom(options.seed());
    }

    @Override
    public Future<?> start() {
        boot();
        return transport.register(config.id(), this::onMessage).onSuccess(r -> {
            registration = r;
            tickTimer = vertx.setPeriodic(config.tickMs(), t -> onTick());
        });
    }

    @Override
    public Future<?> stop() {
        if (tickTimer >= 0) {
            vertx.cancelTimer(tickTimer);
        }
        failAll(Reason.NODE_DOWN, "node " + id() + " is shutting down");
        up = false;
        Future<Void> unregistered = registration == null ? Future.succeededFuture() : registration.close();
        return unregistered.eventually(store::close);
    }

    // ---------------------------------------------------------------- client API

    @Override
    public int id() {
        return config.id();
    }

    @Override
    public int knownLeader() {
        return leaderView;
    }

    @Override
    public Future<KvResult> propose(KvCommand command) {
        return onContextWhenRunning(() -> proposeHere(command));
    }

    @Override
    public Future<KvView> read(ReadConsistency consistency) {
        return onContextWhenRunning(() -> readHere(consistency));
    }

    @Override
    public Future<NodeStatus> status() {
        return onContext(() -> Future.succeededFuture(statusHere()));
    }

    @Override
    public Future<Void> transferLeadership(int target) {
        return onContextWhenRunning(() -> {
            NodeRequestException down = unavailable();
            if (down != null) {
                return Future.failedFuture(down);
            }
            if (core.role() != Role.LEADER) {
                return Future.failedFuture(notLeader(core.leader(), "only the leader can hand leadership over"));
            }
            if (!config.members().contains(target) || target == id()) {
                return Future.failedFuture(new IllegalArgumentException("node " + target
                        + " is not another member of " + config.members()));
            }
            LOG.info("{} handing leadership to node {}", prefix(), target);
            core.transferLeadership(target);
            scheduleFlush();
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<StateDigest> digest() {
        return onContextWhenRunning(() -> {
            if (!up) {
                return Future.failedFuture(new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id() + " is down"));
            }
            // O(1) capture here; the hash walks the whole state, so it runs on a worker.
            KvSnapshot captured = kv.capture();
            return vertx.executeBlocking(() -> new StateDigest(id(), captured.lastApplied(), captured.stateHashHex(),
                    captured.size()), false);
        });
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
            crashHere();
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> restart() {
        return onContextWhenRunning(() -> {
            if (up) {
                return Future.succeededFuture();
            }
            // A durable store re-reads its files here, exactly as a process restarted after kill -9 would.
            return store.recover().map(v -> {
                if (!up) {
                    boot();
                    listener.restarted(id(), kv.lastApplied());
                }
                return (Void) null;
            });
        });
    }

    @Override
    public Future<Void> freeze() {
        return onContext(() -> {
            if (up && !frozen) {
                frozen = true;
                LOG.warn("{} frozen: stopped as a process under SIGSTOP would be; wall time runs on", prefix());
                listener.frozenChanged(id(), true);
            }
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> thaw() {
        return onContext(() -> {
            if (frozen) {
                frozen = false;
                LOG.info("{} thawed: handling {} inputs that arrived while frozen", prefix(), frozenBacklog.size());
                listener.frozenChanged(id(), false);
                while (!frozen && !frozenBacklog.isEmpty()) {
                    frozenBacklog.poll().run();
                }
                frozenReplies.clear();
                scheduleFlush();
            }
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> pause() {
        return onContextWhenRunning(() -> {
            if (!paused) {
                paused = true;
                LOG.warn("{} paused: no ticks, incoming messages dropped", prefix());
                listener.pausedChanged(id(), true);
            }
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<Void> resume() {
        return onContextWhenRunning(() -> {
            if (paused) {
                paused = false;
                LOG.info("{} resumed", prefix());
                listener.pausedChanged(id(), false);
                scheduleFlush();
            }
            return Future.succeededFuture();
        });
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
            return op.get();
        }
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            Future<T> f;
            try {
                f = op.get();
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
                if (caller == null) {
                    promise.handle(ar);
                } else {
                    caller.runOnContext(x -> promise.handle(ar));
                }
            });
        });
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
            frozenBacklog.add(() -> {
                Future<T> f;
                try {
                    f = op.get();
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                f.onComplete(later::tryComplete, later::tryFail);
            });
            return later.future();
        });
    }

    /** Runs {@code r} now, or after {@link #thaw()} if the node is frozen. Call on this node's context. */
    private void whenRunning(Runnable r) {
        if (frozen) {
            frozenBacklog.add(r);
        } else {
            r.run();
        }
    }

    private NodeRequestException unavailable() {
        if (!up) {
            return new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id() + " is down (crashed)");
        }
        if (paused) {
            return new NodeRequestException(Reason.NODE_PAUSED, 0, "node " + id() + " is paused");
        }
        return null;
    }

    private NodeRequestException notLeader(int hint, String why) {
        if (hint > 0 && hint != id()) {
            return new NodeRequestException(Reason.NOT_LEADER, hint, "node " + id() + " is not the leader (" + why
                    + "); the leader is node " + hint);
        }
        return new NodeRequestException(Reason.NO_LEADER, 0, "node " + id() + " knows no leader (" + why
                + "); retry shortly");
    }

    private Future<KvResult> proposeHere(KvCommand command) {
        NodeRequestException down = unavailable();
        if (down != null) {
            return Future.failedFuture(down);
        }
        if (core.role() != Role.LEADER) {
            return Future.failedFuture(notLeader(core.leader(), "role is " + core.role().displayName()));
        }
        if (queued.size() + proposals.size() >= options.maxPendingProposals()) {
            return Future.failedFuture(new NodeRequestException(Reason.OVERLOADED, 0, "node " + id() + " has "
                    + options.maxPendingProposals() + " proposals pending; retry later"));
        }
        long logBytes = store.stats().walBytes();
        if (logBytes > config.maxLogSizeBytes()) {
            // The hard bound of the log on disk: nothing more is accepted until a snapshot compacts it (entries
            // that cannot commit, e.g. without a quorum, cannot be compacted).
            return Future.failedFuture(new NodeRequestException(Reason.OVERLOADED, 0, "the log of node " + id()
                    + " holds " + logBytes + " bytes, above max_log_size_bytes " + config.maxLogSizeBytes()
                    + "; writes resume once a snapshot compacts it"));
        }
        PendingWrite w = new PendingWrite(KvCodec.encode(command));
        w.timer = vertx.setTimer(options.requestTimeoutMs(), t -> whenRunning(() -> expire(w)));
        queued.add(w);
        scheduleFlush();
        return w.promise.future();
    }

    private void expire(PendingWrite w) {
        if (w.done()) {
            return;
        }
        queued.remove(w);
        if (w.index > 0) {
            proposals.remove(w.index, w);
        }
        w.fail(new NodeRequestException(Reason.TIMEOUT, core == null ? 0 : core.leader(), "not committed within "
                + options.requestTimeoutMs() + " ms (it may still be applied later)"));
    }

    private Future<KvView> readHere(ReadConsistency consistency) {
        NodeRequestException down = unavailable();
        if (down != null) {
            return Future.failedFuture(down);
        }
        switch (consistency) {
            case STALE:
                return Future.succeededFuture(new KvView(kv));
            case LEASE:
                if (core.role() != Role.LEADER) {
                    return Future.failedFuture(notLeader(core.leader(), "lease reads are served by the leader"));
                }
                OptionalLong lease = core.leaseReadIndex();
                if (lease.isPresent()) {
                    PendingRead r = newRead();
                    onReadIndex(r, lease.getAsLong());
                    return r.promise.future();
                }
                return readIndex();
            default:
                return readIndex();
        }
    }

    private PendingRead newRead() {
        PendingRead r = new PendingRead(++readSeq);
        r.timer = vertx.setTimer(options.requestTimeoutMs(), t -> whenRunning(() -> {
            if (!r.done()) {
                readsAwaitingIndex.remove(r.context);
                readsAwaitingApply.remove(r);
                r.fail(new NodeRequestException(Reason.TIMEOUT, core == null ? 0 : core.leader(),
                        "read not confirmed within " + options.requestTimeoutMs() + " ms"));
            }
        }));
        return r;
    }

    private Future<KvView> readIndex() {
        PendingRead r = newRead();
        try {
            core.readIndex(r.context);
        } catch (NotLeaderException e) {
            r.fail(notLeader(e.leaderHint(), "no leader to confirm a read"));
            return r.promise.future();
        }
        readsAwaitingIndex.put(r.context, r);
        scheduleFlush();
        return r.promise.future();
    }

    private void onReadIndex(PendingRead r, long index) {
        r.index = index;
        if (kv.lastApplied() >= index) {
            r.succeed(new KvView(kv));
        } else {
            readsAwaitingApply.add(r);
        }
    }

    private NodeStatus statusHere() {
        if (!up) {
            Storage s = store.storage();
            return new NodeStatus(id(), false, paused || frozen, null, s.hardState().term(), 0, s.hardState().commit(), 0,
                    s.lastIndex(), s.firstIndex() - 1, 0, store.stats());
        }
        return new NodeStatus(id(), true, paused || frozen, core.role(), core.term(), core.leader(), core.log().committed(),
                kv.lastApplied(), core.log().lastIndex(), store.storage().firstIndex() - 1,
                queued.size() + proposals.size(), store.stats());
    }

    // ---------------------------------------------------------------- life cycle

    /** Builds the state machine from the log store (snapshot + committed entries) and a core on top. */
    private void boot() {
        Storage s = store.storage();
        KvStateMachine m = s.snapshot().isEmpty() ? new KvStateMachine() : KvStateMachine.restore(s.snapshot().data());
        long to = Math.min(s.hardState().commit(), s.lastIndex());
        long next = Math.max(m.lastApplied() + 1, s.firstIndex());
        while (next <= to) {
            List<Entry> batch = s.entries(next, to + 1, config.maxCommittedBytesPerReady());
            for (Entry e : batch) {
                applyTo(m, e);
            }
            next = batch.get(batch.size() - 1).index() + 1;
        }
        kv = m;
        core = new RaftCore(config, s, new SplittableRandom(seeds.nextLong()), m.lastApplied());
        up = true;
        paused = false;
        persistInFlight = false;
        snapshotInFlight = false;
        appliedBytesSinceSnapshot = 0;
        loggedCommit = core.log().committed();
        lastRole = core.role();
        lastLeader = core.leader();
        leaderView = lastLeader;
        LOG.info("{} started: state rebuilt from the log store up to index {} (snapshot {}, last log index {})",
                prefix(), m.lastApplied(), s.firstIndex() - 1, s.lastIndex());
    }

    private static KvResult applyTo(KvStateMachine m, Entry e) {
        if (e.type() == EntryType.NOOP) {
            m.applyNoop(e.index());
            return null;
        }
        return m.apply(e.index(), e.data());
    }

    private void crashHere() {
        if (!up) {
            return;
        }
        LOG.warn("{} crashed: core and key-value state dropped, log store kept", prefix());
        generation++;
        failAll(Reason.NODE_DOWN, "node " + id() + " crashed");
        up = false;
        paused = false;
        core = null;
        kv = null;
        persistInFlight = false;
        leaderView = 0;
        listener.crashed(id());
    }

    private void failAll(Reason reason, String message) {
        NodeRequestException e = new NodeRequestException(reason, 0, message);
        for (PendingWrite w : new ArrayList<>(queued)) {
            w.fail(e);
        }
        queued.clear();
        for (PendingWrite w : new ArrayList<>(proposals.values())) {
            w.fail(e);
        }
        proposals.clear();
        for (PendingRead r : new ArrayList<>(readsAwaitingIndex.values())) {
            r.fail(e);
        }
        readsAwaitingIndex.clear();
        for (PendingRead r : new ArrayList<>(readsAwaitingApply)) {
            r.fail(e);
        }
        readsAwaitingApply.clear();
    }

    /** A storage failure: a node that cannot persist must stop acknowledging anything. */
    private void failStop(Throwable cause) {
        LOG.error("{} cannot persist its log; stopping (fail-stop)", prefix(), cause);
        crashHere();
    }

    // ---------------------------------------------------------------- the loop

    private void onTick() {
        if (!up || paused || frozen) {
            return;
        }
        core.tick();
        flush();
    }

    private void onMessage(Message m) {
        if (frozen) {
            frozenBacklog.add(() -> onMessage(m));
            return;
        }
        if (!up || paused) {
            listener.messageDropped(m, up ? "receiver paused" : "receiver down");
            return;
        }
        listener.messageReceived(m);
        core.step(m);
        scheduleFlush();
    }

    /** Runs {@link #flush()} once at the end of this event-loop turn, however many inputs arrive in it. */
    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            context.runOnContext(v -> {
                flushScheduled = false;
                whenRunning(this::flush);
            });
        }
    }

    private void flush() {
        if (!up || paused) {
            return;
        }
        if (!queued.isEmpty()) {
            proposeQueued();
        }
        drainReady();
    }

    private void proposeQueued() {
        List<PendingWrite> batch = new ArrayList<>(queued);
        queued.clear();
        List<byte[]> data = new ArrayList<>(batch.size());
        for (PendingWrite w : batch) {
            data.add(w.data);
        }
        try {
            List<Proposal> placed = core.proposeAll(data);
            for (int i = 0; i < batch.size(); i++) {
                PendingWrite w = batch.get(i);
                w.index = placed.get(i).index();
                w.term = placed.get(i).term();
                proposals.put(w.index, w);
            }
        } catch (NotLeaderException e) {
            NodeRequestException failure = notLeader(e.leaderHint(), "leadership changed before the write was proposed");
            for (PendingWrite w : batch) {
                w.fail(failure);
            }
        }
    }

    private void drainReady() {
        while (up && !paused && !persistInFlight && core.hasReady()) {
            Ready rd = core.ready();
            report(rd);
            long gen = generation;
            List<Message> late = sendLeaderMessagesEarly(rd);
            Future<Void> persisted;
            try {
                persisted = store.persist(rd.snapshot(), rd.entries(), rd.hardState(), rd.mustSync());
            } catch (RuntimeException e) {
                persisted = Future.failedFuture(e);
            }
            if (persisted.isComplete()) {
                if (persisted.failed()) {
                    failStop(persisted.cause());
                    return;
                }
                afterPersist(rd, late);
            } else {
                persistInFlight = true;
                persisted.onComplete(ar -> context.runOnContext(v -> whenRunning(() -> {
                    if (gen != generation) {
                        return;
                    }
                    persistInFlight = false;
                    if (ar.failed()) {
                        failStop(ar.cause());
                        return;
                    }
                    afterPersist(rd, late);
                    flush();
                })));
                return;
            }
        }
    }

    /**
     * A leader replicates while its own write is still on its way to disk (Raft thesis §10.2.1): the core
     * counts the leader's log toward commitment only once {@code advance} reports it durable, so its own
     * AppendEntries, heartbeats, snapshots and TimeoutNow need not wait for the fsync. Everything else (vote
     * answers, acknowledgements) is a promise about the disk and still leaves only after the write.
     *
     * @return the messages still to send once the write is durable
     */
    private List<Message> sendLeaderMessagesEarly(Ready rd) {
        if (core.role() != Role.LEADER || rd.messages().isEmpty()) {
            return rd.messages();
        }
        List<Message> late = new ArrayList<>();
        for (Message m : rd.messages()) {
            if (m.term() == core.term() && (m instanceof AppendRequest || m instanceof Heartbeat
                    || m instanceof SnapshotRequest || m instanceof TimeoutNow)) {
                transport.send(m);
                listener.messageSent(m);
            } else {
                late.add(m);
            }
        }
        return late;
    }

    private void afterPersist(Ready rd, List<Message> toSend) {
        if (!rd.entries().isEmpty()) {
            failOverwritten(rd.entries());
            listener.entriesAppended(id(), rd.entries());
        }
        for (Message m : toSend) {
            transport.send(m);
            listener.messageSent(m);
        }
        if (rd.snapshot() != null) {
            installSnapshot(rd.snapshot());
        }
        apply(rd.committedEntries());
        for (ReadState rs : rd.readStates()) {
            PendingRead r = readsAwaitingIndex.remove(rs.context());
            if (r != null && !r.done()) {
                onReadIndex(r, rs.index());
            }
        }
        core.advance(rd);
        releaseReads();
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        maybeSnapshot();
    }

    /** Entries just written at the index of a pending proposal with another term replaced it. */
    private void failOverwritten(List<Entry> entries) {
        if (proposals.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        long last = entries.get(entries.size() - 1).index();
        for (Iterator<PendingWrite> it = proposals.subMap(first, true, last, true).values().iterator(); it.hasNext();) {
            PendingWrite w = it.next();
            Entry e = entries.get((int) (w.index - first));
            if (e.term() != w.term) {
                it.remove();
                w.fail(new NodeRequestException(Reason.PROPOSAL_DROPPED, core.leader(), "the write at index " + w.index
                        + " was overwritten by a new leader; retry"));
            }
        }
    }

    private void apply(List<Entry> committed) {
        if (committed.isEmpty()) {
            return;
        }
        for (Entry e : committed) {
            if (e.index() <= kv.lastApplied()) {
                continue;
            }
            KvResult result = applyTo(kv, e);
            appliedBytesSinceSnapshot += e.sizeBytes();
            listener.applied(id(), e, result);
            PendingWrite w = proposals.remove(e.index());
            if (w != null) {
                if (w.term == e.term() && result != null) {
                    w.succeed(result);
                } else {
                    w.fail(new NodeRequestException(Reason.PROPOSAL_DROPPED, core.leader(), "the write at index "
                            + e.index() + " was overwritten by a new leader; retry"));
                }
            }
        }
        long commit = core.log().committed();
        if (commit > loggedCommit) {
            loggedCommit = commit;
            listener.committed(id(), commit);
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} committed and applied up to {}", prefix(), kv.lastApplied());
            }
        }
    }

    private void installSnapshot(Snapshot s) {
        try {
            kv = KvStateMachine.restore(s.data());
        } catch (KvFormatException e) {
            LOG.error("{} received a corrupt snapshot at index {}", prefix(), s.index(), e);
            crashHere();
            return;
        }
        appliedBytesSinceSnapshot = 0;
        // The log around these proposals was replaced: whether they made it is unknown here.
        for (PendingWrite w : new ArrayList<>(proposals.headMap(s.index(), true).values())) {
            proposals.remove(w.index);
            w.fail(new NodeRequestException(Reason.OUTCOME_UNKNOWN, core.leader(), "a snapshot replaced the log at index "
                    + w.index + "; the write may or may not be applied (retry with the same Idempotency-Key)"));
        }
        LOG.info("{} installed snapshot at index {} (term {})", prefix(), s.index(), s.term());
        listener.snapshotInstalled(id(), s.index());
    }

    private void releaseReads() {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.peek().index <= kv.lastApplied()) {
            PendingRead r = readsAwaitingApply.poll();
            if (!r.done()) {
                r.succeed(new KvView(kv));
            }
        }
    }

    /** Role or leader changed: reads still waiting for confirmation may never get it. */
    private void onSoftState(SoftState ss) {
        if (ss.role() != lastRole || ss.leader() != lastLeader) {
            if (!readsAwaitingIndex.isEmpty()) {
                NodeRequestException e = new NodeRequestException(Reason.LEADERSHIP_LOST, ss.leader(),
                        "leadership changed before the read was confirmed; retry");
                for (PendingRead r : new ArrayList<>(readsAwaitingIndex.values())) {
                    r.fail(e);
                }
                readsAwaitingIndex.clear();
            }
            if (ss.role() != Role.LEADER && !queued.isEmpty()) {
                NodeRequestException e = notLeader(ss.leader(), "lost leadership");
                for (PendingWrite w : new ArrayList<>(queued)) {
                    w.fail(e);
                }
                queued.clear();
            }
        }
        lastRole = ss.role();
        lastLeader = ss.leader();
        leaderView = ss.leader();
    }

    /** Snapshots the state machine and compacts the log once enough was applied since the last snapshot. */
    private void maybeSnapshot() {
        Storage s = store.storage();
        long applied = kv.lastApplied();
        long since = applied - (s.firstIndex() - 1);
        // Besides the intervals, a log that has grown past half of max_log_size_bytes is compacted now.
        boolean logLarge = store.stats().walBytes() > config.maxLogSizeBytes() / 2;
        if (snapshotInFlight || applied > s.lastIndex() || since <= 0
                || (since < config.snapshotIntervalEntries() && appliedBytesSinceSnapshot < config.snapshotIntervalBytes()
                        && !logLarge)) {
            return;
        }
        snapshotInFlight = true;
        long gen = generation;
        KvSnapshot captured = kv.capture();
        // Serializing is O(state): do it off the event loop; the capture itself is O(1) and immutable.
        vertx.executeBlocking(captured::toByteArray, false).onComplete(ar -> context.runOnContext(v -> whenRunning(() -> {
            if (gen != generation) {
                return;
            }
            snapshotInFlight = false;
            if (ar.failed()) {
                LOG.error("{} failed to serialize a snapshot at {}", prefix(), captured.lastApplied(), ar.cause());
                return;
            }
            long index = captured.lastApplied();
            if (index <= store.storage().firstIndex() - 1) {
                return; // a snapshot from the leader already covers it
            }
            store.compact(index, config.members(), ar.result()).onComplete(done -> context.runOnContext(x -> whenRunning(() -> {
                if (gen != generation) {
                    return;
                }
                if (done.failed()) {
                    failStop(done.cause());
                    return;
                }
                appliedBytesSinceSnapshot = 0;
                LOG.info("{} took a snapshot at index {} and compacted the log", prefix(), index);
                listener.snapshotTaken(id(), index);
            })));
        })));
    }

    private void report(Ready rd) {
        if (rd.events().isEmpty()) {
            return;
        }
        // A Ready can carry several transitions (a single node goes Follower -> PreCandidate -> Candidate ->
        // Leader in one); each line shows the term and role the event itself speaks of.
        long term = core.term();
        Role role = core.role();
        for (CoreEvent e : rd.events()) {
            listener.coreEvent(id(), core.term(), core.role(), e);
            if (e instanceof CoreEvent.StateChange sc) {
                term = sc.term();
                role = sc.to();
                if (sc.from() != sc.to()) {
                    LOG.info("{} {} -> {}: {}", prefix(term, role), sc.from().displayName(), sc.to().displayName(),
                            sc.reason());
                } else if (sc.leader() != 0) {
                    LOG.info("{} {}", prefix(term, role), sc.reason());
                } else {
                    LOG.debug("{} {}", prefix(term, role), sc.reason());
                }
            } else if (e instanceof CoreEvent.ElectionStarted es) {
                LOG.info("{} {} for term {}{}", prefix(term, role), es.preVote() ? "asking for pre-votes"
                        : "starting election", es.term(), es.transfer() ? " (leadership transfer)" : "");
            } else if (e instanceof CoreEvent.VoteGranted vg) {
                LOG.info("{} granted {} to node {} for term {}", prefix(term, role), vg.preVote() ? "pre-vote" : "vote",
                        vg.candidate(), vg.term());
            } else if (e instanceof CoreEvent.LeaderElected le) {
                LOG.info("{} elected leader for term {} with {} votes", prefix(le.term(), Role.LEADER), le.term(),
                        le.votes());
            } else if (e instanceof CoreEvent.LeadershipTransfer lt) {
                LOG.info("{} leadership transfer to node {}: {}", prefix(term, role), lt.target(), lt.outcome());
            }
        }
    }

    private String prefix(long term, Role role) {
        return "[Node " + id() + "][Term " + term + "][" + role.displayName() + "]";
    }

    private String prefix() {
        return core == null ? "[Node " + id() + "][Down]" : core.toString();
    }

    // ---------------------------------------------------------------- pending requests

    /** A write waiting to be proposed (index 0) or applied. */
    private final class PendingWrite {
        final byte[] data;
        final Promise<KvResult> promise = Promise.promise();
        long index;
        long term;
        long timer = -1;

        PendingWrite(byte[] data) {
            this.data = data;
        }

        boolean done() {
            return promise.future().isComplete();
        }

        void succeed(KvResult r) {
            vertx.cancelTimer(timer);
            promise.tryComplete(r);
        }

        void fail(Throwable t) {
            vertx.cancelTimer(timer);
            promise.tryFail(t);
        }
    }

    /** A read waiting for its read index (index 0) or for that index to be applied. */
    private final class PendingRead {
        final long context;
        final Promise<KvView> promise = Promise.promise();
        long index;
        long timer = -1;

        PendingRead(long context) {
            this.context = context;
        }

        boolean done() {
            return promise.future().isComplete();
        }

        void succeed(KvView v) {
            vertx.cancelTimer(timer);
            promise.tryComplete(v);
        }

        void fail(Throwable t) {
            vertx.cancelTimer(timer);
            promise.tryFail(t);
        }
    }
}
