package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.raft.Membership;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.storage.MemoryStorage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code max_log_size_bytes} on one {@link NodeHost} driven by hand, over a log store whose compactions complete when
 * the test says: the node refuses writes while its log is past the bound, and a compaction must then follow that
 * brings it back under, whatever was applied while an earlier one was on its way.
 */
class LogBoundCompactionTest {

    private static final long MAX_LOG = 8 * 1024;

    /** The node's loop and its workers as queues; a single-node group, so nothing else makes it take a Ready. */
    private static final class ManualEnvironment extends ManualHostEnvironment {
        final HeldStore store = new HeldStore();
        final NodeHost host;

        ManualEnvironment(long snapshotIntervalBytes, long maxLogSizeBytes) {
            super(Offload.ON_WORKERS, true);
            RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                    .electionTimeoutMs(150, 300).snapshotIntervalEntries(1_000_000)
                    .snapshotIntervalBytes(snapshotIntervalBytes).maxLogSizeBytes(maxLogSizeBytes).build();
            host = new NodeHost(new NodeOptions(raft, 7, 1_000, 60_000), store, NodeListener.NONE, this);
            host.boot();
            for (int i = 0; i < 100 && host.status().role() != io.raftline.raft.Role.LEADER; i++) {
                now += 10_000_000L;
                host.tick();
                settle();
            }
            assertThat(host.status().role()).isEqualTo(io.raftline.raft.Role.LEADER);
        }

        @Override
        NodeHost host() {
            return host;
        }
    }

    /**
     * Writes complete at once; a compaction waits in {@link #compactions} until the test completes it. The log's size
     * is the bytes of the entries after the snapshot (what a compaction can free).
     */
    private static final class HeldStore extends ForwardingLogStore {
        /** Compactions asked for; once one is let through, the inner store holds what it made. */
        final ArrayDeque<Runnable> compactions = new ArrayDeque<>();

        @Override
        public Future<Void> compact(long index, Membership membership, byte[] data) {
            Promise<Void> done = Promise.promise();
            compactions.add(() -> inner.compact(index, membership, data).onComplete(done));
            return done.future();
        }

        @Override
        public StorageStats stats() {
            return new StorageStats("held", false, 0, 0, ((MemoryStorage) inner.storage()).sizeBytes());
        }
    }

    private static List<Future<KvResult>> writes(ManualEnvironment env, String prefix, int count) {
        List<Future<KvResult>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(env.host.propose(new KvCommand.Put(prefix + i, new byte[1024])));
        }
        env.settle();
        return out;
    }

    /**
     * A burst of writes accepted while the log was under the bound, applied while a compaction was on its way, left the
     * log past the bound once that compaction completed (it covered only what was applied when it began). Nothing
     * asked for another: the node takes a snapshot only after a Ready, and a node refusing every write, alone in its
     * group (or in a quiet group), takes none. It answered 503 "writes resume once a snapshot compacts it" for good.
     * Now a completed compaction looks again, and the next one brings the log back under the bound.
     */
    @Test
    void aLogLeftPastTheBoundByACompactionOnItsWayIsCompactedAgain() {
        ManualEnvironment env = new ManualEnvironment(MAX_LOG, MAX_LOG);

        // Past half the bound: the node snapshots, and that compaction is held.
        List<Future<KvResult>> first = writes(env, "a", 5);
        assertThat(first).allMatch(Future::succeeded);
        assertThat(env.store.compactions).hasSize(1);
        // Accepted while the log is under the bound (each write is checked against what is on disk), applied while
        // the compaction is held: the log goes well past the bound.
        List<Future<KvResult>> burst = writes(env, "b", 12);
        assertThat(burst).allMatch(Future::succeeded);
        assertThat(env.store.stats().walBytes()).isGreaterThan(MAX_LOG);

        // Every compaction the node asks for completes; then nothing is left for it to do.
        while (!env.store.compactions.isEmpty()) {
            env.store.compactions.poll().run();
            env.settle();
        }
        assertThat(env.store.stats().walBytes()).as("the log once every compaction asked for completed")
                .isLessThanOrEqualTo(MAX_LOG);
        Future<KvResult> after = env.host.propose(new KvCommand.Put("c", new byte[1024]));
        env.settle();
        assertThat(after.succeeded()).as("a write after the compactions: %s", after.cause()).isTrue();
    }

    /**
     * {@code snapshot_interval_bytes} counts what was applied since the last snapshot. A snapshot covers what was
     * applied when it was captured; what was applied while it was serialized and written is not in it, and must count
     * towards the next one. The count was set to zero when a compaction completed: a node writing while its snapshots
     * were on their way took the next one that much later, its log that much longer.
     */
    @Test
    void bytesAppliedWhileASnapshotIsOnItsWayCountTowardsTheNext() {
        // A snapshot is due after 12 to 16 KiB (the point is drawn in the last quarter of the interval); the log's
        // bound is far off, so only the interval asks for one.
        ManualEnvironment env = new ManualEnvironment(16 * 1024, 1024 * 1024);
        assertThat(writes(env, "a", 17)).allMatch(Future::succeeded);
        assertThat(env.store.compactions).as("a snapshot after 17 KiB").hasSize(1);
        // 10 KiB applied while that snapshot is held, then it completes: no second one yet (10 KiB is under 12).
        assertThat(writes(env, "b", 10)).allMatch(Future::succeeded);
        env.store.compactions.poll().run();
        env.settle();
        assertThat(env.store.compactions).as("snapshots asked for with 10 KiB applied since the first").isEmpty();
        // 7 KiB more: 17 KiB since what the first snapshot holds, past any point the interval can draw.
        assertThat(writes(env, "c", 7)).allMatch(Future::succeeded);
        assertThat(env.store.compactions).as("snapshots asked for with 17 KiB applied since the first").hasSize(1);
    }
}
