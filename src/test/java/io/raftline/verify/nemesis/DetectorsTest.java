package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.HistoryNdjson;
import io.raftline.verify.LinearizabilityChecker;
import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.raftline.verify.Verdict;
import io.raftline.verify.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each check has teeth: deliberately broken configurations and histories must be caught, through the same
 * recording and report path a real run uses. Stale reads and a doubly applied retry are produced by a real
 * cluster on a schedule that makes the anomaly certain (with the correct configuration as a control); a lost
 * write is a real nemesis history doctored to drop one acknowledged write from the final state; split brain is
 * a crafted history (the cluster cannot be made to elect two leaders in one term without a code change).
 */
@Tag("slow")
class DetectorsTest {

    private static final Path OUT = Path.of("target", "verify", "detectors");

    /** The anomaly is on {@code key}, and the violation's sub-history names {@code op}. */
    private static void assertFlagged(RunReport.Report report, String key, Operation op) {
        String why = report.markdown();
        assertThat(report.result().verdict()).as(why).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(report.clean()).isFalse();
        List<Violation> onKey = report.result().violations().stream()
                .filter(v -> v instanceof Violation.OnKey k && k.key().equals(key)).toList();
        assertThat(onKey).as(why).hasSize(1);
        assertThat(onKey.get(0).operations()).as("the minimal sub-history").contains(op);
        assertThat(report.violationOperations()).contains(op);
    }

    @Test
    void staleReadsFromAnIsolatedOldLeaderAreFlagged() throws Exception {
        Path out = OUT.resolve("stale-reads");
        String key = "stale-k";
        try (Script s = new Script(out)) {
            int old = s.leader();
            long r1 = s.putAcknowledged(0, old, key, "v1");
            s.allApplied(r1);
            JsonArray others = new JsonArray();
            s.cluster.nodeIds().stream().filter(id -> id != old).forEach(others::add);
            Waits.await(s.cluster.network(new JsonObject().put("partitions",
                    new JsonArray().add(new JsonArray().add(old)).add(others))), Script.WAIT);
            int[] next = new int[1];
            Waits.eventually("a new leader in the majority", Script.WAIT,
                    () -> s.cluster.leader().map(l -> (next[0] = l) != 0 && l != old));
            long r2 = s.putAcknowledged(1, next[0], key, "v2");
            assertThat(r2).isGreaterThan(r1);
            // The old leader is cut off from the write that just completed: a stale read there must return v1.
            Operation stale = s.readObserved(2, old, key, "stale");
            assertThat(stale.outcome()).as("the schedule makes the stale read certain")
                    .isEqualTo(Outcome.found(Value.of("v1"), r1));
            // Control: a linearizable read there cannot be served without a quorum, so it observes nothing.
            assertThat(s.send(3, old, Script.get(key, "linearizable"))).isNull();
            s.healAndReadFinal(List.of(key));

            RunReport.Report report = s.report("stale reads from an isolated old leader");
            assertFlagged(report, key, stale);
            assertThat(report.markdown()).contains("read \"v1\"");
            Path file = report.write(out);
            Path events = Waits.await(s.cluster.finishRecording(report.verdictJson(file)), Script.WAIT);
            List<String> lines = Files.readAllLines(events);
            JsonObject verdict = new JsonObject(lines.get(lines.size() - 1));
            assertThat(verdict.getString("type")).isEqualTo("CheckVerdict");
            assertThat(verdict.getString("verdict")).isEqualTo("NOT_LINEARIZABLE");
            assertThat(verdict.getString("summary")).startsWith("key " + key);

            // Without the stale read the same run is linearizable: the checker flags that read, nothing else.
            List<Operation> without = new ArrayList<>(s.recorder.history());
            without.remove(stale);
            assertThat(LinearizabilityChecker.check(without, Duration.ofSeconds(30)).verdict())
                    .isEqualTo(Verdict.LINEARIZABLE);
        }
    }

