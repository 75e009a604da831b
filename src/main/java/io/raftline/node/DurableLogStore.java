package io.raftline.node;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.storage.Storage;
import io.raftline.storage.Disk;
import io.raftline.storage.DataDirLock;
import io.raftline.storage.DurableStorage;
import io.raftline.storage.NioDisk;
import io.raftline.storage.Wal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LogStore} on disk: a node's write-ahead log and snapshots under its {@code data_dir}.
 *
 * <p>All WAL I/O runs on a worker executor of one thread owned by this store (the <em>WAL worker</em>), so
 * writes reach the disk in the order the node issued them and an fsync never blocks an event loop. The
 * in-memory view the core reads is updated back on the node's context once a write is durable, before the
 * returned future completes: the node's Ready loop then sends, applies and advances. One call per Ready means
 * one fsync per Ready, whatever the number of client proposals batched into it (group commit).
 *
 * <p>Compaction writes the whole state machine to a snapshot file. That file does not depend on the WAL's order,
 * so it is written on a second single-thread worker (the <em>snapshot worker</em>): a large snapshot then never
 * holds back the WAL fsyncs queued behind it, nor the Ready loop waiting for them, nor the heartbeats that loop
 * sends. Only once the file is durable does the WAL part (the snapshot record, the hard state, an fsync, then the
 * deletion of the segments it covers) join the WAL worker's queue.
 *
 * <p>{@link #recover()} closes the files and opens them again, replaying the snapshot and the log exactly as
 * a process restarted after {@code kill -9} would: the node calls it when it restarts after a crash, so the
 * recovery path is exercised every time, not only after a real crash.
 *
 * <p>On a sharded node ({@link #openGroup}) each group has a store of its own (its snapshots, its recovery, its state
 * machine), but the groups write one {@link io.raftline.storage.SharedWal} through the node's
 * {@link SharedWalWriter} instead of a WAL worker each, so that one fsync covers the writes of many groups.
 */
public final class DurableLogStore implements LogStore {

    private static final Logger LOG = LoggerFactory.getLogger(DurableLogStore.class);

    private final Vertx vertx;
    private final int nodeId;
    /** {@code [Node n]}, and {@code [Group g]} after it for a group of a sharded node: how its log lines begin. */
    private final String who;
    private final Path dataDir;
    private final Disk disk;
    /** Held while this store is open: no second node may use the directory (released by {@link #close()}). */
    private final DataDirLock lock;
    /** Where WAL work runs: persists, the WAL part of compaction, recovery, in the node's order. */
    private final Lane lane;
    /** Opens the storage again from the files (recovery after an in-process crash); runs on the lane. */
    private final java.util.function.Supplier<DurableStorage> reopen;
    /**
     * The snapshot worker: writes snapshot files, so that their size never delays a WAL fsync. Its tasks are
     * submitted <em>unordered</em>: Vert.x queues ordered blocking tasks per calling context, across executors, so
     * ordered snapshot writes from the node's event loop would wait in the same line as the WAL writes. With one
     * thread the executor still runs them one at a time, in submission order.
     */
    private final WorkerExecutor snapshotIo;
    private DurableStorage storage;
    /**
     * The storage the lane's recoveries and close act on: the one opened last, touched on the lane only (its tasks
     * run one at a time, in order). {@link #storage} is the same one once the node's context has heard of it; a
     * recovery or a close queued before it has must not act on the one it replaced, or the newer one stays open.
     */
    private DurableStorage laneStorage;
    /** Set on the lane by {@link #close()}: a recovery queued after it opens nothing. */
    private boolean laneClosed;
    private volatile boolean stateLost;

    /** File in the data directory that records a detected loss of acknowledged state (see {@link #recordStateLost}). */
    public static final String STATE_LOST_FILE = "STATE_LOST";

    /**
     * The thread WAL work runs on, in submission order: a worker of the store's own, or the node's shared writer.
     */
    private interface Lane {
        /** Runs {@code work}, then {@code sync} if not null; completes on the caller's context. */
        <T> Future<T> run(java.util.concurrent.Callable<T> work, Runnable sync);

        /** Called once, after the store's last task was queued. */
        Future<Void> close();
    }

    private DurableLogStore(Vertx vertx, int nodeId, String who, Path dataDir, Disk disk, DurableStorage storage,
            DataDirLock lock, java.util.function.Function<String, Lane> lane,
            java.util.function.Supplier<DurableStorage> reopen) {
        this.lock = lock;
        this.vertx = vertx;
        this.nodeId = nodeId;
        this.who = who;
        this.dataDir = dataDir;
        this.disk = disk;
        this.storage = storage;
        this.laneStorage = storage;
        this.reopen = reopen;
        String name = "raftline-storage-" + nodeId + "-" + System.identityHashCode(this);
        this.lane = lane.apply(name);
        this.snapshotIo = vertx.createSharedWorkerExecutor(name + "-snapshots", 1, 60, TimeUnit.SECONDS);
        this.stateLost = stateLostMarkerExists(disk, dataDir);
    }

    /** A lane on a worker of one thread of the store's own. */
    private static Lane ownWorker(Vertx vertx, String name) {
        WorkerExecutor io = vertx.createSharedWorkerExecutor(name, 1, 60, TimeUnit.SECONDS);
        return new Lane() {
            @Override
            public <T> Future<T> run(java.util.concurrent.Callable<T> work, Runnable sync) {
                return io.executeBlocking(() -> {
                    T result = work.call();
                    if (sync != null) {
                        sync.run();
                    }
                    return result;
                }, true);
            }

            @Override
            public Future<Void> close() {
                return io.close();
            }
        };
    }

    /**
     * Opens (recovering) the store of node {@code nodeId} in {@code dataDir}. Runs on the calling thread: call
     * it at start-up, before the node's verticle is deployed, or from a worker.
     */
    public static DurableLogStore open(Vertx vertx, int nodeId, Path dataDir) {
        return open(vertx, nodeId, dataDir, Wal.DEFAULT_SEGMENT_BYTES);
    }

    /** As {@link #open(Vertx, int, Path)} with a chosen WAL segment size (tests use small segments). */
    public static DurableLogStore open(Vertx vertx, int nodeId, Path dataDir, long segmentBytes) {
        return open(vertx, nodeId, dataDir, segmentBytes, NioDisk.INSTANCE);
    }

    /** As {@link #open(Vertx, int, Path, long)}, with all file I/O through {@code disk} (tests slow or fail it). */
    public static DurableLogStore open(Vertx vertx, int nodeId, Path dataDir, long segmentBytes, Disk disk) {
        return open(vertx, nodeId, DataDirLock.acquire(dataDir), segmentBytes, disk);
    }

    /**
     * As {@link #open(Vertx, int, Path, long, Disk)} in the directory of a lock the caller took before it wrote
     * anything there (the node's marks): the store holds it from now on, and releases it when it closes or fails to
     * open.
     */
    public static DurableLogStore open(Vertx vertx, int nodeId, DataDirLock lock, long segmentBytes, Disk disk) {
        Path dataDir = lock.dir();
        try {
            String who = "[Node " + nodeId + "]";
            java.util.function.Supplier<DurableStorage> opener = () -> opened(who, dataDir,
                    DurableStorage.open(disk, dataDir, segmentBytes, warner(who)));
            return new DurableLogStore(vertx, nodeId, who, dataDir, disk, opener.get(), lock,
                    name -> ownWorker(vertx, name), opener);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Opens (recovering) group {@code group}'s store of a sharded node: its snapshots in {@code groupDir}, its log its
     * share of the node's shared WAL, written by {@code writer}. Blocking: call it from a worker, one group at a time.
     */
    public static DurableLogStore openGroup(Vertx vertx, int nodeId, Path groupDir, int group, SharedWalWriter writer,
            Disk disk) {
        return openGroup(vertx, nodeId, DataDirLock.acquire(groupDir), group, writer, disk);
    }

    /**
     * As {@link #openGroup(Vertx, int, Path, int, SharedWalWriter, Disk)} in the directory of a lock the caller took
     * (group 0's, the node's {@code data_dir}, locked before anything was written there): the store holds it from now
     * on, and releases it when it closes or fails to open.
     */
    public static DurableLogStore openGroup(Vertx vertx, int nodeId, DataDirLock lock, int group,
            SharedWalWriter writer, Disk disk) {
        Path groupDir = lock.dir();
        try {
            writer.acquire();
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        try {
            io.raftline.storage.WalLog log = writer.wal().group(group);
            // Its lines name the group, as the replica's own do: a node's groups recover one after the other.
            String who = "[Node " + nodeId + "][Group " + group + "]";
            java.util.function.Supplier<DurableStorage> opener = () -> opened(who, groupDir,
                    DurableStorage.open(disk, groupDir, log, warner(who)));
            // On the writer's thread: the groups opened before this one are writing the shared log already, and
            // recovery may write it too (a received snapshot whose record a crash lost).
            DurableStorage storage = writer.runAndWait(opener::get);
            return new DurableLogStore(vertx, nodeId, who, groupDir, disk, storage, lock, name -> new Lane() {
                @Override
                public <T> Future<T> run(java.util.concurrent.Callable<T> work, Runnable sync) {
                    return writer.submit(vertx, work, sync);
                }

                @Override
                public Future<Void> close() {
                    return writer.release(vertx);
                }
            }, opener);
        } catch (RuntimeException e) {
            lock.close();
            writer.release(vertx);
            throw e;
        }
    }

    private static java.util.function.Consumer<String> warner(String who) {
        return note -> LOG.warn("{} storage recovery: {}", who, note);
    }

    private static DurableStorage opened(String who, Path dataDir, DurableStorage s) {
        LOG.info("{} storage opened in {}: snapshot at {}, {} log entries replayed, last index {}, {}", who,
                dataDir, s.snapshot().index(), s.recoveredEntries(), s.lastIndex(), s.hardState());
        return s;
    }

    @Override
    public Storage storage() {
        return storage;
    }

    /** The data directory. */
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
        DurableStorage s = storage;
        Context ctx = vertx.getOrCreateContext();
        return lane.<Void>run(() -> {
            if (snapshot != null) {
                s.writeSnapshot(snapshot);
            }
            s.write(entries, hardState, false);
            return null;
        }, sync ? s::sync : null).compose(v -> onContext(ctx, () -> s.applyWritten(snapshot, entries, hardState)));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The snapshot file is written on the snapshot worker while WAL writes go on; its WAL record is queued on
     * the WAL worker only once the file is durable (a record must never point at a file that may not exist), and
     * the segments it covers are deleted only once that record is durable.
     */
    @Override
    public Future<Void> compact(long index, Membership membership, byte[] data) {
        DurableStorage s = storage;
        Context ctx = vertx.getOrCreateContext();
        Snapshot snap = new Snapshot(SnapshotMetadata.of(index, s.term(index), membership), data);
        return snapshotIo.<Void>executeBlocking(() -> {
            s.writeSnapshotFile(snap);
            return null;
        }, false).compose(v -> lane.<Long>run(() -> s.recordCompaction(snap), null))
                .compose(freed -> onContext(ctx, () -> {
                    s.applyCompaction(snap);
                    LOG.debug("{} compacted the log up to {}: {} bytes of WAL freed", who, index, freed);
                }));
    }

    @Override
    public Future<Void> recover() {
        Context ctx = vertx.getOrCreateContext();
        // A snapshot file the crashed incarnation was still writing finishes first: recovery must not read (or
        // delete as a leftover) a file that another thread is writing.
        return afterSnapshotWrites().compose(v -> lane.<DurableStorage>run(() -> {
            if (laneClosed) {
                throw new io.raftline.raft.StorageException("node " + nodeId + "'s store is closed");
            }
            // The one opened last, even by a recovery whose result the context has not seen yet.
            DurableStorage old = laneStorage;
            // On the lane's thread, which recorded any failure: a log whose fsync failed is not read again here.
            String refusal = old.reopenRefusal();
            if (refusal != null) {
                throw new io.raftline.raft.StorageException("node " + nodeId + " cannot restart in this process: "
                        + refusal + " (docs/operations.md, \"A full disk or an I/O error\")");
            }
            old.close();
            laneStorage = reopen.get();
            return laneStorage;
        }, null)).compose(fresh -> onContext(ctx, () -> storage = fresh));
    }

    /** Completes once every snapshot file write queued so far has finished (its one thread runs them in order). */
    private Future<Void> afterSnapshotWrites() {
        return snapshotIo.executeBlocking(() -> null, false);
    }

    @Override
    public boolean failed() {
        return storage.failed();
    }

    @Override
    public Future<Void> recordStateLost(String detail) {
        stateLost = true;
        return lane.run(() -> {
            String text = "Node " + nodeId + " lost log entries it had acknowledged: " + detail + ".\n"
                    + "It may have voted in terms it no longer remembers, so it must not vote again under this id.\n"
                    + "Replace it: remove member " + nodeId + " and add a new member with a new id and an empty data"
                    + " directory (docs/operations.md).\n";
            try (Disk.AppendFile f = disk.open(dataDir.resolve(STATE_LOST_FILE), Disk.OpenMode.CREATE_OR_TRUNCATE)) {
                f.write(java.nio.ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                f.force(true);
            }
            disk.syncDirectory(dataDir);
            return null;
        }, null);
    }

    /**
     * Whether a store of {@code dir} recorded a loss ({@link #recordStateLost}), without opening it: a sharded node's
     * start asks it of every group's directory, since what one group found lost the node's other groups lost too.
     * Blocking: call it on a worker.
     *
     * @param dir a store's directory (a sharded node's group directory)
     * @return true if the loss record is there
     */
    public static boolean stateLostRecordedIn(Path dir) {
        return stateLostMarkerExists(io.raftline.storage.NioDisk.INSTANCE, dir);
    }

    private static boolean stateLostMarkerExists(Disk disk, Path dataDir) {
        try {
            return disk.isDirectory(dataDir) && disk.list(dataDir).contains(dataDir.resolve(STATE_LOST_FILE));
        } catch (java.io.IOException e) {
            throw new io.raftline.raft.StorageException("cannot read " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean stateLostRecorded() {
        return stateLost;
    }

    @Override
    public long compactionPressureBytes() {
        return storage.compactionPressureBytes();
    }

    @Override
    public StorageStats stats() {
        DurableStorage s = storage;
        return new StorageStats("durable", s.failed(), s.fsyncs(), s.entriesWritten(), s.walBytes(), s.failure());
    }

    @Override
    public Future<Void> close() {
        return afterSnapshotWrites().compose(v -> lane.<Void>run(() -> {
            laneClosed = true;
            try {
                laneStorage.close();
            } finally {
                lock.close();
            }
            return null;
        }, null)).eventually(() -> snapshotIo.close()).eventually(lane::close);
    }

    private static Future<Void> onContext(Context ctx, Runnable r) {
        if (Vertx.currentContext() == ctx) {
            r.run();
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        ctx.runOnContext(x -> {
            try {
                r.run();
                p.complete();
            } catch (RuntimeException e) {
                p.fail(e);
            }
        });
        return p.future();
    }
}
