package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Aims requests at a stalled node, the schedule that exposes a stalled leader answering reads from a lease it can
 * no longer vouch for. The random clients alone rarely do: a closed-loop client that picks the stalled node waits
 * there until the stall ends, so within a few requests every client waits on it, nobody writes through the new
 * leader, and the reads the stalled node holds were all sent before anything newer was committed (a read that
 * old may return the old value: it is not stale in the checker's eyes).
 *
 * <p>So while a node is stalled, a probe writes a key of its own through the rest of the cluster (to the leader
 * they elected, once there is one) and, after each acknowledged write, sends a read of that key to the stalled
 * node, where it waits. Each such read is invoked after a write completed that the stalled node cannot know of:
 * if the node answers it from its own state when it continues, the read returns an older value (or none) and the
 * checker flags it. The reads ask for {@code lease} consistency when the run has lease reads, else the run's
 * consistency. Every probe request is an ordinary operation of the history (writes as client
 * {@code clients + 1}, each read as a client of its own, since many wait at once), so the final reads and the
 * acknowledged-write accounting cover the probe keys too.
 *
 * <p>Confined to one Vert.x context; {@link #stalled} and {@link #continuing} may be called from any thread.
 */
public final class StallProbes implements Nemesis.StallObserver {

    /** Pause between two probe writes: tens of reads wait in a stall of a second or two, not thousands. */
    private static final long PACE_MS = 25;
    /** Probe reads waiting at once, at most (each holds a connection to the stalled node). */
    static final int MAX_WAITING_READS = 32;
    private static final long LEADER_POLL_MS = 20;

    private final Vertx vertx;
    private final Context context;
    private final KvClient client;
    private final ClusterUnderTest cluster;
    private final HistoryRecorder recorder;
    private final String runId;
    private final String readConsistency;
    private final int writerClient;

    // Confined to the context:
    private int stalledNode;
    private boolean active;
    private int leader;
    private int stallNumber;
    private long writes;
    private int inFlight;
    private int waitingReads;
    private Promise<Void> drained;
    private long readsSent;
    private int nextReaderClient;

    /**
     * Prepares the probes.
     *
     * @param vertx    the Vert.x instance they run on
     * @param client   how requests are sent (a pool of its own: probe reads hold connections to the stalled node)
     * @param cluster  asked for the leader the other nodes elected
     * @param options  the run's options (clients, read consistency, lease reads)
     * @param recorder where operations go
     * @param runId    prefix of every idempotency key, unique per run
     */
    public StallProbes(Vertx vertx, KvClient client, ClusterUnderTest cluster, NemesisOptions options,
                       HistoryRecorder recorder, String runId) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.client = client;
        this.cluster = cluster;
        this.recorder = recorder;
        this.runId = runId;
        this.readConsistency = options.leaseReads() > 0 ? "lease" : options.consistency();
        this.writerClient = options.clients() + 1;
        this.nextReaderClient = options.clients() + 2;
    }

    @Override
    public void stalled(int node) {
        context.runOnContext(v -> {
            stalledNode = node;
            active = true;
            leader = 0;
            stallNumber++;
            step(stallNumber);
        });
    }

    @Override
    public void continuing(int node) {
        context.runOnContext(v -> {
            if (stalledNode == node) {
                active = false;
                maybeDrained();
            }
        });
    }

    /**
     * Completes once no probe is active and every probe request has ended (answered, or given up after the
     * client timeout).
     *
     * @return the future
     */
    public Future<Void> drained() {
        Promise<Void> p = Promise.promise();
        context.runOnContext(v -> {
            if (drained == null) {
                drained = Promise.promise();
            }
            drained.future().onComplete(p);
            maybeDrained();
        });
        return p.future();
    }

    /**
     * How many reads were sent to stalled nodes (for the report).
     *
     * @return the count so far
     */
    public Future<Long> readsSent() {
        Promise<Long> p = Promise.promise();
        context.runOnContext(v -> p.complete(readsSent));
        return p.future();
    }

    private void maybeDrained() {
        if (drained != null && !active && inFlight == 0) {
            drained.tryComplete();
        }
    }

    /** One probe round: find where to write, write, and on success send the read to the stalled node. */
    private void step(int stall) {
        if (!active || stall != stallNumber) {
            // A round scheduled during an earlier stall ends here, so that one stall has one chain of rounds.
            maybeDrained();
            return;
        }
        if (leader == 0) {
            inFlight++;
            cluster.leader().onComplete(ar -> context.runOnContext(v -> {
                inFlight--;
                int found = ar.succeeded() ? ar.result() : 0;
                if (stall != stallNumber) {
                    maybeDrained();
                    return;
                }
                if (found != 0 && found != stalledNode) {
                    leader = found;
                    step(stall);
                } else {
                    vertx.setTimer(LEADER_POLL_MS, t -> step(stall));
                }
            }));
            return;
        }
        int node = stalledNode;
        String key = "stall" + stall;
        long n = ++writes;
        KvRequest put = new KvRequest(OpKind.PUT, key, Value.of("p" + stall + "-" + n), Operation.UNCONDITIONAL,
                "linearizable", runId + "-probe-" + n);
        long id = recorder.nextId();
        long invoked = recorder.now();
        inFlight++;
        client.send(leader, put).onComplete(ar -> context.runOnContext(v -> {
            long completed = recorder.now();
            inFlight--;
            KvResponse response = ar.succeeded() ? ar.result() : new KvResponse.NoAnswer(String.valueOf(ar.cause()));
            OutcomeMapping.Meaning m = OutcomeMapping.map(put, response);
            recorder.count("probe put", m.label());
            if (!m.omitted()) {
                recorder.record(new Operation(id, writerClient, OpKind.PUT, key, put.value(), Operation.UNCONDITIONAL,
                        invoked, m.unknown() ? Operation.NEVER : completed, m.outcome()));
                recorder.note(id, "stall probe: write through node " + leaderOr(response));
            }
            if (m.outcome() instanceof Outcome.Ok && active && stall == stallNumber) {
                read(node, key);
            } else if (!(m.outcome() instanceof Outcome.Ok)) {
                leader = 0; // ask again: the leader may have changed
            }
            vertx.setTimer(PACE_MS, t -> step(stall));
        }));
    }

    private String leaderOr(KvResponse response) {
        return response instanceof KvResponse.Answered a && a.servedBy() != null
                ? leader + " (served by node " + a.servedBy() + ")" : String.valueOf(leader);
    }

    /** A read of {@code key} sent to the stalled node, where it waits until the node continues. */
    private void read(int node, String key) {
        if (waitingReads >= MAX_WAITING_READS) {
            return;
        }
        KvRequest get = new KvRequest(OpKind.GET, key, null, Operation.UNCONDITIONAL, readConsistency, null);
        long id = recorder.nextId();
        int readerClient = nextReaderClient++;
        long invoked = recorder.now();
        inFlight++;
        waitingReads++;
        readsSent++;
        client.send(node, get).onComplete(ar -> context.runOnContext(v -> {
            long completed = recorder.now();
            inFlight--;
            waitingReads--;
            KvResponse response = ar.succeeded() ? ar.result() : new KvResponse.NoAnswer(String.valueOf(ar.cause()));
            OutcomeMapping.Meaning m = OutcomeMapping.map(get, response);
            recorder.count("probe " + get.statsName(), m.label());
            if (!m.omitted()) {
                recorder.record(new Operation(id, readerClient, OpKind.GET, key, null, Operation.UNCONDITIONAL, invoked,
                        completed, m.outcome()));
                String servedBy = response instanceof KvResponse.Answered a && a.servedBy() != null
                        ? ", served by node " + a.servedBy() : "";
                recorder.note(id, "stall probe: " + readConsistency + " read sent to stalled node " + node + servedBy);
            }
            maybeDrained();
        }));
    }
}
