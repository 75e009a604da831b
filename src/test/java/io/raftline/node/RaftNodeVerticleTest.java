package io.raftline.node;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.raft.Snapshot;
import io.raftline.storage.DataDirLock;
import io.raftline.storage.NioDisk;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node verticle on its own (a single-node cluster), driven through its client API: the Ready loop with
 * a slow disk, backpressure, timeouts, and crash recovery by replaying the log store.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class RaftNodeVerticleTest {

    /** A log store whose writes can be held back, like a disk that stalls on fsync. */
    static final class StallableStore extends ForwardingLogStore {
        private final List<Runnable> held = new ArrayList<>();
        private boolean stalled;

        @Override
        public synchronized Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState,
                boolean sync) {
            if (!stalled) {
                return inner.persist(snapshot, entries, hardState, sync);
            }
            Promise<Void> done = Promise.promise();
            held.add(() -> {
                inner.persist(snapshot, entries, hardState, sync);
                done.complete();
            });
            return done.future();
        }

        synchronized void stall() {
            stalled = true;
        }

        void release() {
            List<Runnable> run;
            synchronized (this) {
                stalled = false;
                run = new ArrayList<>(held);
                held.clear();
            }
            run.forEach(Runnable::run);
        }

        synchronized int heldWrites() {
            return held.size();
        }
    }

    private static RaftNodeVerticle deploy(Vertx vertx, LogStore store, int maxPending, long timeoutMs,
            long snapshotEvery) throws InterruptedException {
        return deploy(vertx, store, maxPending, timeoutMs, snapshotEvery, NodeListener.NONE);
    }

    private static RaftNodeVerticle deploy(Vertx vertx, LogStore store, int maxPending, long timeoutMs,
            long snapshotEvery, NodeListener listener) throws InterruptedException {
        RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(150, 300).snapshotIntervalEntries(snapshotEvery).build();
        RaftNodeVerticle node = new RaftNodeVerticle(new NodeOptions(raft, 11, maxPending, timeoutMs),
                new EventBusTransport(vertx, new NetworkConditioner(1), (m, why) -> { }), store, listener);
        await(vertx.deployVerticle(node));
        eventually("node 1 leads", () -> node.status().map(s -> s.role() == Role.LEADER));
        return node;
    }

    /** Waits for a request's refusal, which must be a {@link NodeRequestException}. */
    private static NodeRequestException refusal(Future<?> request) {
        Throwable t = catchThrowable(() -> await(request));
        assertThat(t).as("the request's failure").isInstanceOf(NodeRequestException.class);
        return (NodeRequestException) t;
    }

    private static KvCommand put(String key, String value) {
        return new KvCommand.Put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A disk that starts failing every write, like a dead device. */
    static final class FailingStore extends ForwardingLogStore {
        private volatile boolean broken;
        private volatile Throwable failure = new io.raftline.raft.StorageException("fsync failed: Input/output error");

        @Override
        public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
            if (broken) {
                return Future.failedFuture(failure);
            }
            return inner.persist(snapshot, entries, hardState, sync);
        }

        @Override
        public boolean failed() {
            return broken;
        }

        @Override
        public StorageStats stats() {
            return new StorageStats("test", broken, 0, 0, 0);
        }
    }

    @Test
    void aNodeWhoseStartFailsLetsItsStoreAndDataDirectoryGo(Vertx vertx, @TempDir Path dir) throws Exception {
        // Regression: a start that failed after the host booted (its registration on the transport refused, as a
        // clustered bus that is leaving does) left the store open: Vert.x calls no stop() for a verticle that never
        // started, so the data directory's lock stayed with the dead node and a restart in the same process was
        // refused "in use by another running node".
        RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(150, 300).build();
        Path data = dir.resolve("node-1");
        DurableLogStore store = DurableLogStore.open(vertx, 1, DataDirLock.acquire(data), 1 << 20, NioDisk.INSTANCE);
        IllegalStateException refused = new IllegalStateException("the bus is leaving");
        Transport wire = new Transport() {
            @Override
            public void send(io.raftline.raft.message.Message m) {
            }

            @Override
            public Future<Registration> register(int nodeId, io.vertx.core.Handler<io.raftline.raft.message.Message> h) {
                return Future.failedFuture(refused);
            }
        };
        RaftNodeVerticle node = new RaftNodeVerticle(new NodeOptions(raft, 11, 100, 2000), wire, store,
                NodeListener.NONE);

        assertThat(catchThrowable(() -> await(vertx.deployVerticle(node)))).isSameAs(refused);

        // The store is closed by the time the start's failure is told: the directory can be locked again at once.
        DataDirLock.acquire(data).close();
    }

    @Test
    void aStorageFailureStopsTheNodeFromAcknowledgingAnything(Vertx vertx) throws Exception {
        FailingStore disk = new FailingStore();
        RaftNodeVerticle node = deploy(vertx, disk, 100, 2000, 10_000);
        await(node.propose(put("before", "1")));
        disk.broken = true;
        Throwable failure = catchThrowable(() -> await(node.propose(put("after", "2"))));
        assertThat(failure).isInstanceOf(NodeRequestException.class);
        NodeStatus s = await(node.status());
        assertThat(s.up()).as("fail-stop: the node stopped").isFalse();
        assertThat(s.storage().failed()).isTrue();
        // Nothing is acknowledged while the disk is broken, not even reads.
        NodeRequestException later = refusal(node.propose(put("later", "3")));
        refusal(node.read(ReadConsistency.STALE));
        // The client is told why: a storage failure, not a crash someone could restart away.
        assertThat(later.reason()).isEqualTo(NodeRequestException.Reason.NODE_DOWN);
        assertThat(later.getMessage()).isEqualTo("node 1 is down: it could not persist its log and stopped"
                + " (fail-stop, storage_failed in its /health); see its log");
    }

    @Test
    void anOutOfMemoryErrorUnderAWriteGoesToTheProcesssHandler(Vertx vertx) throws Exception {
        // A Raftline process ends on it (FatalErrors); a node that only stopped left the process alive and useless.
        FailingStore disk = new FailingStore();
        RaftNodeVerticle node = deploy(vertx, disk, 100, 2000, 10_000);
        await(node.propose(put("before", "1")));
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        List<Throwable> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> handed.add(e));
        try {
            disk.failure = oom;
            disk.broken = true;
            refusal(node.propose(put("after", "2")));
            assertThat(handed).containsExactly(oom);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertThat(await(node.status()).up()).as("without a process to end, the node still stops").isFalse();
    }

    @Test
    void crashDropsMemoryAndRestartRebuildsTheStateFromTheLogStore(Vertx vertx) throws Exception {
        MemoryLogStore disk = new MemoryLogStore();
        RaftNodeVerticle node = deploy(vertx, disk, 100, 2000, 7);
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            revisions.add(await(node.propose(put("k" + i, "v" + i))).revision());
        }
        KvResult deleted = await(node.propose(new KvCommand.Delete("k0")));
        assertThat(deleted).isEqualTo(new KvResult.Deleted(1, deleted.revision()));
        KvView before = await(node.read(ReadConsistency.LINEARIZABLE));
        eventually("a snapshot compacted the log", () -> node.status().map(s -> s.snapshotIndex() > 0));

        await(node.crash());
        NodeStatus down = await(node.status());
        assertThat(down.up()).isFalse();
        assertThat(down.roleName()).isEqualTo("Down");
        assertThat(refusal(node.propose(put("x", "y"))).reason())
                .isEqualTo(NodeRequestException.Reason.NODE_DOWN);
        assertThat(refusal(node.read(ReadConsistency.STALE)).reason())
                .isEqualTo(NodeRequestException.Reason.NODE_DOWN);

        await(node.restart());
        KvView after = await(node.read(ReadConsistency.STALE));
        assertThat(after.appliedIndex()).isGreaterThanOrEqualTo(before.appliedIndex());
        assertThat(after.get("k0")).isEmpty();
        for (int i = 1; i < 20; i++) {
            KvEntry e = after.get("k" + i).orElseThrow();
            assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
            assertThat(e.modRevision()).isEqualTo(revisions.get(i));
        }
        eventually("node 1 leads again", () -> node.status().map(s -> s.role() == Role.LEADER));
        assertThat(await(node.propose(put("after", "restart"))).revision()).isGreaterThan(before.appliedIndex());
    }

    @Test
    void eachSnapshotComesAtAPointDrawnInTheLastQuarterOfTheInterval(Vertx vertx) throws Exception {
        // The nodes of a cluster apply the same entries within milliseconds of each other: at a fixed interval all of
        // them serialized and wrote their state at once. Each node now draws its next point anew after every
        // snapshot, between three quarters of the interval and the interval.
        List<Long> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
        NodeListener listener = new NodeListener() {
            @Override
            public void snapshotTaken(int node, long index) {
                taken.add(index);
            }
        };
        RaftNodeVerticle node = deploy(vertx, new MemoryLogStore(), 100, 2000, 40, listener);
        // Writes go on until eight snapshots were taken. A node checks for a due snapshot after applying entries, and
        // not while one is still being written: a fixed 400 writes followed by a wait for eight snapshots failed in CI
        // when slow snapshots let fewer come due before the last write (nothing afterwards asks for another).
        for (int i = 0; taken.size() < 8; i++) {
            assertThat(i).as("writes before eight snapshots").isLessThan(4_000);
            await(node.propose(put("k" + (i % 10), "v" + i)));
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 0; i < taken.size(); i++) {
            gaps.add(taken.get(i) - (i == 0 ? 0 : taken.get(i - 1)));
        }
        assertThat(gaps).as("entries between snapshots").allMatch(g -> g >= 30)
                .anyMatch(g -> g < 40);
        assertThat(new java.util.HashSet<>(gaps)).as("points drawn, not fixed").hasSizeGreaterThan(1);
    }

    @Test
    void aSlowDiskHoldsTheLoopAndBackpressureBoundsPendingProposals(Vertx vertx, VertxTestContext test)
            throws Exception {
        StallableStore disk = new StallableStore();
        RaftNodeVerticle node = deploy(vertx, disk, 10, 5000, 10_000);
        disk.stall();
        List<Future<KvResult>> pending = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            pending.add(node.propose(put("p" + i, "v")));
        }
        eventually("the first write is held by the disk", () -> disk.heldWrites() > 0);
        eventually("ten proposals pending", () -> node.status().map(s -> s.pendingProposals() == 10));
        NodeRequestException refused = refusal(node.propose(put("one-too-many", "v")));
        assertThat(refused.reason()).isEqualTo(NodeRequestException.Reason.OVERLOADED);
        assertThat(refused.reason().httpStatus()).isEqualTo(503);
        assertThat(pending).noneMatch(Future::isComplete);

        var allApplied = test.checkpoint(10);
        for (Future<KvResult> f : pending) {
            f.onComplete(test.succeeding(r -> test.verify(() -> {
                assertThat(r).isInstanceOf(KvResult.Written.class);
                allApplied.flag();
            })));
        }
        disk.release();
    }

    @Test
    void leadershipGoesOnlyToAnotherVoterOfTheMembershipInEffect(Vertx vertx) throws Exception {
        RaftNodeVerticle node = deploy(vertx, new StallableStore(), 10, 300, 10_000);
        await(node.propose(put("k", "v")));
        for (int target : new int[] {7, 1}) {
            Throwable t = catchThrowable(() -> await(node.transferLeadership(target)));
            assertThat(t).as("transfer to %d", target).isInstanceOf(NodeRequestException.class)
                    .hasMessage("node " + target + " is not another voter of the membership voters=[1]");
            assertThat(((NodeRequestException) t).reason()).isEqualTo(target == 7
                    ? NodeRequestException.Reason.UNKNOWN_MEMBER : NodeRequestException.Reason.INVALID_CHANGE);
        }
    }

    @Test
    void aWriteThatCannotCommitInTimeFailsWithTimeout(Vertx vertx) throws Exception {
        StallableStore disk = new StallableStore();
        RaftNodeVerticle node = deploy(vertx, disk, 10, 300, 10_000);
        disk.stall();
        NodeRequestException e = refusal(node.propose(put("slow", "v")));
        assertThat(e.reason()).isEqualTo(NodeRequestException.Reason.TIMEOUT);
        assertThat(e.reason().httpStatus()).isEqualTo(504);
        disk.release();
        // The write was not lost, only late: it is applied once the disk answers.
        eventually("the late write is applied", () -> node.read(ReadConsistency.STALE).map(v -> v.get("slow").isPresent()));
    }

    @Test
    void readsOfEveryConsistencySeeAnAcknowledgedWrite(Vertx vertx) throws Exception {
        RaftNodeVerticle node = deploy(vertx, new MemoryLogStore(), 10, 2000, 10_000);
        long revision = await(node.propose(put("r", "1"))).revision();
        for (ReadConsistency c : ReadConsistency.values()) {
            KvView v = await(node.read(c));
            assertThat(v.appliedIndex()).as(c.name()).isGreaterThanOrEqualTo(revision);
            assertThat(v.get("r").orElseThrow().modRevision()).isEqualTo(revision);
        }
        assertThat(node.knownLeader()).isEqualTo(1);
        await(node.pause());
        assertThat(refusal(node.read(ReadConsistency.STALE)).reason())
                .isEqualTo(NodeRequestException.Reason.NODE_PAUSED);
        await(node.resume());
        assertThat(await(node.read(ReadConsistency.LINEARIZABLE)).get("r")).isPresent();
    }

    @Test
    void theListenerSeesElectionsAppendsAppliesCrashesAndRestarts(Vertx vertx) throws Exception {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        NodeListener recorder = new NodeListener() {
            @Override
            public void coreEvent(int node, long term, Role role, io.raftline.raft.CoreEvent event) {
                if (event instanceof io.raftline.raft.CoreEvent.LeaderElected le) {
                    seen.add("elected:" + le.leader());
                }
            }

            @Override
            public void entriesAppended(int node, List<Entry> entries) {
                seen.add("appended:" + entries.get(entries.size() - 1).index());
            }

            @Override
            public void applied(int node, Entry entry, KvResult result) {
                seen.add("applied:" + entry.index() + (result == null ? ":noop" : ":" + result.wire()));
            }

            @Override
            public void crashed(int node) {
                seen.add("crashed:" + node);
            }

            @Override
            public void restarted(int node, long applied) {
                seen.add("restarted:" + node + "@" + applied);
            }
        };
        RaftNodeVerticle node = deploy(vertx, new MemoryLogStore(), 10, 2000, 10_000, recorder);
        long revision = await(node.propose(put("a", "1"))).revision();
        await(node.crash());
        await(node.restart());
        List<String> events = List.copyOf(seen);
        assertThat(events).contains("elected:1", "appended:" + revision, "applied:1:noop", "applied:" + revision + ":OK",
                "crashed:1", "restarted:1@" + revision);
        assertThat(events.indexOf("applied:" + revision + ":OK")).isLessThan(events.indexOf("crashed:1"));
    }

    @Test
    void aFrozenNodeHoldsEveryRequestAndHandlesThemInOrderWhenThawed(Vertx vertx) throws Exception {
        RaftNodeVerticle node = deploy(vertx, new MemoryLogStore(), 10, 5000, 10_000);
        await(node.propose(put("f", "0")));
        await(node.freeze());
        NodeStatus frozen = await(node.status());
        assertThat(frozen.up()).as("a frozen node still answers status queries").isTrue();
        Future<KvResult> write = node.propose(put("f", "1"));
        Future<KvView> read = node.read(ReadConsistency.STALE);
        // Nothing is refused and nothing happens: the node is stopped, not cut off.
        eventually("the frozen node's status is answered while its requests wait",
                () -> node.status().map(s -> !write.isComplete() && !read.isComplete()));
        await(node.thaw());
        KvResult written = await(write);
        KvView seen = await(read);
        assertThat(written).isInstanceOf(KvResult.Written.class);
        // Handled in arrival order: the write was queued before the read, but a stale read is served at once
        // while the write still needs its round through the log, so the read sees the value before it.
        assertThat(new String(seen.get("f").orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("0");
        assertThat(await(node.read(ReadConsistency.LINEARIZABLE)).get("f").orElseThrow().modRevision())
                .isEqualTo(written.revision());
    }

    @Test
    void aFrozenNodeCanStillBeKilled(Vertx vertx) throws Exception {
        RaftNodeVerticle node = deploy(vertx, new MemoryLogStore(), 10, 5000, 10_000);
        await(node.freeze());
        Future<KvResult> held = node.propose(put("k", "v"));
        await(node.crash());
        assertThat(await(node.status()).up()).isFalse();
        await(node.restart());
        eventually("node 1 leads again", () -> node.status().map(s -> s.role() == Role.LEADER));
        assertThat(refusal(held).reason()).as("never handled, so never applied")
                .isEqualTo(NodeRequestException.Reason.NODE_DOWN);
    }
}
