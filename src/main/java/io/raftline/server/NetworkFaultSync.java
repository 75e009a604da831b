package io.raftline.server;

import io.raftline.faults.FaultControl;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the network's faults the cluster's when each process runs one node over a clustered event bus. A partition
 * is a property of the network, but each process can only cut what its own node sends and receives: set on one
 * process alone, {@code [[1,2],[3]]} cut node 1 from node 3 while nodes 2 and 3 went on talking, and loss or delay
 * set on one process slowed its own node's messages only. In the local cluster one process runs every node, so one
 * setting was the whole network's; this class gives the cluster of processes the same meaning.
 *
 * <p>How: every change made on a process ({@link FaultControl#onNetworkChange}) is stored in the cluster manager's
 * map under a version one above the one stored (a compare-and-set, so two processes changing at once get two
 * versions, and a change made after another one completed always gets a higher one), then published on the bus;
 * each process puts in force what it receives if its version is above the one it holds, so every process ends with
 * the last change whatever order the bus delivered them in. A process that starts later reads the map once it has
 * joined. The process that made a change applies it at once, before the round trip: its answer to the admin API or
 * the live view says what is in force here; the others follow within milliseconds.
 *
 * <p>If the map cannot be written (the cluster manager busy with a member's death), the change stays on this process
 * only, as before this class existed, and a warning says so; the next change that gets through carries the whole
 * state again.
 *
 * <p>With {@code security.cluster_secret}, what is published and recorded is the change's text and an HMAC-SHA256
 * tag of it under a key derived from the secret ({@link CoordinationSeal}), and a change without a valid tag is
 * ignored: a member of the bus or of Hazelcast that does not hold the secret cannot partition the
 * cluster, as it cannot send a Raft frame. Without the secret anyone on the bus can do both (docs/security.md).
 */
final class NetworkFaultSync {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkFaultSync.class);

    /** Where versioned changes are published to every process (the records' seal is made for it too). */
    static final String ADDRESS = NetworkFaultRecord.SEAL_ADDRESS;
    /** The cluster manager's map that keeps the last change for processes that start later. */
    static final String MAP = "raftline.faults";
    /** The key of the last change in {@link #MAP}. */
    static final String KEY = "network";

    /** How long one change may take to be recorded before it is given up (the process keeps it). */
    private static final long SHARE_TIMEOUT_MS = 5_000;
    /** How many times a change is tried again after another process's change won the compare-and-set. */
    private static final int MAX_ATTEMPTS = 16;

    private final Vertx vertx;
    private final FaultControl control;
    private final int self;
    /** The record in force here: seals, checks and puts in force the changes (shared with the gRPC transport's). */
    private final NetworkFaultRecord record;
    /** Changes made here are shared one after the other, each reading the state when its turn comes. */
    private Future<Void> sharing = Future.succeededFuture();
    private MessageConsumer<String> consumer;
    /** The timer that reads the map again ({@link NetworkFaultRecord#CATCH_UP_PERIOD_MS}), -1 while none. */
    private long catchUpTimer = -1;
    /** Whether a read of the map is under way (a periodic one does not start while one is); on the context. */
    private boolean reading;

    /**
     * Creates the sync of one process.
     *
     * @param vertx   the clustered Vert.x of the process
     * @param control the process's fault control
     * @param self    the id of the node this process runs (named in what it shares, for the logs)
     * @param secret  the cluster secret ({@code security.cluster_secret}), empty for none
     */
    NetworkFaultSync(Vertx vertx, FaultControl control, int self, String secret) {
        this.vertx = vertx;
        this.control = control;
        this.self = self;
        this.record = new NetworkFaultRecord(control, self, secret);
    }

    /**
     * Starts receiving the other processes' changes and sharing this one's, then puts in force the last change
     * recorded in the cluster, if any (in the background: the process starts whatever the cluster manager does).
     *
     * @return completes once this process receives changes
     */
    Future<Void> start() {
        consumer = vertx.eventBus().consumer(ADDRESS, m -> record.received(m.body()));
        control.onNetworkChange(this::changedHere);
        consumer.completion().compose(v -> map()).compose(m -> m.get(KEY)).onComplete(ar -> {
            if (ar.succeeded() && ar.result() != null) {
                record.received(ar.result());
            } else if (ar.failed()) {
                LOG.warn("cannot read the network faults the cluster has in force ({}): this process starts with"
                        + " none until the next change, or the next read ({} s)", ar.cause().toString(),
                        NetworkFaultRecord.CATCH_UP_PERIOD_MS / 1000);
            }
        });
        // A publish is sent once: a process that missed one (its connection to the publisher broke and was opened
        // again, a member the bus did not know yet) would keep the old faults until the next change. It reads the
        // record again every few seconds, and puts it in force if it is above the one it holds.
        catchUpTimer = vertx.setPeriodic(NetworkFaultRecord.CATCH_UP_PERIOD_MS, NetworkFaultRecord.CATCH_UP_PERIOD_MS,
                t -> readAgain());
        return consumer.completion();
    }

    private void readAgain() {
        if (reading) {
            return;
        }
        reading = true;
        map().compose(m -> m.get(KEY)).onComplete(ar -> {
            reading = false;
            if (ar.succeeded() && ar.result() != null) {
                record.received(ar.result());
            } else if (ar.failed()) {
                LOG.debug("cannot read the network faults the cluster has in force now: {}", ar.cause().toString());
            }
        });
    }

    /** Stops sharing, receiving and reading. */
    void stop() {
        if (catchUpTimer != -1) {
            vertx.cancelTimer(catchUpTimer);
            catchUpTimer = -1;
        }
        control.onNetworkChange(null);
        if (consumer != null) {
            consumer.unregister();
        }
    }

    /**
     * Completes once every change made here so far was shared or given up (for tests).
     *
     * @return the end of the chain of shares under way
     */
    synchronized Future<Void> shared() {
        return sharing;
    }

    private Future<AsyncMap<String, String>> map() {
        return vertx.sharedData().getClusterWideMap(MAP);
    }

    private synchronized void changedHere() {
        sharing = sharing.transform(x -> share());
    }

    /** Records the state in force here under the next version, then publishes it; tries again if another won. */
    private Future<Void> share() {
        Promise<Void> done = Promise.promise();
        long timer = vertx.setTimer(SHARE_TIMEOUT_MS, t -> {
            if (done.tryComplete()) {
                LOG.warn("the network faults set on this process (node {}) were not shared with the other processes"
                        + " within {} ms: they apply to this process's node only", self, SHARE_TIMEOUT_MS);
            }
        });
        attempt(control.clusterState(), 1, done);
        return done.future().andThen(ar -> vertx.cancelTimer(timer));
    }

    private void attempt(JsonObject state, int attempt, Promise<Void> done) {
        map().compose(m -> m.get(KEY).compose(old -> {
            JsonObject recorded = old == null ? null : record.open(old);
            // Above what this process holds too: a record lost (the map emptied, or a forged one read as none) must
            // not restart the versions below those the processes hold, which would then ignore every change.
            long version = Math.max(recorded == null ? 0 : recorded.getLong("version", 0L), record.version());
            String next = record.seal(version + 1, state);
            Future<Boolean> stored = old == null ? m.putIfAbsent(KEY, next).map(prev -> prev == null)
                    : m.replaceIfPresent(KEY, old, next);
            return stored.map(ok -> ok ? next : null);
        })).onComplete(ar -> {
            if (ar.succeeded() && ar.result() != null) {
                // Published even if it came after the timeout: recorded, it is the cluster's latest change.
                vertx.eventBus().publish(ADDRESS, ar.result());
                done.tryComplete();
            } else if (done.future().isComplete()) {
                return;
            } else if (ar.succeeded() && attempt < MAX_ATTEMPTS) {
                // Another process recorded a change between the read and the write: this one goes after it, as it
                // was made here (what this process may have adopted from that change meanwhile is not taken for it).
                attempt(state, attempt + 1, done);
            } else {
                LOG.warn("the network faults set on this process (node {}) were not shared with the other processes"
                        + " ({}): they apply to this process's node only", self,
                        ar.failed() ? ar.cause().toString() : attempt + " attempts lost to other processes' changes");
                done.tryComplete();
            }
        });
    }
}
