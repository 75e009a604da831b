package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.FaultKind;
import io.raftline.verify.nemesis.NemesisOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code raftline.jar verify}: options, usage errors, and a short real run through the command line. */
@Tag("slow")
class VerifyCommandTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void optionsAreParsedWithDefaults() {
        NemesisOptions o = Verify.parse(List.of("--duration", "90s", "--clients", "4", "--keys=20",
                "--nemesis", "partition,crash,stall", "--mode", "processes", "--out", "x", "--consistency", "stale",
                "--lease-reads", "25%", "--seed", "12"));
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(o.clients()).isEqualTo(4);
        assertThat(o.keys()).isEqualTo(20);
        assertThat(o.faults()).containsExactly(FaultKind.PARTITION, FaultKind.CRASH, FaultKind.STALL);
        assertThat(o.mode()).isEqualTo(NemesisOptions.Mode.PROCESSES);
        assertThat(o.out()).isEqualTo(Path.of("x"));
        assertThat(o.consistency()).isEqualTo("stale");
        assertThat(o.leaseReads()).isEqualTo(0.25);
        assertThat(o.seed()).isEqualTo(12);
        NemesisOptions d = Verify.parse(List.of());
        assertThat(d.duration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.clients()).isEqualTo(8);
        assertThat(d.keys()).isEqualTo(10);
        assertThat(d.faults()).isEqualTo(EnumSet.of(FaultKind.PARTITION, FaultKind.CRASH, FaultKind.PAUSE,
                FaultKind.STALL, FaultKind.DELAY, FaultKind.DROP));
        assertThat(d.mode()).isEqualTo(NemesisOptions.Mode.LOCAL);
        assertThat(d.consistency()).isEqualTo("linearizable");
        assertThat(d.leaseReads()).as("a third of the reads are lease reads by default").isEqualTo(1.0 / 3);
        assertThat(Verify.parse(List.of("--lease-reads", "0")).leaseReads()).isZero();
        assertThat(Verify.parse(List.of("--lease-reads=0.5")).leaseReads()).isEqualTo(0.5);
        assertThat(d.out().toString()).startsWith("verify-runs");
        assertThat(Verify.parse(List.of("--nemesis", "none")).faults()).isEmpty();
    }

    @Test
    void badUsageExits2AndSaysWhy() {
        assertThat(run("verify", "--mode", "cloud").err()).contains("--mode must be local or processes");
        assertThat(run("verify", "--nemesis", "partition,fire").err()).contains("unknown fault 'fire'");
        assertThat(run("verify", "--consistency", "strong").err()).contains("consistency must be");
        assertThat(run("verify", "--duration", "soon").err()).contains("--duration must be a duration");
        assertThat(run("verify", "--clients", "0").err()).contains("clients must be in 1..256");
        assertThat(run("verify", "--lease-reads", "150%").err()).contains("--lease-reads must be a share in 0..1");
        assertThat(run("verify", "--lease-reads", "some").err()).contains("--lease-reads must be a share in 0..1");
        Result r = run("verify", "--bogus", "1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown option '--bogus'").contains("Usage:");
        assertThat(run("help").out()).contains("verify [--duration 60s]").contains("--mode local|processes")
                .contains("stall").contains("--lease-reads");
        Result help = run("verify", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--lease-reads").contains("SIGSTOP");
    }

    @Test
    void aShortRunPrintsTheReportAndExits0() throws Exception {
        Path out = Path.of("target", "verify", "cli");
        Result r = run("verify", "--duration", "6s", "--clients", "3", "--keys", "3", "--nemesis", "crash,partition",
                "--out", out.toString(), "--seed", "9");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("verify: report " + out.resolve("report.md").toAbsolutePath())
                .containsPattern("(?m)^LINEARIZABLE: [0-9,]+ operations .*; no anomalies$");
        assertThat(out.resolve("history.ndjson")).isNotEmptyFile();
        assertThat(Files.readAllLines(out.resolve("events.ndjson"))).last().asString().contains("\"type\":\"CheckVerdict\"");
    }
}
