package io.raftline.node;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A node's host environment that a test drives by hand: the event loop's tasks and the workers' jobs wait in queues
 * until the test runs them, the clock stands where the test puts it, and what the node sends is kept. It lets a test
 * stop a {@link NodeHost} between any two of its steps (a read arriving before the loop runs the flush that reports an
 * election, a compaction still on its worker), which a real event loop never would on demand.
 *
 * <p>Each test chose a little differently how work leaves the loop: {@link Offload} and the coalescing of flushes say
 * which, so the tests share one environment instead of each writing its own.
 */
abstract class ManualHostEnvironment implements HostEnvironment {

    /** Where the node's blocking work ({@link #offload}) runs. */
    enum Offload {
        /** At once, on the caller's thread: its future is complete when offload returns. */
        AT_ONCE,
        /** Queued in {@link #workers}, run by {@link #settle} once the loop is idle. */
        ON_WORKERS,
        /** Queued on the loop, after what waits there already. */
        ON_LOOP
    }

    /** Tasks waiting for the node's event loop, in order. */
    final ArrayDeque<Runnable> loop = new ArrayDeque<>();
    /** Blocking jobs waiting for a worker ({@link Offload#ON_WORKERS}). */
    final ArrayDeque<Runnable> workers = new ArrayDeque<>();
    /** Everything the node sent, in order. */
    final List<Message> sent = new ArrayList<>();
    /** The monotonic clock, in nanoseconds. */
    long now;
    private final Offload offload;
    private final boolean coalesceFlushes;
    private boolean flushScheduled;

    /**
     * An environment whose clock reads {@code now}.
     *
     * @param offload         where blocking work runs
     * @param coalesceFlushes whether a flush asked for while one waits on the loop is that one (as the real host's
     *                        are), rather than one more
     */
    ManualHostEnvironment(Offload offload, boolean coalesceFlushes) {
        this.offload = offload;
        this.coalesceFlushes = coalesceFlushes;
    }

    /** The node this environment runs (set once its constructor has built it). */
    abstract NodeHost host();

    /** Runs what waits on the node's loop, not what waits for a worker. */
    void runLoop() {
        while (!loop.isEmpty()) {
            loop.poll().run();
        }
    }

    /** Runs everything, the loop first and a worker's job whenever the loop is idle, until nothing is left. */
    void settle() {
        runLoop();
        while (!workers.isEmpty()) {
            workers.poll().run();
            runLoop();
        }
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void send(Message m) {
        sent.add(m);
    }

    @Override
    public void runOnLoop(Runnable r) {
        loop.add(r);
    }

    @Override
    public void scheduleFlush() {
        if (!coalesceFlushes) {
            loop.add(() -> host().flush());
        } else if (!flushScheduled) {
            flushScheduled = true;
            loop.add(() -> {
                flushScheduled = false;
                host().flush();
            });
        }
    }

    @Override
    public <T> Future<T> offload(Callable<T> work) {
        if (offload == Offload.AT_ONCE) {
            try {
                return Future.succeededFuture(work.call());
            } catch (Exception e) {
                return Future.failedFuture(e);
            }
        }
        Promise<T> done = Promise.promise();
        (offload == Offload.ON_WORKERS ? workers : loop).add(() -> {
            try {
                done.complete(work.call());
            } catch (Exception e) {
                done.fail(e);
            }
        });
        return done.future();
    }

    @Override
    public long randomLong() {
        return 42;
    }
}