    /**
     * A retried write whose first attempt was applied (its answer lost) is applied again when the retry does not
     * carry the first attempt's {@code Idempotency-Key}, as if the store's idempotency table had forgotten it.
     */
    @Test
    void aRetriedWriteAppliedTwiceIsFlaggedAndIdempotentRetriesAreNot() throws Exception {
        for (boolean broken : new boolean[] {true, false}) {
            Path out = OUT.resolve(broken ? "duplicate-retry" : "idempotent-retry");
            String key = "dup-k";
            try (Script s = new Script(out)) {
                int leader = s.leader();
                long id = s.recorder.nextId();
                long t0 = s.recorder.now();
                KvRequest first = Script.put(key, "v1", "write-1");
                KvResponse lost = Waits.await(s.client.send(leader, first), Script.WAIT);
                assertThat(lost).as("the first attempt is applied; the client never sees this answer")
                        .isInstanceOf(KvResponse.Answered.class);
                Operation seen = s.readObserved(1, leader, key, "linearizable");
                assertThat(seen.outcome()).isInstanceOf(Outcome.Ok.class);
                s.putAcknowledged(1, leader, key, "v2");
                KvRequest retry = Script.put(key, "v1", broken ? "write-1-retry" : "write-1");
                KvResponse answer = Waits.await(s.client.send(leader, retry), Script.WAIT);
                OutcomeMapping.Meaning m = OutcomeMapping.map(retry, answer);
                assertThat(m.outcome()).isInstanceOf(Outcome.Ok.class);
                s.recorder.record(new Operation(id, 0, OpKind.PUT, key, Value.of("v1"), Operation.UNCONDITIONAL, t0,
                        s.recorder.now(), m.outcome()));
                Operation after = s.readObserved(1, leader, key, "linearizable");
                s.healAndReadFinal(List.of(key));

                RunReport.Report report = s.report(broken ? "a retried write applied twice" : "an idempotent retry");
                report.write(out);
                if (broken) {
                    assertThat(after.outcome()).as("v1 came back after v2").isInstanceOf(Outcome.Ok.class);
                    assertThat(((Outcome.Ok) after.outcome()).value()).isEqualTo(Value.of("v1"));
                    // The write is one operation; reads saw its value at two revisions: the first application
                    // (id 2's v1) and the retry's (the write's own answer, and the later read).
                    Operation write = report.record().history().stream().filter(o -> o.id() == id).findFirst()
                            .orElseThrow();
                    assertFlagged(report, key, write);
                    assertThat(report.markdown()).contains("read saw revision");
                } else {
                    assertThat(((Outcome.Ok) after.outcome()).value()).isEqualTo(Value.of("v2"));
                    assertThat(report.result().verdict()).as(report.markdown()).isEqualTo(Verdict.LINEARIZABLE);
                    assertThat(report.clean()).isTrue();
                }
            }
        }
    }

    @Test
    void anAcknowledgedWriteMissingFromTheFinalStateIsFlagged() throws Exception {
        Path out = OUT.resolve("lost-write-run");
        NemesisOptions options = NemesisOptions.builder().duration(Duration.ofSeconds(6)).clients(4).keys(4)
                .faults(java.util.EnumSet.of(FaultKind.CRASH, FaultKind.PARTITION)).faultMs(700, 1200)
                .healthyMs(200, 400).recoveryMs(1500).seed(77).out(out).build();
        NemesisRun.Result run = NemesisRun.run(options, System.out);
        assertThat(run.verdict()).as(run.report().markdown()).isEqualTo(Verdict.LINEARIZABLE);
        List<Operation> history = HistoryNdjson.read(run.history());
        int finalClient = run.report().record().finalClient();

        // Doctor it: on some key, the final read no longer sees the last acknowledged write, but the state before it.
        Operation doctoredRead = null;
        Operation dropped = null;
        List<Operation> doctored = new ArrayList<>(history);
        for (Operation fin : history) {
            if (fin.client() != finalClient || !(fin.outcome() instanceof Outcome.Ok end) || !end.found()) {
                continue;
            }
            Operation last = null;
            Operation before = null;
            for (Operation w : history) {
                if (w.key().equals(fin.key()) && w.kind() != OpKind.GET && w.kind() != OpKind.DELETE
                        && w.outcome() instanceof Outcome.Ok ok) {
                    if (ok.revision() == end.revision()) {
                        last = w;
                    } else if (ok.revision() < end.revision()
                            && (before == null || ((Outcome.Ok) before.outcome()).revision() < ok.revision())) {
                        before = w;
                    }
                }
            }
            if (last != null && before != null) {
                dropped = last;
                doctoredRead = new Operation(fin.id(), fin.client(), OpKind.GET, fin.key(), null,
                        Operation.UNCONDITIONAL, fin.invokeNanos(), fin.completeNanos(),
                        Outcome.found(before.value(), ((Outcome.Ok) before.outcome()).revision()));
                doctored.set(doctored.indexOf(fin), doctoredRead);
                break;
            }
        }
        assertThat(doctoredRead).as("a key whose final value overwrote an earlier acknowledged write").isNotNull();

        RunRecord record = new RunRecord("the same run with one acknowledged write lost",
                run.report().record().settings(), doctored, finalClient, run.report().record().faults(),
                run.report().record().answers(), 0, run.report().record().startNanos(), -1,
                RunRecord.Convergence.NOT_CHECKED, List.of("doctored: " + dropped.describe(dropped.invokeNanos())));
        RunReport.Report report = RunReport.check(record, Duration.ofSeconds(30));
        assertFlagged(report, dropped.key(), doctoredRead);
        String lost = "#" + dropped.id() + " ";
        assertThat(report.accounting().missing()).as("the accounting names the lost write")
                .anySatisfy(line -> assertThat(line).startsWith(lost));
        report.write(OUT.resolve("lost-write"));
    }

