package io.raftline.ui;

import io.raftline.kv.KvResult;
import io.raftline.node.NodeListener;
import io.raftline.node.QueueStats;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything a real cluster's nodes told their listener, with when, so that it can be told again later to another
 * listener (an {@code EventPublisher} with no cluster behind it). Why: the live view's frame rate has to be measured
 * without a Raft cluster sharing the browser's cores, yet with the stream a loaded cluster really makes; replaying the
 * nodes' own calls into a fresh publisher sends that stream through the same pipeline, feed and SockJS bridge as live.
 *
 * <p>Thread-safe for recording (every node's event loop calls it); replayed from one thread once recording stopped.
 */
final class NodeCallTape implements NodeListener {

    /** One call, {@code nanos} after the tape started. */
    record Call(long nanos, Consumer<NodeListener> call) {
    }

    private final long start = System.nanoTime();
    private final List<Call> calls = new ArrayList<>();
    private volatile boolean recording = true;
    /** Index of the first call after {@link #mark()}, or -1 before. */
    private int marked = -1;

    private synchronized void add(Consumer<NodeListener> call) {
        if (recording) {
            calls.add(new Call(System.nanoTime() - start, call));
        }
    }

    /** Remembers where the interesting part (the load) starts: the calls before it are told at once on replay. */
    synchronized void mark() {
        marked = calls.size();
    }

    /** Stops recording: later calls are ignored. */
    synchronized void stop() {
        recording = false;
    }

    /**
     * The calls recorded.
     *
     * @return a copy, in the order they were made
     */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /**
     * Where {@link #mark()} was called.
     *
     * @return the index of the first call after the mark (0 if never marked)
     */
    synchronized int markIndex() {
        return Math.max(0, marked);
    }

    @Override
    public void coreEvent(int node, long term, Role role, CoreEvent event) {
        add(l -> l.coreEvent(node, term, role, event));
    }

    @Override
    public void messageSent(Message m) {
        add(l -> l.messageSent(m));
    }

    @Override
    public void messageReceived(Message m) {
        add(l -> l.messageReceived(m));
    }

    @Override
    public void messageDropped(Message m, String reason) {
        add(l -> l.messageDropped(m, reason));
    }

    @Override
    public void entriesAppended(int node, List<Entry> entries) {
        List<Entry> copy = List.copyOf(entries);
        add(l -> l.entriesAppended(node, copy));
    }

    @Override
    public void committed(int node, long commit) {
        add(l -> l.committed(node, commit));
    }

    @Override
    public void applied(int node, Entry entry, KvResult result) {
        add(l -> l.applied(node, entry, result));
    }

    @Override
    public void snapshotTaken(int node, long index) {
        add(l -> l.snapshotTaken(node, index));
    }

    @Override
    public void snapshotInstalled(int node, long index) {
        add(l -> l.snapshotInstalled(node, index));
    }

    @Override
    public void crashed(int node) {
        add(l -> l.crashed(node));
    }

    @Override
    public void restarted(int node, long applied) {
        add(l -> l.restarted(node, applied));
    }

    @Override
    public void pausedChanged(int node, boolean paused) {
        add(l -> l.pausedChanged(node, paused));
    }

    @Override
    public void frozenChanged(int node, boolean frozen) {
        add(l -> l.frozenChanged(node, frozen));
    }

    @Override
    public boolean wantsQueueStats() {
        return recording;
    }

    @Override
    public void queueStats(QueueStats stats) {
        add(l -> {
            if (l.wantsQueueStats()) {
                l.queueStats(stats);
            }
        });
    }
}
