package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Verdict;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * One nemesis run, start to verdict:
 * <ol>
 *   <li>clients issue random requests for {@link NemesisOptions#duration()} (see {@link Clients}) while the
 *       {@link Nemesis} injects faults, stopping {@link NemesisOptions#recoveryMs()} before the end and healing
 *       everything;</li>
 *   <li>once every client's last request is answered or given up, the cluster is healed again and must become
 *       healthy (every node up, a leader);</li>
 *   <li>every key is read one last time, linearizably, and these final reads are part of the history, which lets
 *       the checker (and {@link AcknowledgedWrites}) account for every acknowledged write;</li>
 *   <li>every node's state hash is compared once they applied the same index;</li>
 *   <li>the history is checked and the report, the history and the event recording (ending with the verdict)
 *       are written to {@link NemesisOptions#out()}.</li>
 * </ol>
 * Every step is bounded in time, so a run always ends.
 */
public final class NemesisRun {

    private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration FINAL_READS_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration CONVERGENCE_TIMEOUT = Duration.ofSeconds(30);

    private NemesisRun() {
    }

    /**
     * The outcome of a run.
     *
     * @param report     the checked run
     * @param reportFile the Markdown report
     * @param history    the history (NDJSON)
     * @param events     the event recording (NDJSON, replayable in the live view)
     */
    public record Result(RunReport.Report report, Path reportFile, Path history, Path events) {

        /**
         * The checker's verdict.
         *
         * @return the verdict
         */
        public Verdict verdict() {
            return report.result().verdict();
        }
    }

    /**
     * Starts the cluster {@link NemesisOptions#mode()} asks for, runs against it, and stops it.
     *
     * @param options  the run
     * @param progress where progress lines go
     * @return the result
     * @throws Exception if the cluster cannot start or a file cannot be written
     */
    public static Result run(NemesisOptions options, PrintStream progress) throws Exception {
        Files.createDirectories(options.out());
        Path events = options.out().resolve(RunReport.EVENTS_FILE);
        progress.printf("verify: starting a %d-node cluster (%s mode)%n", options.nodes(), options.mode().wireName());
        try (ClusterUnderTest cluster = options.mode() == NemesisOptions.Mode.LOCAL
                ? InJvmCluster.start(options, events)
                : ChildProcessCluster.start(options, options.out(), events)) {
            return run(options, cluster, UnaryOperator.identity(), progress);
        }
    }

    /**
     * Runs against a cluster that is already up (and leaves it running).
     *
     * @param options  the run
     * @param cluster  the cluster
     * @param decorate wraps the HTTP client (identity for a real run; tests substitute broken clients)
     * @param progress where progress lines go
     * @return the result
     * @throws Exception if a file cannot be written or the run is interrupted
     */
    public static Result run(NemesisOptions options, ClusterUnderTest cluster, UnaryOperator<KvClient> decorate,
                             PrintStream progress) throws Exception {
        Files.createDirectories(options.out());
        Vertx vertx = Vertx.vertx();
        KvClient client = decorate.apply(options.protocol() == NemesisOptions.Protocol.RESP
                ? new RespKvClient(vertx, cluster.respAddresses(), options.clients(), options.clientTimeoutMs())
                : new HttpKvClient(vertx, cluster.nodeUrls(), options.clients(), options.clientTimeoutMs()));
        // A pool of its own: the probes' reads wait at a stalled node, holding connections the clients need.
        KvClient probeClient = decorate.apply(new HttpKvClient(vertx, cluster.nodeUrls(),
                StallProbes.MAX_WAITING_READS + 4, options.clientTimeoutMs()));
        try {
            return runWith(options, cluster, vertx, client, probeClient, progress);
        } finally {
            Waits.await(probeClient.close().otherwiseEmpty(), Duration.ofSeconds(5));
            Waits.await(client.close().otherwiseEmpty(), Duration.ofSeconds(5));
            Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(20));
        }
    }

    private static Result runWith(NemesisOptions o, ClusterUnderTest cluster, Vertx vertx, KvClient client,
                                  KvClient probeClient, PrintStream progress) throws Exception {
        String startedAt = Instant.now().toString();
        HistoryRecorder recorder = new HistoryRecorder();
        FaultLog faults = new FaultLog();
        List<String> notes = new ArrayList<>();
        long start = recorder.now();
        long end = start + o.duration().toNanos();
        long stopFaults = end - TimeUnit.MILLISECONDS.toNanos(o.recoveryMs());
        String runId = Long.toHexString(o.seed()) + "-" + Long.toHexString(start);
        progress.printf("verify: live view at %s%n", cluster.liveViewUrl());
        progress.printf("verify: %d %s clients for %d s on %d keys at a time; reads: %s; faults: %s%n", o.clients(),
                o.protocol() == NemesisOptions.Protocol.RESP ? "Redis-protocol" : "HTTP",
                o.duration().toSeconds(), o.keys(), readMix(o), o.faults().isEmpty() ? "none"
                        : o.faults().stream().map(FaultKind::wireName).collect(Collectors.joining(", ")));
        Future<Void> clientsDone = new Clients(vertx, client, cluster.nodeIds(), o, recorder,
                new KeySpace(o.keys(), o.opsPerKey()), runId).run(end);

        StallProbes probes = o.faults().contains(FaultKind.STALL)
                ? new StallProbes(vertx, probeClient, cluster, o, recorder, runId) : null;
        Nemesis nemesis = new Nemesis(cluster, o, recorder, faults, progress, start,
                probes == null ? Nemesis.StallObserver.NONE : probes);
        nemesis.run(stopFaults);

        long clientsBound = Math.max(0, end - recorder.now()) / 1_000_000
                + (o.writeRetries() + 2L) * (o.clientTimeoutMs() + 200) + 10_000;
        try {
            Waits.await(clientsDone, Duration.ofMillis(clientsBound));
        } catch (Exception e) {
            notes.add("some clients had not finished " + clientsBound + " ms after the end: " + e.getMessage()
                    + "; their last requests are missing from the history");
        }
        if (probes != null) {
            try {
                // Every stall was undone before the nemesis returned: what the probes sent has been answered
                // or times out on the client's clock.
                Waits.await(probes.drained(), Duration.ofMillis(o.clientTimeoutMs() + 5_000));
                long sent = Waits.await(probes.readsSent(), Duration.ofSeconds(5));
                notes.add("Stall probes: " + sent + " reads (" + (o.leaseReads() > 0 ? "lease" : o.consistency())
                        + ") sent to stalled nodes after a write through the other nodes was acknowledged; their"
                        + " answers are in the history like every other read.");
            } catch (Exception e) {
                notes.add("some stall probes had not finished: " + e.getMessage()
                        + "; their last requests are missing from the history");
            }
        }
        progress.printf("verify: clients stopped after %,d operations; healing and waiting for a healthy cluster%n",
                recorder.history().size());

        long healing = System.nanoTime();
        try {
            Waits.await(cluster.healAll(), HEALTHY_TIMEOUT);
            Waits.await(cluster.awaitHealthy(HEALTHY_TIMEOUT), HEALTHY_TIMEOUT.plusSeconds(5));
            progress.printf("verify: healthy after %d ms%n", (System.nanoTime() - healing) / 1_000_000);
        } catch (Exception e) {
            notes.add("the cluster was not healthy " + (System.nanoTime() - healing) / 1_000_000
                    + " ms after healing: " + e);
            progress.println("verify: " + notes.get(notes.size() - 1));
        }

        int finalClient = o.clients();
        int unread = finalReads(cluster, client, recorder, finalClient, progress);
        if (unread > 0) {
            notes.add(unread + " keys could not be read at the end within " + FINAL_READS_TIMEOUT.toSeconds() + " s");
        }
        RunRecord.Convergence convergence;
        try {
            convergence = cluster.compareReplicas(CONVERGENCE_TIMEOUT);
        } catch (InterruptedException e) {
            // The report is still written, as for every other step a run did not finish.
            Thread.currentThread().interrupt();
            convergence = new RunRecord.Convergence(false, false, 0, Map.of(), "not compared: interrupted");
        }
        notes.add("Event recording `" + RunReport.EVENTS_FILE + "`: " + cluster.recordingNote()
                + ". Replay it in the live view: open the UI (`java -jar raftline.jar`, http://localhost:8080),"
                + " choose Replay, then Open NDJSON.");

        RunRecord record = new RunRecord("Raftline nemesis run", settings(o, cluster, startedAt), recorder.history(),
                finalClient, faults.entries(), recorder.answers(), recorder.retries(), start, nemesis.healedAt(),
                convergence, notes, recorder.notes());
        progress.printf("verify: checking %,d operations%n", record.history().size());
        RunReport.Report report = RunReport.check(record, o.checkBudget());
        Path reportFile = report.write(o.out());
        Path events;
        try {
            events = Waits.await(cluster.finishRecording(report.verdictJson(reportFile)), Duration.ofSeconds(30));
        } catch (Exception e) {
            events = o.out().resolve(RunReport.EVENTS_FILE);
            progress.println("verify: the event recording could not be finished: " + e.getMessage());
        }
        return new Result(report, reportFile, o.out().resolve(RunReport.HISTORY_FILE), events);
    }

    private static Map<String, String> settings(NemesisOptions o, ClusterUnderTest cluster, String startedAt) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("started", startedAt);
        s.put("mode", o.mode().wireName() + " (" + o.nodes() + " nodes; crash = " + cluster.crashMethod() + ")");
        s.put("transport", o.transport() == io.raftline.config.TransportKind.GRPC ? "gRPC (raft.proto's RaftService)"
                : o.mode() == NemesisOptions.Mode.LOCAL ? "the event bus (local)" : "the clustered event bus");
        s.put("duration", o.duration().toSeconds() + " s of requests, the last " + o.recoveryMs() + " ms without faults");
        s.put("clients", o.clients() + " (one request in flight each; final reads as client " + o.clients() + ")");
        s.put("keys", o.keys() + " in use at a time, each retired after " + o.opsPerKey() + " requests");
        s.put("reads", readMix(o) + " (final reads: linearizable)");
        s.put("faults", o.faults().isEmpty() ? "none"
                : o.faults().stream().map(FaultKind::wireName).collect(Collectors.joining(", "))
                + "; each " + o.faultMinMs() + "–" + o.faultMaxMs() + " ms, " + o.healthyMinMs() + "–"
                + o.healthyMaxMs() + " ms apart");
        s.put("timeouts", "cluster " + o.requestTimeoutMs() + " ms, client " + o.clientTimeoutMs() + " ms, "
                + o.writeRetries() + " retries of unknown writes");
        s.put("checker budget", o.checkBudget().toSeconds() + " s");
        s.put("seed", String.valueOf(o.seed()));
        if (o.groups() > 1) {
            // Read back by the checker: revisions are per group on a sharded cluster.
            s.put(RunReport.GROUPS, o.groups() + " Raft groups (keys by FNV-1a-64 mod " + o.groups() + ")");
        }
        return s;
    }

    /** What the clients' reads ask for, in words: e.g. "linearizable, 33% of them lease reads". */
    static String readMix(NemesisOptions o) {
        if (o.leaseReads() == 0 || o.consistency().equals("lease")) {
            return o.consistency();
        }
        if (o.leaseReads() == 1) {
            return "lease";
        }
        return String.format(java.util.Locale.ROOT, "%s, %.0f%% of them lease reads", o.consistency(),
                o.leaseReads() * 100);
    }

    /** Reads every key once more, linearizably; returns how many could not be read. */
    private static int finalReads(ClusterUnderTest cluster, KvClient client, HistoryRecorder recorder,
                                  int finalClient, PrintStream progress) throws InterruptedException {
        List<String> keys = new ArrayList<>(recorder.keys());
        progress.printf("verify: final linearizable reads of %,d keys%n", keys.size());
        long deadline = System.nanoTime() + FINAL_READS_TIMEOUT.toNanos();
        List<Integer> nodes = cluster.nodeIds();
        int unread = 0;
        int[] attempt = {0};
        for (String key : keys) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                unread++;
                continue;
            }
            KvRequest get = new KvRequest(OpKind.GET, key, null, Operation.UNCONDITIONAL, "linearizable", null);
            try {
                // Each try is recorded; a try the history must omit (no answer that says anything) is retried on
                // the next node, within what is left of the time for all final reads.
                Waits.eventually("a final read of " + key, Duration.ofNanos(left), () -> {
                    int node = nodes.get(attempt[0]++ % nodes.size());
                    return finalRead(client, recorder, finalClient, node, get);
                });
            } catch (Waits.TimedOutException e) {
                unread++;
            }
        }
        return unread;
    }

    /** One final read, recorded as the harness records every request; whether the history keeps it. */
    private static boolean finalRead(KvClient client, HistoryRecorder recorder, int finalClient, int node,
                                     KvRequest get) throws InterruptedException {
        long id = recorder.nextId();
        long t0 = recorder.now();
        KvResponse response;
        try {
            response = Waits.await(client.send(node, get), Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            response = new KvResponse.NoAnswer(e.toString());
        }
        long t1 = recorder.now();
        OutcomeMapping.Meaning m = OutcomeMapping.map(get, response);
        recorder.count(OpKind.GET, m.label() + " (final read)");
        if (m.omitted()) {
            return false;
        }
        recorder.record(new Operation(id, finalClient, OpKind.GET, get.key(), null, Operation.UNCONDITIONAL, t0, t1,
                m.outcome()));
        return true;
    }
}
