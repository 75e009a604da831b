package io.raftline.shard;

import io.raftline.kv.KvChange;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.WatchPosition;
import java.util.List;

/**
 * One watch over every Raft group of a node ({@link ReplicaSet#watch(String, List, NodeHost.WatchSink)}): each
 * group's changes reach the client's sink tagged with their group, in that group's log order, and the watch ends when
 * any group's ends.
 *
 * <p>The groups register on their own event loops, so a registration may complete after the whole watch is over (a
 * group refused it, a group ended it, the client left): from then on every registration that completes is cancelled
 * at once, or the node would keep feeding a watcher nobody reads for the rest of its life.
 */
final class MergedWatch implements NodeHost.Watch {

    private final NodeHost.WatchSink sink;
    private final NodeHost.Watch[] registered;
    /** Each group's start, kept once known: the watch may end (and drop its registrations) before it is asked. */
    private final WatchPosition[] starts;
    private boolean stopped;

    /**
     * Creates the watch, before any group registers.
     *
     * @param sink   the client's sink
     * @param groups how many groups
     */
    MergedWatch(NodeHost.WatchSink sink, int groups) {
        this.sink = sink;
        this.registered = new NodeHost.Watch[groups];
        this.starts = new WatchPosition[groups];
    }

    /**
     * The sink to register in one group.
     *
     * @param group the group
     * @return its sink
     */
    NodeHost.WatchSink groupSink(int group) {
        return new NodeHost.WatchSink() {
            @Override
            public void changes(List<KvChange> changes) {
                synchronized (MergedWatch.this) {
                    if (!stopped) {
                        sink.changes(group, changes);
                    }
                }
            }

            @Override
            public void progress(long revision) {
                synchronized (MergedWatch.this) {
                    if (!stopped) {
                        sink.progress(group, revision);
                    }
                }
            }

            @Override
            public void ended(NodeRequestException why) {
                synchronized (MergedWatch.this) {
                    if (!stopped) {
                        cancel();
                        sink.ended(why);
                    }
                }
            }
        };
    }

    /**
     * A group registered: kept, or cancelled at once if the watch is already over.
     *
     * @param group the group
     * @param watch its registration
     */
    synchronized void registered(int group, NodeHost.Watch watch) {
        starts[group] = watch.start().get(0);
        if (stopped) {
            watch.cancel();
        } else {
            registered[group] = watch;
        }
    }

    /** Cancels every group's registration, those that complete later too. */
    @Override
    public synchronized void cancel() {
        stopped = true;
        for (int g = 0; g < registered.length; g++) {
            if (registered[g] != null) {
                registered[g].cancel();
                registered[g] = null;
            }
        }
    }

    /** Each group's start, by group; only asked once every group registered. */
    @Override
    public synchronized List<WatchPosition> start() {
        for (WatchPosition p : starts) {
            if (p == null) {
                throw new IllegalStateException("a group of the watch has not registered");
            }
        }
        return List.of(starts);
    }

    @Override
    public synchronized void requestProgress() {
        for (NodeHost.Watch w : registered) {
            if (w != null) {
                w.requestProgress();
            }
        }
    }
}
