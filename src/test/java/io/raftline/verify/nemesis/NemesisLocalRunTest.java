package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.HistoryNdjson;
import io.raftline.verify.LinearizabilityChecker;
import io.raftline.verify.Operation;
import io.raftline.verify.Verdict;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CI nemesis run: a 3-node cluster in this JVM, 6 clients for 20 s while partitions, crashes, pauses,
 * stalls, message delays and message loss come and go, a third of the reads being lease reads; then healing,
 * final reads and the check. It must come out linearizable, with every acknowledged write accounted for,
 * identical replicas, every fault kind actually injected (and seen by the cluster's own event stream), and its
 * files complete. Its seed makes the nemesis stall the leader with its links cut while probes queue lease reads
 * in it, the schedule that exposes a leader serving reads from a lease the stall used up (issue 11, bug 2).
 */
@Tag("slow")
class NemesisLocalRunTest {

    @Test
    void twentySecondsOfFaultsAreLinearizableAndLoseNothing() throws Exception {
        Path out = Path.of("target", "verify", "ci-local");
        NemesisOptions options = NemesisOptions.builder().duration(Duration.ofSeconds(20)).clients(6).keys(8)
                .opsPerKey(600).faults(FaultKind.DEFAULTS).faultMs(800, 1800).healthyMs(300, 800).recoveryMs(4000)
                .seed(20_260_101L).out(out).build();
        NemesisRun.Result r = NemesisRun.run(options, System.out);
        RunReport.Report report = r.report();
        String why = report.markdown();

        assertThat(r.verdict()).as(why).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(report.clean()).as(why).isTrue();
        assertThat(report.total().ok()).as("operations answered with a result").isGreaterThan(1000);
        AcknowledgedWrites.Accounting a = report.accounting();
        assertThat(a.acknowledged()).isGreaterThan(500);
        assertThat(a.missing()).as("acknowledged writes not in the final state").isEmpty();
        assertThat(a.accounted()).isEqualTo(a.acknowledged());
        assertThat(a.keysRead()).as("every key read at the end").isEqualTo(a.keys());
        assertThat(report.record().opNotes().values()).as("lease reads in the checked history")
                .anyMatch(n -> n.startsWith(RunReport.LEASE_READ));
        // Whether the stalled leader answers them depends on the cluster (a correct one may refuse them all).
        assertThat(report.record().answers().keySet()).as("lease reads sent to a stalled node")
                .anyMatch(k -> k.startsWith("probe get lease"));
        assertThat(report.record().faults()).as("a stall of the leader with its links cut")
                .anyMatch(f -> f.kind() == FaultKind.STALL && f.injected() && f.description().contains("(the leader)")
                        && f.description().contains("links cut"));
        assertThat(report.record().convergence().agreed()).as(report.record().convergence().note()).isTrue();
        for (FaultKind k : FaultKind.DEFAULTS) {
            assertThat(report.faultsByKind().get(k)).as("%s faults injected", k).isPositive();
        }

        // The history file is the history: read back, it checks the same.
        List<Operation> read = HistoryNdjson.read(r.history());
        assertThat(read).hasSize(report.total().recorded());
        assertThat(LinearizabilityChecker.check(read, Duration.ofSeconds(60)).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(Files.readString(r.reportFile())).startsWith("# Raftline nemesis run: LINEARIZABLE")
                .contains("## Faults").contains("acknowledged writes accounted for");

        // The faults reached the cluster: its own event stream shows them, and the recording ends with the verdict.
        List<String> lines = Files.readAllLines(r.events());
        Map<String, Integer> types = new HashMap<>();
        boolean partitioned = false;
        boolean delayed = false;
        boolean dropping = false;
        for (String line : lines) {
            JsonObject e = new JsonObject(line);
            types.merge(e.getString("type"), 1, Integer::sum);
            if ("FaultChanged".equals(e.getString("type"))) {
                JsonObject f = e.getJsonObject("faults");
                partitioned |= !f.getJsonArray("partitions").isEmpty();
                delayed |= f.getJsonArray("delayMs").getInteger(1) > 0;
                dropping |= f.getDouble("dropRate") > 0;
            }
        }
        assertThat(types).containsKeys("ClusterInfo", "NodeCrashed", "NodeRestarted", "NodePaused", "NodeFrozen",
                "LeaderElected");
        assertThat(partitioned && delayed && dropping).as("partition, delay and loss in FaultChanged events").isTrue();
        JsonObject last = new JsonObject(lines.get(lines.size() - 1));
        assertThat(last.getString("type")).isEqualTo("CheckVerdict");
        assertThat(last.getString("verdict")).isEqualTo("LINEARIZABLE");
        assertThat(last.getInteger("operations")).isEqualTo(report.total().recorded());
        assertThat(types.get("CheckVerdict")).isEqualTo(1);
        System.out.println("[nemesis local] " + report.oneLine());
    }
}
