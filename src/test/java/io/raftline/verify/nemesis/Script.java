package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Scripted clients for the detector tests: one request at a time against a real in-JVM cluster, each recorded
 * exactly as the harness records it (same clock, same {@link OutcomeMapping}), and bounded waits on cluster
 * conditions (never a sleep standing in for a condition).
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

    static <T> T await(Future<T> f) throws Exception {
        return InJvmCluster.await(f, WAIT.toSeconds());
    }

    /** Sends one request and records it as the harness would; returns the recorded operation, or null if omitted. */
    Operation send(int clientId, int node, KvRequest r) throws Exception {
        long id = recorder.nextId();
        long t0 = recorder.now();
        KvResponse response = await(client.send(node, r));
        long t1 = recorder.now();
        OutcomeMapping.Meaning m = OutcomeMapping.map(r, response);
        if (m.omitted()) {
            return null;
        }
        Operation op = new Operation(id, clientId, r.kind(), r.key(), r.value(), r.expectedRevision(), t0,
                m.unknown() ? Operation.NEVER : t1, m.outcome());
        recorder.record(op);
        return op;
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
    long putAcknowledged(int clientId, int node, String key, String value) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (int attempt = 1; System.nanoTime() < deadline; attempt++) {
            String v = attempt == 1 ? value : value + "#" + attempt;
            Operation op = send(clientId, node, put(key, v, null));
            if (op != null && op.outcome() instanceof Outcome.Ok ok) {
                return ok.revision();
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("no write of " + key + " acknowledged by node " + node + " within " + WAIT);
    }

    /** Reads until the read observes something; the recorded operation. */
    Operation readObserved(int clientId, int node, String key, String consistency) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Operation op = send(clientId, node, get(key, consistency));
            if (op != null) {
                return op;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("no read of " + key + " answered by node " + node + " within " + WAIT);
    }

    int leader() throws Exception {
        int[] found = new int[1];
        eventually("a leader", () -> (found[0] = leaderNow()) != 0);
        return found[0];
    }

    int leaderNow() {
        try {
            return await(cluster.leader());
        } catch (Exception e) {
            return 0;
        }
    }

    /** Waits until every node applied at least {@code index}. */
    void allApplied(long index) throws Exception {
        eventually("every node applied " + index, () -> {
            try {
                Map<Integer, JsonObject> hashes = await(cluster.stateHashes());
                return hashes.size() == cluster.nodeIds().size()
                        && hashes.values().stream().allMatch(h -> h.getLong("appliedIndex", 0L) >= index);
            } catch (Exception e) {
                return false;
            }
        });
    }

    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
    }

    /** Heals, waits for a healthy cluster, and reads every key once more, linearizably, as the final reader. */
    void healAndReadFinal(List<String> keys) throws Exception {
        await(cluster.healAll());
        await(cluster.awaitHealthy(WAIT));
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
            await(client.close().otherwiseEmpty());
            await(vertx.close().otherwiseEmpty());
        } catch (Exception e) {
            // closing anyway
        }
        cluster.close();
    }
}
