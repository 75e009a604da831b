package io.raftline.api;

import io.raftline.kv.KvChange;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.vertx.core.Context;
import java.util.List;

/**
 * The part every watch front end shares (the HTTP event stream, the gRPC Watch stream): changes arrive on the
 * node's thread and are handed to the client's connection on its own context, in order; once the stream is done
 * (the client left, the node ended it, the client was too slow) nothing more is delivered and the node forgets the
 * watch, whichever of the registration and the end comes first.
 *
 * <p>Subclasses say how to write a batch and how to tell the client the node ended the watch; everything runs on
 * the connection's context.
 */
public abstract class ContextWatchSink implements NodeHost.WatchSink {

    private final Context context;
    private NodeHost.Watch watch;
    private boolean done;

    /**
     * Creates the sink.
     *
     * @param context the client connection's context
     */
    protected ContextWatchSink(Context context) {
        this.context = context;
    }

    /**
     * Writes changes to the client (on the connection's context, only while the stream is open).
     *
     * @param changes the changes, in log order
     */
    protected abstract void deliver(List<KvChange> changes);

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
        context.runOnContext(v -> {
            if (!done) {
                deliver(changes);
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
     * The node registered the watch; if the stream is already done, the watch is cancelled at once.
     *
     * @param registered the node's handle
     */
    public final void registered(NodeHost.Watch registered) {
        if (done) {
            registered.cancel();
        } else {
            watch = registered;
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
        if (watch != null) {
            watch.cancel();
            watch = null;
        }
        closed();
    }
}
