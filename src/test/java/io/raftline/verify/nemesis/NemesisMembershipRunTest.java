package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The nemesis with membership changes in its mix: for 20 s, voters (the leader among them) are removed through
 * {@code DELETE /v1/members/{id}} while they keep running and answering clients, then added back as learners and
 * promoted, between partitions (and crashes, in this JVM); in this JVM and with one process per node. The history must be
 * linearizable, every acknowledged write accounted for, and every node a voter again at the end with the same
 * state hash. A membership fault counts as injected only once the leader's view no longer listed the node, and as
 * healed only once it listed it as a voter again.
 */
@Tag("slow")
class NemesisMembershipRunTest {

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(strings = {"local", "processes"})
    void membershipChangesUnderLoadAreLinearizableAndLoseNothing(String mode) throws Exception {
        Path out = Path.of("target", "verify", "ci-membership-" + mode);
        // A relaunched process needs seconds to serve again: in process mode crashes would crowd the membership
        // changes out of 20 s (ProcessPerNodeTest and NemesisProcessRunTest kill processes already).
        boolean local = mode.equals("local");
        EnumSet<FaultKind> faults = local ? EnumSet.of(FaultKind.MEMBERSHIP, FaultKind.CRASH, FaultKind.PARTITION)
                : EnumSet.of(FaultKind.MEMBERSHIP, FaultKind.PARTITION);
        NemesisOptions options = NemesisOptions.builder().duration(Duration.ofSeconds(20)).clients(6).keys(8)
                .opsPerKey(600).faults(faults)
                .faultMs(800, 1800).healthyMs(300, 800).recoveryMs(4000).mode(NemesisOptions.Mode.parse(mode))
                .seed(20_261_201L).out(out).build();
        NemesisRun.Result r = NemesisRun.run(options, System.out);
        RunReport.Report report = r.report();
        String why = report.markdown();

        assertThat(r.verdict()).as(why).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(report.clean()).as(why).isTrue();
        AcknowledgedWrites.Accounting a = report.accounting();
        assertThat(a.acknowledged()).isGreaterThan(200);
        assertThat(a.missing()).as("acknowledged writes not in the final state").isEmpty();
        assertThat(a.keysRead()).as("every key read at the end").isEqualTo(a.keys());
        assertThat(report.record().convergence().agreed()).as(report.record().convergence().note()).isTrue();
        assertThat(report.record().convergence().hashes()).as("every node converged, so every node is a member")
                .hasSize(3);

        List<FaultLog.Entry> changes = report.record().faults().stream()
                .filter(f -> f.kind() == FaultKind.MEMBERSHIP).toList();
        assertThat(changes).as(why).hasSizeGreaterThanOrEqualTo(2);
        assertThat(changes).as("every membership change made and undone: %s", changes)
                .allMatch(f -> f.injected() && f.error() == null && f.endNanos() != Long.MAX_VALUE);
        for (FaultKind k : faults) {
            assertThat(report.faultsByKind().get(k)).as("%s faults injected", k).isPositive();
        }
        System.out.println("[nemesis membership, " + mode + "] " + report.oneLine());
    }
}
