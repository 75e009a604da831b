package io.raftline.node;

import io.raftline.storage.DataDirLock;
import io.raftline.storage.Disk;
import io.raftline.storage.SharedWal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes a sharded node's {@link SharedWal} for all its groups, and the reason the shared log pays
 * off: it takes every write queued while it was busy, appends them all, then fsyncs once for the lot (group commit
 * across groups), where a thread per group would fsync once per group.
 *
 * <p>A task has two parts: its work (appends, snapshot records, recovery) and, optionally, a sync. The writer runs the
 * work of every queued task in queue order, then the syncs: the first fsyncs, and the others find nothing left to
 * sync, since everything appended before that fsync is durable. Only then does any task complete. A group's tasks
 * run in the order it queued them, so its writes reach the log in the order its Raft core issued them, as with a log
 * of its own. Tasks complete on the context that queued them, never on this thread.
 *
 * <p>Whoever opens the writer holds it, and each group's {@link DurableLogStore} holds it while open; the last
 * {@link #release} closes the log and ends the thread. While open, the writer locks the log's directory
 * ({@code wal/LOCK}, a {@link DataDirLock}), taken before the log is read: a second node on the same data directory
 * refuses before it could repair the log under the node that writes it.
 */
public final class SharedWalWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SharedWalWriter.class);
    /** Most tasks taken in one round (one fsync). */
    private static final int MAX_BATCH = 4096;

    private final SharedWal wal;
    /** Held while the log is open: no second node may open (and so repair) it; released after it closes. */
    private final DataDirLock lock;
    private final Thread thread;
    private final LinkedBlockingQueue<Task<?>> queue = new LinkedBlockingQueue<>();
    private int holders;
    private boolean closed;
    private volatile boolean stopping;

    /** What to do, then what to sync, then who to tell (on this writer's thread: with the result or a Failure). */
    private record Task<T>(Callable<T> work, Runnable sync, Consumer<Object> done) {
    }

    private SharedWalWriter(int nodeId, SharedWal wal, DataDirLock lock) {
        this.wal = wal;
        this.lock = lock;
        this.holders = 1;
        this.thread = new Thread(this::run, "raftline-wal-" + nodeId);
        this.thread.setDaemon(true);
    }

    /**
     * Opens (recovering) the shared log of node {@code nodeId} in {@code walDir} and starts its thread. Blocking file
     * I/O: call it from a worker, before the node's groups open their stores. The caller holds it: it releases it
     * once the groups' stores hold it (or failed to open).
     */
    public static SharedWalWriter open(int nodeId, Disk disk, Path walDir, long segmentBytes, int groups) {
        Consumer<String> warn = note -> LOG.warn("[Node {}] shared write-ahead log recovery: {}", nodeId, note);
        // Locked before anything is read: opening the log repairs it, and a record that a running node is still
        // writing looks like a torn tail. A second node on the same data_dir (a second process, a second entry of one
        // configuration) would cut it; the running node's write then lands past the cut, behind zeros, and is
        // acknowledged once synced, and the next start cuts it as torn or refuses the log as corrupt. A node holds its
        // data_dir's lock already (ClusterVerticle takes it first); groups 1.. lock their directories only later, as
        // their stores open.
        try {
            // Made durably here: the lock would create it, but without syncing its parent.
            disk.createDirectoriesDurably(walDir);
        } catch (java.io.IOException e) {
            throw new io.raftline.raft.StorageException("cannot create " + walDir + ": " + e.getMessage(), e);
        }
        DataDirLock lock = DataDirLock.acquire(walDir);
        try {
            SharedWalWriter w = new SharedWalWriter(nodeId, SharedWal.open(disk, walDir, segmentBytes, groups, warn),
                    lock);
            w.thread.start();
            return w;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The log this writer writes. Touch it only from tasks. */
    SharedWal wal() {
        return wal;
    }

    /**
     * Queues {@code work}, then {@code sync} if not null, and completes with the work's result on the calling context
     * once both ran (or with the first failure).
     */
    <T> Future<T> submit(Vertx vertx, Callable<T> work, Runnable sync) {
        Promise<T> done = Promise.promise();
        Context ctx = vertx.getOrCreateContext();
        if (!enqueue(new Task<>(work, sync, result -> ctx.runOnContext(v -> complete(done, result))))) {
            return Future.failedFuture(new IllegalStateException("the shared write-ahead log is closed"));
        }
        return done.future();
    }

    /**
     * Runs {@code work} on this writer's thread, between two rounds of writes, and waits for it: for a thread that may
     * block (a worker opening a group's store), never an event loop. The log is not thread-safe, so whatever touches
     * it once the writer runs goes through here or {@link #submit}.
     *
     * @throws RuntimeException what the work threw (a checked exception wrapped)
     */
    <T> T runAndWait(Callable<T> work) {
        java.util.concurrent.CompletableFuture<Object> done = new java.util.concurrent.CompletableFuture<>();
        if (!enqueue(new Task<>(work, null, done::complete))) {
            throw new IllegalStateException("the shared write-ahead log is closed");
        }
        Object result;
        try {
            result = done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the shared write-ahead log", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (result instanceof Failure f) {
            if (f.cause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(f.cause());
        }
        @SuppressWarnings("unchecked")
        T t = (T) result;
        return t;
    }

    private synchronized boolean enqueue(Task<?> task) {
        if (closed) {
            return false;
        }
        queue.add(task);
        return true;
    }

    /** One more holder (a group's store that opened on this log). */
    synchronized void acquire() {
        if (closed) {
            throw new IllegalStateException("the shared write-ahead log is closed");
        }
        holders++;
    }

    /**
     * A holder is done with the log: its last task (closing its files) must already be queued. The last release
     * closes the log after every queued task and ends the thread.
     *
     * @return completes once the log is closed (at once for all but the last release)
     */
    public Future<Void> release(Vertx vertx) {
        Promise<Void> done = Promise.promise();
        Context ctx = vertx.getOrCreateContext();
        synchronized (this) {
            if (--holders > 0) {
                return Future.succeededFuture();
            }
            // Closed in the same step as the last task is queued: between the two (as they were), a task queued
            // after it was never run (the thread ends with it) and its caller waited for ever, and an acquire took a
            // log about to close.
            closed = true;
            queue.add(new Task<>(() -> {
                stopping = true;
                try {
                    wal.close();
                } finally {
                    lock.close();
                }
                return null;
            }, null, result -> ctx.runOnContext(v -> complete(done, result))));
        }
        return done.future();
    }

    private void run() {
        List<Task<?>> batch = new ArrayList<>();
        List<Object> results = new ArrayList<>();
        while (!stopping) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            for (Task<?> t : batch) {
                results.add(call(t.work()));
            }
            for (int i = 0; i < batch.size(); i++) {
                Runnable sync = batch.get(i).sync();
                if (sync != null && !(results.get(i) instanceof Failure)) {
                    try {
                        sync.run();
                    } catch (RuntimeException e) {
                        results.set(i, new Failure(e));
                    }
                }
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).done().accept(results.get(i));
            }
            batch.clear();
            results.clear();
        }
    }

    /** A task's work threw. */
    private record Failure(Throwable cause) {
    }

    private static Object call(Callable<?> work) {
        try {
            return work.call();
        } catch (Exception e) {
            return new Failure(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Promise<T> done, Object result) {
        if (result instanceof Failure f) {
            done.fail(f.cause());
        } else {
            done.complete((T) result);
        }
    }
}
