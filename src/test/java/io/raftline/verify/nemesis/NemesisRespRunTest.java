package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.HistoryNdjson;
import io.raftline.verify.LinearizabilityChecker;
import io.raftline.verify.Operation;
import io.raftline.verify.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The nemesis run of issue 16 whose clients speak the Redis protocol ({@link RespKvClient}): a 3-node cluster in
 * this JVM, 6 clients for 20 s of partitions, crashes, pauses, stalls, delays and loss, every request a Redis
 * command on any node (followers forward). It must come out linearizable with every acknowledged SET in the final
 * state, so the Redis front end keeps the store's guarantees under faults.
 */
@Tag("slow")
class NemesisRespRunTest {

    @Test
    void twentySecondsOfFaultsOverTheRedisProtocolAreLinearizableAndLoseNothing() throws Exception {
        NemesisOptions options = NemesisOptions.builder().duration(Duration.ofSeconds(20)).clients(6).keys(8)
                .opsPerKey(600).faults(FaultKind.DEFAULTS).faultMs(800, 1800).healthyMs(300, 800).recoveryMs(4000)
                .seed(20_261_201L).protocol(NemesisOptions.Protocol.RESP).out(Path.of("target", "verify", "ci-resp"))
                .build();
        assertThat(options.leaseReads()).isZero();
        assertThat(options.writeRetries()).isZero();
        NemesisRun.Result r = NemesisRun.run(options, System.out);
        RunReport.Report report = r.report();
        String why = report.markdown();

        assertThat(r.verdict()).as(why).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(report.clean()).as(why).isTrue();
        assertThat(report.total().ok()).as("operations answered with a result").isGreaterThan(1000);
        AcknowledgedWrites.Accounting a = report.accounting();
        assertThat(a.acknowledged()).isGreaterThan(500);
        assertThat(a.missing()).as("acknowledged writes not in the final state").isEmpty();
        assertThat(a.keysRead()).as("every key read at the end").isEqualTo(a.keys());
        assertThat(report.record().answers().keySet()).as("create-only SETs (SET NX) among the requests")
                .anyMatch(k -> k.startsWith("cas"));
        assertThat(report.record().convergence().agreed()).as(report.record().convergence().note()).isTrue();

        List<Operation> read = HistoryNdjson.read(r.history());
        assertThat(LinearizabilityChecker.check(read, Duration.ofSeconds(60)).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        System.out.println("[nemesis resp] " + report.oneLine());
    }
}