    /**
     * A run whose replicas could not be compared (the nodes never reached one applied index after healing: a replica
     * stuck for good) is not clean, however linearizable its history: it exited 0 with "no anomalies".
     */
    @Test
    void aRunWhoseReplicasWereNeverComparedIsNotClean() {
        List<Operation> h = List.of(
                Operation.put(1, 1, "nc", Value.of("a"), 0, 10, Outcome.written(3)),
                Operation.get(2, 9, "nc", 20, 21, Outcome.found(Value.of("a"), 3)));
        RunRecord.Convergence stuck = new RunRecord.Convergence(false, false, 0, Map.of(), "not compared: the"
                + " nodes did not reach one applied index within 30 s (last seen {1=3, 2=3, 3=1})");
        RunRecord record = new RunRecord("a replica stuck (crafted)", Map.of(), h, 9, List.of(), Map.of(), 0, 0, 30,
                stuck, List.of());
        RunReport.Report report = RunReport.check(record, Duration.ofSeconds(10));
        assertThat(report.result().verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(report.clean()).as(report.oneLine()).isFalse();
        assertThat(report.oneLine()).endsWith("1 anomaly");

        RunReport.Report history = RunReport.check(RunRecord.ofHistory("the history alone", h, 9),
                Duration.ofSeconds(10));
        assertThat(history.clean()).as("a history without a cluster: %s", history.oneLine()).isTrue();
    }

    @Test
    void twoLeadersCommittingAtOneIndexAreFlagged() throws Exception {
        // Two leaders of one term, each with a majority it believes in, commit different entries: the same index
        // for two writes on one key, and two compare-and-sets that both succeed on the same revision.
        List<Operation> h = new ArrayList<>();
        h.add(Operation.put(1, 1, "sb-a", Value.of("a1"), 0, 10, Outcome.written(7)));
        h.add(Operation.put(2, 2, "sb-a", Value.of("a2"), 2, 12, Outcome.written(7)));
        h.add(Operation.get(3, 1, "sb-a", 20, 22, Outcome.found(Value.of("a1"), 7)));
        h.add(Operation.get(4, 2, "sb-a", 21, 23, Outcome.found(Value.of("a2"), 7)));
        h.add(Operation.put(5, 1, "sb-b", Value.of("b0"), 30, 31, Outcome.written(10)));
        h.add(Operation.cas(6, 1, "sb-b", Value.of("b1"), 10, 40, 45, Outcome.written(12)));
        h.add(Operation.cas(7, 2, "sb-b", Value.of("b2"), 10, 41, 46, Outcome.written(13)));
        h.add(Operation.get(8, 9, "sb-a", 60, 61, Outcome.found(Value.of("a1"), 7)));
        h.add(Operation.get(9, 9, "sb-b", 60, 61, Outcome.found(Value.of("b2"), 13)));
        RunReport.Report report = RunReport.check(RunRecord.ofHistory("split brain (crafted)", h, 9),
                Duration.ofSeconds(10));
        assertFlagged(report, "sb-a", h.get(1));
        assertFlagged(report, "sb-b", h.get(6));
        assertThat(report.result().violations()).anySatisfy(v -> assertThat(v).isInstanceOf(Violation.Revisions.class));

        Path dir = OUT.resolve("split-brain");
        Path file = report.write(dir);
        assertThat(Files.readString(file)).startsWith("# split brain (crafted): NOT_LINEARIZABLE")
                .contains("key sb-a: not linearizable").contains("key sb-b: not linearizable");
        List<Operation> sub = HistoryNdjson.read(dir.resolve(RunReport.VIOLATIONS_FILE));
        assertThat(LinearizabilityChecker.check(sub, Duration.ofSeconds(10)).verdict())
                .as("the minimal sub-history alone").isEqualTo(Verdict.NOT_LINEARIZABLE);
        JsonObject event = Recordings.verdictEvent(5, report.verdictJson(file));
        assertThat(event.getString("type")).isEqualTo("CheckVerdict");
        assertThat(event.getString("verdict")).isEqualTo("NOT_LINEARIZABLE");
        assertThat(event.getBoolean("clean")).isFalse();
    }
}
