package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.Verdict;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CI nemesis run against real processes: one child JVM per node over the clustered event bus, crashes by
 * SIGKILL and relaunch on the same data, stalls by SIGSTOP and SIGCONT, partitions given to every process, pauses,
 * delays and loss, for 20 s, a third of the reads being lease reads. Linearizable, nothing acknowledged lost,
 * replicas identical; the event recording comes from a live process's bridge and ends with the verdict; no child
 * process outlives the run.
 */
@Tag("slow")
class NemesisProcessRunTest {

    @Test
    void twentySecondsOfFaultsOnProcessesKilledWithSigkill() throws Exception {
        Path out = Path.of("target", "verify", "ci-processes");
        NemesisOptions options = NemesisOptions.builder().mode(NemesisOptions.Mode.PROCESSES)
                .duration(Duration.ofSeconds(20)).clients(4).keys(6).opsPerKey(600).faults(FaultKind.DEFAULTS)
                .faultMs(800, 1500).healthyMs(300, 600).recoveryMs(3000).seed(20_260_202L).out(out).build();
        NemesisRun.Result r = NemesisRun.run(options, System.out);
        RunReport.Report report = assertCleanRunWithACrash(r);
        assertThat(report.faultsByKind().get(FaultKind.PARTITION)).isPositive();
        assertThat(report.faultsByKind().get(FaultKind.STALL)).as("SIGSTOP and SIGCONT of a node process").isPositive();
        assertThat(report.record().settings().get("mode")).contains("SIGKILL");
        assertThat(Files.list(out.resolve("processes")).filter(p -> p.toString().endsWith("-run2.log")).count())
                .as("a killed node ran again in a new process").isPositive();

        List<String> lines = Files.readAllLines(r.events());
        assertThat(lines.stream().map(JsonObject::new).map(e -> e.getString("type")))
                .contains("ClusterInfo", "NodeCrashed", "NodeRestarted", "NodeFrozen", "FaultChanged", "StateChange");
        JsonObject last = new JsonObject(lines.get(lines.size() - 1));
        assertThat(last.getString("type")).isEqualTo("CheckVerdict");
        assertThat(last.getString("verdict")).isEqualTo("LINEARIZABLE");
        String conf = out.resolve("processes").toString();
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(p -> String.join(" ", ChildProcessStallTest.arguments(p)).contains(conf)))
                .as("node processes left behind").isEmpty();
        System.out.println("[nemesis processes] " + report.oneLine());
    }

    /**
     * The same faults on a cluster sharded over 4 Raft groups: the 6 keys land in different groups, each with its own
     * leader, so a SIGKILL or a stall hits several groups' leaders and followers at once. Linearizable per key,
     * nothing acknowledged lost, every group's replicas identical.
     */
    @Test
    void fifteenSecondsOfFaultsOnAClusterShardedOverFourGroups() throws Exception {
        Path out = Path.of("target", "verify", "ci-processes-sharded");
        NemesisOptions options = NemesisOptions.builder().mode(NemesisOptions.Mode.PROCESSES)
                .duration(Duration.ofSeconds(15)).clients(4).keys(6).opsPerKey(600).faults(FaultKind.DEFAULTS)
                .faultMs(800, 1500).healthyMs(300, 600).recoveryMs(3000).seed(20_261_201L).groups(4).out(out)
                .build();
        NemesisRun.Result r = NemesisRun.run(options, System.out);
        RunReport.Report report = assertCleanRunWithACrash(r);
        assertThat(Files.readString(out.resolve("processes").resolve("node-1.json"))).contains("\"groups\" : 4");
        System.out.println("[nemesis processes, 4 groups] " + report.oneLine());
    }

    /** Linearizable, nothing acknowledged lost, replicas identical, at least one SIGKILL: what every run must show. */
    private static RunReport.Report assertCleanRunWithACrash(NemesisRun.Result r) {
        RunReport.Report report = r.report();
        String why = report.markdown();
        assertThat(r.verdict()).as(why).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(report.clean()).as(why).isTrue();
        assertThat(report.accounting().acknowledged()).isPositive();
        assertThat(report.accounting().missing()).isEmpty();
        assertThat(report.record().convergence().agreed()).as(report.record().convergence().note()).isTrue();
        assertThat(report.faultsByKind().get(FaultKind.CRASH)).as("kill -9 of a node process").isPositive();
        return report;
    }
}
