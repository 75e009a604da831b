package io.raftline.node;

import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.raft.Entry;
import io.raftline.raft.Proposal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The client requests a node owes an answer, and the rules that decide each answer. This is where a client
 * learns whether its write took effect, so the rules are strict: a write is reported as not applied only when
 * the node can prove it (another entry was applied at its index, or it was never proposed); whenever the entry
 * may still commit somewhere, the answer is "outcome unknown" or a timeout, never "not applied".
 *
 * <p>A write is <em>queued</em> until the host hands the batch to the core, then <em>proposed</em> at an
 * (index, term) until an entry is applied at that index: it took effect iff that entry has its term (an entry
 * of another term there means a newer leader's log won, and Raft never applies two entries at one index). A
 * proposed write is not failed when the local log is overwritten at its index: a Figure 8 shape can still
 * commit the original entry under a later leader that has it, and the node learns the truth when it applies
 * the index.
 *
 * <p>A read waits for its read index (the core's answer to its context) and then for that index to be applied.
 * Read contexts start at a value the caller chooses per node life (random), so that a late answer to a read of
 * an earlier life can never be taken for the answer to a new one.
 *
 * <p>Deadlines are checked by {@link #expire(long)} on the node's tick, on a monotonic clock, instead of one
 * timer per request. Plain Java, single-threaded (the node's event loop or a test harness): no timers, no I/O.
 */
final class PendingRequests {

    /** A write waiting to be proposed (index 0) or applied; or a membership change waiting to be applied. */
    static final class Write {
        final byte[] data;
        final long deadline;
        final Promise<KvResult> promise = Promise.promise();
        long index;
        long term;
        /** A CONFIG entry: applying it yields no key-value result. */
        boolean config;
        /** The command carries an idempotency key. */
        boolean keyed;

        Write(byte[] data, long deadline) {
            this.data = data;
            this.deadline = deadline;
        }

        boolean done() {
            return promise.future().isComplete();
        }
    }

    /** A read waiting for its read index (index -1) or for that index to be applied. */
    static final class Read {
        final long context;
        final long deadline;
        final Promise<KvView> promise = Promise.promise();
        /** Completed (with no view) as soon as the read index is known, without waiting to apply it. */
        final boolean indexOnly;
        long index = -1;
        /** The core's term and leader when it was asked for the read index ({@link #awaitIndex}). */
        long term;
        int leader;

        Read(long context, long deadline, boolean indexOnly) {
            this.context = context;
            this.deadline = deadline;
            this.indexOnly = indexOnly;
        }

        boolean done() {
            return promise.future().isComplete();
        }
    }

    private final long timeoutNanos;
    private final List<Write> queued = new ArrayList<>();
    /** See {@link #lastKeyedIndex()}. */
    private long lastKeyedIndex;
    private final TreeMap<Long, Write> proposed = new TreeMap<>();
    private final Map<Long, Read> awaitingIndex = new HashMap<>();
    private final PriorityQueue<Read> awaitingApply = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    /** Every request in arrival order, which is deadline order (one timeout for all). Done ones are skipped. */
    private final ArrayDeque<Object> byDeadline = new ArrayDeque<>();
    private long nextContext;

    /**
     * @param timeoutNanos how long a request may wait for its answer
     * @param firstContext the first read context of this node life (choose it at random)
     */
    PendingRequests(long timeoutNanos, long firstContext) {
        this.timeoutNanos = timeoutNanos;
        this.nextContext = firstContext;
    }

    // ---------------------------------------------------------------- writes

    /** Writes waiting in the core's log or the queue. */
    int writesPending() {
        return queued.size() + proposed.size();
    }

    /** Queues a write for the next batch of proposals; {@code keyed}: its command carries an idempotency key. */
    Future<KvResult> queueWrite(byte[] data, long now, boolean keyed) {
        Write w = new Write(data, now + timeoutNanos);
        w.keyed = keyed;
        queued.add(w);
        byDeadline.add(w);
        return w.promise.future();
    }

    boolean hasQueuedWrites() {
        return !queued.isEmpty();
    }

    /** Whether a write with an idempotency key queued for the next batch has an encoding that {@code test} accepts. */
    boolean anyQueuedKeyed(java.util.function.Predicate<byte[]> test) {
        for (Write w : queued) {
            if (w.keyed && test.test(w.data)) {
                return true;
            }
        }
        return false;
    }

    /** Takes the queued writes to propose them as one batch. */
    List<Write> takeQueued() {
        List<Write> batch = new ArrayList<>(queued);
        queued.clear();
        return batch;
    }

    /** The batch was proposed: each write now waits for its (index, term) to be applied. */
    void proposed(List<Write> batch, List<Proposal> placed) {
        for (int i = 0; i < batch.size(); i++) {
            Write w = batch.get(i);
            w.index = placed.get(i).index();
            w.term = placed.get(i).term();
            if (w.keyed) {
                lastKeyedIndex = Math.max(lastKeyedIndex, w.index);
            }
            if (!w.done()) {
                proposed.put(w.index, w);
            }
        }
    }

    /**
     * The log index of the last write with an idempotency key proposed through this queue (0 for none), whether or
     * not its request is still waiting: a write whose request timed out is still in the log.
     */
    long lastKeyedIndex() {
        return lastKeyedIndex;
    }

    /**
     * A membership change was appended at {@code placed}: it completes (with a null result) once an entry of the
     * same term is applied there, and fails like a write otherwise.
     */
    Future<KvResult> proposedConfig(Proposal placed, long now) {
        Write w = new Write(null, now + timeoutNanos);
        w.config = true;
        w.index = placed.index();
        w.term = placed.term();
        proposed.put(w.index, w);
        byDeadline.add(w);
        return w.promise.future();
    }

    /** The batch could not be proposed (not leader any more): nothing of it reached the log. */
    static void refused(List<Write> batch, NodeRequestException why) {
        for (Write w : batch) {
            w.promise.tryFail(why);
        }
    }

    /**
     * An entry was applied: settles the write proposed at its index, if any.
     *
     * @param result what applying it returned (null for a no-op)
     * @param leader the leader this node knows of, for the client's retry
     */
    void applied(Entry e, KvResult result, int leader) {
        Write w = proposed.remove(e.index());
        if (w == null) {
            return;
        }
        if (w.term == e.term() && (result != null || w.config)) {
            w.promise.tryComplete(result);
        } else {
            // Provable: the entry applied at this index is another one, and Raft applies one entry per index.
            w.promise.tryFail(new NodeRequestException(Reason.PROPOSAL_DROPPED, leader, "the write at index "
                    + e.index() + " was replaced by a newer leader's entry and was not applied; retry"));
        }
    }

    /**
     * A snapshot from the leader replaced the log up to {@code index}: the writes proposed there were applied
     * or not, and the snapshot does not say which.
     */
    void snapshotInstalled(long index, int leader) {
        List<Write> covered = new ArrayList<>(proposed.headMap(index, true).values());
        for (Write w : covered) {
            proposed.remove(w.index);
            w.promise.tryFail(new NodeRequestException(Reason.OUTCOME_UNKNOWN, leader, "a snapshot replaced the log "
                    + "at index " + w.index + "; the write may or may not be applied (retry with the same "
                    + "Idempotency-Key)"));
        }
    }

    /** This node stopped leading: writes not yet proposed never will be by it. */
    void lostLeadership(NodeRequestException why) {
        refused(takeQueued(), why);
    }

    // ---------------------------------------------------------------- reads

    /** Reads waiting for their read index or for its application. */
    int readsPending() {
        return awaitingIndex.size() + awaitingApply.size();
    }

    /** A read that waits for a read index from the core, under a fresh context. */
    Read newRead(long now) {
        Read r = new Read(nextContext++, now + timeoutNanos, false);
        byDeadline.add(r);
        return r;
    }

    /**
     * A request for the read index alone, under a fresh context: its promise completes with no view once the index
     * is known ({@link Read#index}), whatever this node has applied.
     */
    Read newIndexRead(long now) {
        Read r = new Read(nextContext++, now + timeoutNanos, true);
        byDeadline.add(r);
        return r;
    }

    /**
     * The core was asked for a read index for {@code r} while it was in term {@code term} and took {@code leader}
     * for the leader (itself, or the node it sent the request to).
     */
    void awaitIndex(Read r, long term, int leader) {
        r.term = term;
        r.leader = leader;
        awaitingIndex.put(r.context, r);
    }

    /**
     * The core answered a read context; unknown or finished contexts (late or duplicated answers) are ignored.
     */
    void readIndex(long context, long index, KvViewSource state) {
        Read r = awaitingIndex.remove(context);
        if (r != null && !r.done()) {
            readAt(r, index, state);
        }
    }

    /** {@code r} may be served once {@code index} is applied. */
    void readAt(Read r, long index, KvViewSource state) {
        r.index = index;
        if (r.indexOnly) {
            r.promise.tryComplete(null);
        } else if (state.appliedIndex() >= index) {
            r.promise.tryComplete(state.view());
        } else {
            awaitingApply.add(r);
        }
    }

    /** Serves the reads whose index is now applied. */
    void releaseReads(KvViewSource state) {
        KvView view = null;
        while (!awaitingApply.isEmpty() && awaitingApply.peek().index <= state.appliedIndex()) {
            Read r = awaitingApply.poll();
            if (!r.done()) {
                if (view == null) {
                    view = state.view();
                }
                r.promise.tryComplete(view);
            }
        }
    }

    /**
     * Role, leader or term changed, and the core is now in term {@code term} with {@code leader} for the leader: the
     * reads asked of it in another term or of another leader may never be confirmed, and fail. Those asked since (the
     * host learns of a change in the Ready after it, and a read may come in between) are the core's to confirm: a
     * leader holds them until it commits an entry of its term, a follower's went to the leader it follows now.
     */
    void unconfirmedReadsLost(NodeRequestException why, long term, int leader) {
        for (var it = awaitingIndex.values().iterator(); it.hasNext(); ) {
            Read r = it.next();
            if (r.term != term || r.leader != leader) {
                r.promise.tryFail(why);
                it.remove();
            }
        }
    }

    // ---------------------------------------------------------------- time and endings

    /** Fails every request whose deadline has passed. */
    void expire(long now, int leader) {
        while (!byDeadline.isEmpty()) {
            Object o = byDeadline.peek();
            if (o instanceof Write w) {
                if (!w.done() && w.deadline > now) {
                    return;
                }
                byDeadline.poll();
                if (!w.done()) {
                    queued.remove(w);
                    if (w.index > 0) {
                        proposed.remove(w.index, w);
                    }
                    w.promise.tryFail(new NodeRequestException(Reason.TIMEOUT, leader, "not committed within "
                            + timeoutNanos / 1_000_000 + " ms (it may still be applied later)"));
                }
            } else {
                Read r = (Read) o;
                if (!r.done() && r.deadline > now) {
                    return;
                }
                byDeadline.poll();
                if (!r.done()) {
                    awaitingIndex.remove(r.context);
                    awaitingApply.remove(r);
                    r.promise.tryFail(new NodeRequestException(Reason.TIMEOUT, leader, "read not confirmed within "
                            + timeoutNanos / 1_000_000 + " ms"));
                }
            }
        }
    }

    /**
     * The node stops (crash, fail-stop, shutdown): every request is answered. Writes that reached the log may
     * still commit on the other nodes, so their outcome is unknown; queued writes and reads never took effect.
     */
    void abandonAll(String why) {
        NodeRequestException never = new NodeRequestException(Reason.NODE_DOWN, 0, why);
        refused(takeQueued(), never);
        NodeRequestException unknown = new NodeRequestException(Reason.OUTCOME_UNKNOWN, 0, why
                + "; the write was in its log and may still be applied by the cluster (retry with the same "
                + "Idempotency-Key)");
        for (Write w : proposed.values()) {
            w.promise.tryFail(unknown);
        }
        proposed.clear();
        for (Read r : awaitingIndex.values()) {
            r.promise.tryFail(never);
        }
        awaitingIndex.clear();
        for (Read r : awaitingApply) {
            r.promise.tryFail(never);
        }
        awaitingApply.clear();
        byDeadline.clear();
    }

    /** Where reads get the applied index and the state to answer with. */
    interface KvViewSource {
        long appliedIndex();

        KvView view();
    }
}
