package io.raftline.api;

import io.raftline.kv.KvChange;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * The part every watch front end shares (the HTTP event stream, the gRPC Watch stream): changes arrive on the
 * node's thread and are handed to the client's connection on its own context, in order; once the stream is done
 * (the client left, the node ended it, the client was too slow) nothing more is delivered and the node forgets the
 * watch, whichever of the registration and the end comes first.
 *
 * <p>Subclasses say how to write a batch and how to tell the client the node ended the watch; everything runs on
 * the connection's context. The sink keeps the stream's {@link WatchCursor}: changes that arrive before the node has
 * answered the registration (a resumed watch's backlog, or a group of a sharded node that registered before another)
 * wait until it has, so that the stream can first tell the client where it starts and then give every change the id
 * of the position after it.
 */
public abstract class ContextWatchSink implements NodeHost.WatchSink {

    private final Context context;
    private NodeHost.Watch watch;
    private WatchCursor cursor;
    private List<Batch> waiting = new ArrayList<>();
    private boolean done;

    /** Changes of one group that arrived before the registration was answered. */
    private record Batch(int group, List<KvChange> changes) {
    }

    /**
     * Creates the sink.
     *
     * @param context the client connection's context
     */
    protected ContextWatchSink(Context context) {
        this.context = context;
    }

    /**
     * The watch is registered and the cursor is at its start: the subclass tells the client where the stream starts
     * (on the connection's context, only while the stream is open, before any {@link #deliver}).
     */
    protected abstract void started();

    /**
     * Writes changes of one group to the client (on the connection's context, only while the stream is open, after
     * {@link #started()}); the subclass moves the {@link #cursor()} past each change it writes.
     *
     * @param group   the group, by index (0 on an unsharded node)
     * @param changes the changes, in the group's log order
     */
    protected abstract void deliver(int group, List<KvChange> changes);

    /**
     * The cursor moved on without a change (a group's watch passed a revision, as asked by
     * {@link #requestProgress()}); the subclass may tell the client its new position. On the connection's context,
     * while the stream is open.
     */
    protected void progressed() {
    }

    /**
     * Whether the front end holds changes it has not written yet: the node's progress is then not taken, since it
     * would move the cursor past them (the next progress, once they are written, is). None by default.
     *
     * @return true while changes wait to be written
     */
    protected boolean holdsUnwritten() {
        return false;
    }

    /**
     * Tells the client the node ended the watch (on the connection's context, only while the stream is open); the
     * stream is done right after.
     *
     * @param why the reason
     */
    protected abstract void endedByNode(NodeRequestException why);

    /** Called once when the stream is done, for the subclass's own clean-up (timers, counters). */
    protected void closed() {
    }

    @Override
    public final void changes(List<KvChange> changes) {
        changes(0, changes);
    }

    @Override
    public final void changes(int group, List<KvChange> changes) {
        context.runOnContext(v -> {
            if (done) {
                return;
            }
            if (cursor == null) {
                waiting.add(new Batch(group, changes));
            } else {
                deliver(group, changes);
            }
        });
    }

    @Override
    public final void progress(long revision) {
        progress(0, revision);
    }

    @Override
    public final void progress(int group, long revision) {
        context.runOnContext(v -> {
            if (!done && cursor != null && !holdsUnwritten() && cursor.progressed(group, revision)) {
                progressed();
            }
        });
    }

    @Override
    public final void ended(NodeRequestException why) {
        context.runOnContext(v -> {
            if (!done) {
                endedByNode(why);
            }
            finish();
        });
    }

    /**
     * The node registered the watch (on the connection's context); if the stream is already done, the watch is
     * cancelled at once. Otherwise the stream starts ({@link #started()}) and the changes that waited are delivered.
     *
     * @param registered the node's handle
     */
    public final void registered(NodeHost.Watch registered) {
        if (done) {
            registered.cancel();
            return;
        }
        watch = registered;
        cursor = new WatchCursor(registered.start());
        started();
        List<Batch> queued = waiting;
        waiting = null;
        for (Batch b : queued) {
            if (done) {
                return;
            }
            deliver(b.group(), b.changes());
        }
    }

    /**
     * Where the stream is (on the connection's context, once registered).
     *
     * @return the cursor
     */
    protected final WatchCursor cursor() {
        return cursor;
    }

    /** Asks the node for the progress of the watch (a quiet prefix's stream then moves its cursor on). */
    protected final void requestProgress() {
        if (watch != null && !done) {
            watch.requestProgress();
        }
    }

    /**
     * Runs {@code action} on the connection's context, after everything this sink has queued there already: where
     * the front end must handle the node's answer to the registration, so that it never races with a delivery (the
     * node answers on its own thread, and it may have queued the first changes before it answered).
     *
     * @param action what to run
     */
    public final void onContext(Runnable action) {
        context.runOnContext(v -> action.run());
    }

    /** Whether the stream is done. @return true once finished */
    public final boolean done() {
        return done;
    }

    /** Ends the stream on this side: nothing more is delivered, and the node forgets the watch. Idempotent. */
    public final void finish() {
        if (done) {
            return;
        }
        done = true;
        waiting = null;
        if (watch != null) {
            watch.cancel();
            watch = null;
        }
        closed();
    }
}
