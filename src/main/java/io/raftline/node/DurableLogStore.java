package io.raftline.node;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.storage.Storage;
import io.raftline.storage.DurableStorage;
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
 * <p>All file I/O runs on a worker executor of one thread owned by this store, so writes reach the disk in
 * the order the node issued them and an fsync never blocks an event loop. The in-memory view the core reads
 * is updated back on the node's context once a write is durable, before the returned future completes: the
 * node's Ready loop then sends, applies and advances. One call per Ready means one fsync per Ready, whatever
 * the number of client proposals batched into it (group commit).
 *
 * <p>{@link #recover()} closes the files and opens them again, replaying the snapshot and the log exactly as
 * a process restarted after {@code kill -9} would: the node calls it when it restarts after a crash, so the
 * recovery path is exercised every time, not only after a real crash.
 */
public final class DurableLogStore implements LogStore {

    private static final Logger LOG = LoggerFactory.getLogger(DurableLogStore.class);

    private final Vertx vertx;
    private final int nodeId;
    private final Path dataDir;
    private final long segmentBytes;
    private final WorkerExecutor io;
    private DurableStorage storage;
    private volatile boolean stateLost;

    /** File in the data directory that records a detected loss of acknowledged state (see {@link #recordStateLost}). */
    public static final String STATE_LOST_FILE = "STATE_LOST";

    private DurableLogStore(Vertx vertx, int nodeId, Path dataDir, long segmentBytes, DurableStorage storage) {
        this.vertx = vertx;
        this.nodeId = nodeId;
        this.dataDir = dataDir;
        this.segmentBytes = segmentBytes;
        this.storage = storage;
        this.io = vertx.createSharedWorkerExecutor("raftline-storage-" + nodeId + "-" + System.identityHashCode(this),
                1, 60, TimeUnit.SECONDS);
        this.stateLost = java.nio.file.Files.exists(dataDir.resolve(STATE_LOST_FILE));
    }

    /**
     * Opens (recovering) the store of node {@code nodeId} in {@code dataDir}. Runs on the calling thread: call
     * it at start-up, before the node's verticle is deployed, or from a worker.
     */
    public static DurableLogStore open(Vertx vertx, int nodeId, Path dataDir) {
        return new DurableLogStore(vertx, nodeId, dataDir, Wal.DEFAULT_SEGMENT_BYTES, openStorage(nodeId, dataDir,
                Wal.DEFAULT_SEGMENT_BYTES));
    }

    /** As {@link #open(Vertx, int, Path)} with a chosen WAL segment size (tests use small segments). */
    public static DurableLogStore open(Vertx vertx, int nodeId, Path dataDir, long segmentBytes) {
        return new DurableLogStore(vertx, nodeId, dataDir, segmentBytes, openStorage(nodeId, dataDir, segmentBytes));
    }

    private static DurableStorage openStorage(int nodeId, Path dataDir, long segmentBytes) {
        DurableStorage s = DurableStorage.open(dataDir, segmentBytes,
                note -> LOG.warn("[Node {}] storage recovery: {}", nodeId, note));
        LOG.info("[Node {}] storage opened in {}: snapshot at {}, {} log entries replayed, last index {}, {}", nodeId,
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
        return io.<Void>executeBlocking(() -> {
            if (snapshot != null) {
                s.writeSnapshot(snapshot);
            }
            s.write(entries, hardState, sync);
            return null;
        }, true).compose(v -> onContext(ctx, () -> s.applyWritten(snapshot, entries, hardState)));
    }

    @Override
    public Future<Void> compact(long index, List<Integer> voters, byte[] data) {
        DurableStorage s = storage;
        Context ctx = vertx.getOrCreateContext();
        Snapshot snap = new Snapshot(new SnapshotMetadata(index, s.term(index), voters), data);
        return io.<Long>executeBlocking(() -> s.compact(snap), true).compose(freed -> onContext(ctx, () -> {
            s.applyCompaction(snap);
            LOG.debug("[Node {}] compacted the log up to {}: {} bytes of WAL freed", nodeId, index, freed);
        }));
    }

    @Override
    public Future<Void> recover() {
        Context ctx = vertx.getOrCreateContext();
        DurableStorage old = storage;
        return io.<DurableStorage>executeBlocking(() -> {
            old.close();
            return openStorage(nodeId, dataDir, segmentBytes);
        }, true).compose(fresh -> onContext(ctx, () -> storage = fresh));
    }

    @Override
    public boolean failed() {
        return storage.failed();
    }

    @Override
    public Future<Void> recordStateLost(String detail) {
        stateLost = true;
        return io.executeBlocking(() -> {
            Path marker = dataDir.resolve(STATE_LOST_FILE);
            String text = "Node " + nodeId + " lost log entries it had acknowledged: " + detail + ".\n"
                    + "It may have voted in terms it no longer remembers, so it must not vote again under this id.\n"
                    + "Replace it: remove member " + nodeId + " and add a new member with a new id and an empty data"
                    + " directory (docs/operations.md).\n";
            java.nio.file.Files.writeString(marker, text, java.nio.charset.StandardCharsets.UTF_8);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(marker,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try (java.nio.channels.FileChannel dir = java.nio.channels.FileChannel.open(dataDir,
                    java.nio.file.StandardOpenOption.READ)) {
                dir.force(true);
            }
            return null;
        }, true);
    }

    @Override
    public boolean stateLostRecorded() {
        return stateLost;
    }

    @Override
    public StorageStats stats() {
        DurableStorage s = storage;
        return new StorageStats("durable", s.failed(), s.fsyncs(), s.entriesWritten(), s.walBytes());
    }

    @Override
    public Future<Void> close() {
        DurableStorage s = storage;
        return io.<Void>executeBlocking(() -> {
            s.close();
            return null;
        }, true).eventually(() -> io.close());
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
