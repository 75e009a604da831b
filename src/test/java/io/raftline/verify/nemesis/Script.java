package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Scripted clients for the detector tests: one request at a time against a real in-JVM cluster, each recorded
 * exactly as the harness records it (same clock, same {@link OutcomeMapping}); every wait on the cluster is a
 * bounded {@link Waits} wait of at most {@link #WAIT} on a condition.
 */
final class Script implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final int FINAL_CLIENT = 99;

    final NemesisOptions options;
    final InJvmCluster cluster;
    final Vertx vertx = Vertx.vertx();
    final KvClient client;
    final HistoryRecorder recorder = new HistoryRecorder();

    Script(Path out) throws Exception {
        options = NemesisOptions.builder().duration(Duration.ofSeconds(10)).seed(5).out(out).build();
        java.nio.file.Files.createDirectories(out);
        cluster = InJvmCluster.start(options, out.resolve(RunReport.EVENTS_FILE));
        client = new HttpKvClient(vertx, cluster.nodeUrls(), 4, options.clientTimeoutMs());
    }

    /** Sends one request and records it as the harness would; returns the recorded operation, or null if omitted. */
    Operation send(int clientId, int node, KvRequest r) throws InterruptedException {
        return Waits.await(sendLater(clientId, node, r), WAIT);
    }

    /**
     * Sends one request without waiting for its answer (it may wait at a stalled node); the operation is recorded
     * when the answer comes, as the harness would. The future holds the recorded operation, or null if omitted.
     */
    Future<Operation> sendLater(int clientId, int node, KvRequest r) {
        long id = recorder.nextId();
        long t0 = recorder.now();
        return client.send(node, r).map(response -> {
            long t1 = recorder.now();
            OutcomeMapping.Meaning m = OutcomeMapping.map(r, response);
            if (m.omitted()) {
                return null;
            }
            Operation op = new Operation(id, clientId, r.kind(), r.key(), r.value(), r.expectedRevision(), t0,
                    m.unknown() ? Operation.NEVER : t1, m.outcome());
            recorder.record(op);
            return op;
        });
    }

    static KvRequest put(String key, String value, String idem) {
        return new KvRequest(OpKind.PUT, key, Value.of(value), Operation.UNCONDITIONAL, "linearizable", idem);
    }

    static KvRequest get(String key, String consistency) {
        return new KvRequest(OpKind.GET, key, null, Operation.UNCONDITIONAL, consistency, null);
    }

    /** Writes until a write is acknowledged (every attempt recorded, each with its own value); its revision. */
    long putAcknowledged(int clientId, int node, String key, String value) throws InterruptedException {
        long[] revision = {0};
        int[] attempt = {0};
        Waits.eventually("a write of " + key + " acknowledged by node " + node, WAIT, () -> {
            String v = ++attempt[0] == 1 ? value : value + "#" + attempt[0];
            Operation op = send(clientId, node, put(key, v, null));
            if (op != null && op.outcome() instanceof Outcome.Ok ok) {
                revision[0] = ok.revision();
                return true;
            }
            return false;
        });
        return revision[0];
    }

    /** Reads until the read observes something; the recorded operation. */
    Operation readObserved(int clientId, int node, String key, String consistency) throws InterruptedException {
        Operation[] read = {null};
        Waits.eventually("a read of " + key + " answered by node " + node, WAIT,
                () -> (read[0] = send(clientId, node, get(key, consistency))) != null);
        return read[0];
    }

    int leader() throws InterruptedException {
        return cluster.awaitLeader(WAIT);
    }

    /** Waits until every node applied at least {@code index}. */
    void allApplied(long index) throws InterruptedException {
        Waits.eventually("every node applied " + index, WAIT, () -> cluster.stateHashes().map(hashes ->
                hashes.size() == cluster.nodeIds().size()
                        && hashes.values().stream().allMatch(h -> h.getLong("appliedIndex", 0L) >= index)));
    }

    /** Heals, waits for a healthy cluster, and reads every key once more, linearizably, as the final reader. */
    void healAndReadFinal(List<String> keys) throws Exception {
        Waits.await(cluster.healAll(), WAIT);
        Waits.await(cluster.awaitHealthy(WAIT), WAIT.plusSeconds(5));
        int leader = leader();
        for (String key : keys) {
            readObserved(FINAL_CLIENT, leader, key, "linearizable");
        }
    }

    RunReport.Report report(String title) {
        return RunReport.check(RunRecord.ofHistory(title, recorder.history(), FINAL_CLIENT), Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        try {
            Waits.await(client.close().otherwiseEmpty(), WAIT);
            Waits.await(vertx.close().otherwiseEmpty(), WAIT);
        } catch (Exception e) {
            // closing anyway
        }
        cluster.close();
    }
}
