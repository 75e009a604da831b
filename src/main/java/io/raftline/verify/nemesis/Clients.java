package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workload: {@code clients} closed-loop clients, each with one logical request in flight at a time, sending
 * random requests to random nodes until a deadline, and recording each one with its exact interval.
 *
 * <p>The mix: 40% reads ({@link NemesisOptions#leaseReads()} of them with {@code consistency=lease}, the others at
 * the run's consistency), 25% puts, 20% compare-and-set (on the revision last seen for
 * the key, or on 0 = "must not exist"), 15% deletes. Every write writes a value no other write uses
 * ({@code c<client>-<n>}), which lets the checker tell which write a read saw, and carries an
 * {@code Idempotency-Key}. A write whose outcome is unknown is retried (to a random node, with the same key) up to
 * {@link NemesisOptions#writeRetries()} times: it stays one operation, invoked at the first attempt; a retry's
 * 200 or 412 decides it, anything else leaves it unknown (the first attempt may still be applied). After a
 * request that did not succeed a client backs off for 20–60 ms, so a dead node cannot turn a client into a flood
 * of errors.
 */
public final class Clients {

    private static final long BACKOFF_MIN_MS = 20;
    private static final long BACKOFF_SPREAD_MS = 40;
    private static final long RETRY_DELAY_MS = 100;

    private final Vertx vertx;
    private final KvClient client;
    private final List<Integer> nodes;
    private final NemesisOptions options;
    private final HistoryRecorder recorder;
    private final KeySpace keys;
    private final String runId;
    /** The revision each key was last seen at (0 once seen absent): what a CAS expects. */
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

    /**
     * Prepares the clients.
     *
     * @param vertx    the Vert.x instance they run on (one event-loop context per client)
     * @param client   how requests are sent
     * @param nodes    the node ids requests go to
     * @param options  the run's options (clients, consistency, seed, retries)
     * @param recorder where operations go
     * @param keys     the key space
     * @param runId    prefix of every idempotency key, unique per run
     */
    public Clients(Vertx vertx, KvClient client, List<Integer> nodes, NemesisOptions options, HistoryRecorder recorder,
                   KeySpace keys, String runId) {
        this.vertx = vertx;
        this.client = client;
        this.nodes = List.copyOf(nodes);
        this.options = options;
        this.recorder = recorder;
        this.keys = keys;
        this.runId = runId;
    }

    /**
     * Starts every client; each stops invoking new requests at {@code endNanos} (on the recorder's clock).
     *
     * @param endNanos the deadline
     * @return completes when every client has finished its last request (and its retries)
     */
    public Future<Void> run(long endNanos) {
        List<Future<Void>> done = new ArrayList<>();
        for (int c = 0; c < options.clients(); c++) {
            Context ctx = vertx.getOrCreateContext();
            Promise<Void> p = Promise.promise();
            done.add(p.future());
            ClientLoop loop = new ClientLoop(c, new SplittableRandom(options.seed() * 31 + c), endNanos, p);
            ctx.runOnContext(v -> loop.next());
        }
        return Future.all(done).mapEmpty();
    }

    /** One client: its random source, its value counter and its deadline. Confined to its context. */
    private final class ClientLoop {
        final int id;
        final SplittableRandom random;
        final long endNanos;
        final Promise<Void> done;
        long counter;

        ClientLoop(int id, SplittableRandom random, long endNanos, Promise<Void> done) {
            this.id = id;
            this.random = random;
            this.endNanos = endNanos;
            this.done = done;
        }

        void next() {
            if (recorder.now() - endNanos >= 0) {
                done.complete();
                return;
            }
            KvRequest request = nextRequest();
            long opId = recorder.nextId();
            attempt(request, opId, recorder.now(), 0, null);
        }

        KvRequest nextRequest() {
            String key = keys.pick(random);
            int dice = random.nextInt(100);
            long n = ++counter;
            String idem = runId + "-c" + id + "-" + n;
            Value value = Value.of("c" + id + "-" + n);
            if (dice < 40) {
                String consistency = random.nextDouble() < options.leaseReads() ? "lease" : options.consistency();
                return new KvRequest(OpKind.GET, key, null, Operation.UNCONDITIONAL, consistency, null);
            } else if (dice < 65) {
                return new KvRequest(OpKind.PUT, key, value, Operation.UNCONDITIONAL, options.consistency(), idem);
            } else if (dice < 85) {
                Long seen = lastSeen.get(key);
                long expected = seen != null && random.nextInt(4) != 0 ? seen : Operation.MUST_NOT_EXIST;
                return new KvRequest(OpKind.CAS, key, value, expected, options.consistency(), idem);
            }
            return new KvRequest(OpKind.DELETE, key, null, Operation.UNCONDITIONAL, options.consistency(), idem);
        }

        /**
         * One attempt of a logical request.
         *
         * @param earlier the first attempt's meaning when this is a retry of an unknown write, else null
         */
        void attempt(KvRequest request, long opId, long invokedAt, int retry, OutcomeMapping.Meaning earlier) {
            int node = nodes.get(random.nextInt(nodes.size()));
            client.send(node, request).onComplete(ar -> {
                long completedAt = recorder.now();
                KvResponse response = ar.succeeded() ? ar.result() : new KvResponse.NoAnswer(String.valueOf(ar.cause()));
                OutcomeMapping.Meaning m = OutcomeMapping.map(request, response);
                if (earlier != null && !(m.outcome() instanceof Outcome.Ok || isPreconditionFailure(m.outcome()))) {
                    // The first attempt may have been applied: only a retry's real answer decides the write.
                    m = new OutcomeMapping.Meaning(Outcome.unknown(), earlier.label() + " (retries undecided)");
                } else if (earlier != null) {
                    m = new OutcomeMapping.Meaning(m.outcome(), m.label() + " (retried)");
                }
                if (m.unknown() && retry < options.writeRetries()
                        && completedAt - endNanos < options.clientTimeoutMs() * 1_000_000L) {
                    recorder.retried();
                    OutcomeMapping.Meaning first = earlier != null ? earlier : m;
                    vertx.setTimer(RETRY_DELAY_MS, t -> attempt(request, opId, invokedAt, retry + 1, first));
                    return;
                }
                if (!m.omitted() && request.kind() == OpKind.GET && !request.consistency().equals("linearizable")) {
                    String servedBy = response instanceof KvResponse.Answered a && a.servedBy() != null
                            ? ", served by node " + a.servedBy() : "";
                    recorder.note(opId, request.consistency() + " read sent to node " + node + servedBy);
                }
                finish(request, opId, invokedAt, completedAt, m);
            });
        }

        void finish(KvRequest request, long opId, long invokedAt, long completedAt, OutcomeMapping.Meaning m) {
            recorder.count(request.statsName(), m.label());
            if (!m.omitted()) {
                Outcome outcome = m.outcome();
                recorder.record(new Operation(opId, id, request.kind(), request.key(), request.value(),
                        request.expectedRevision(), invokedAt, m.unknown() ? Operation.NEVER : completedAt, outcome));
                remember(request, outcome);
            }
            boolean fine = m.outcome() instanceof Outcome.Ok || isPreconditionFailure(m.outcome());
            if (fine) {
                next();
            } else {
                vertx.setTimer(BACKOFF_MIN_MS + random.nextLong(BACKOFF_SPREAD_MS), t -> next());
            }
        }

        void remember(KvRequest request, Outcome outcome) {
            if (outcome instanceof Outcome.Ok ok) {
                if (request.kind() == OpKind.DELETE) {
                    lastSeen.put(request.key(), 0L);
                } else if (request.kind() == OpKind.GET && !ok.found()) {
                    lastSeen.put(request.key(), 0L);
                } else if (ok.revisionReported()) {
                    lastSeen.put(request.key(), ok.revision());
                }
            } else if (outcome instanceof Outcome.Failed f && f.actualRevisionReported()) {
                lastSeen.put(request.key(), f.actualRevision());
            }
        }
    }

    private static boolean isPreconditionFailure(Outcome o) {
        return o instanceof Outcome.Failed f && f.cause() == Outcome.Cause.PRECONDITION_FAILED;
    }
}
