package io.raftline.app;

import static io.raftline.app.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.app.MainTest.Result;
import io.raftline.config.TransportKind;
import io.raftline.verify.nemesis.FaultKind;
import io.raftline.verify.nemesis.NemesisOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

/** {@code raftline.jar verify}: options, usage errors, and a short real run through the command line. */
class VerifyCommandTest {

    private static NemesisOptions parse(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "verify";
        System.arraycopy(args, 0, all, 1, args.length);
        return MainTest.parse(VerifyCommand.class, all).options();
    }

    @Test
    void optionsAreParsedWithDefaults() {
        NemesisOptions o = parse("--duration", "90s", "--clients", "4", "--keys=20", "--nodes=5", "--ops-per-key", "50",
                "--nemesis", "partition,crash,stall", "--mode", "processes", "--out", "x", "--consistency", "stale",
                "--lease-reads", "25%", "--seed", "12", "--check-budget=2m");
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(o.clients()).isEqualTo(4);
        assertThat(o.keys()).isEqualTo(20);
        assertThat(o.nodes()).isEqualTo(5);
        assertThat(o.opsPerKey()).isEqualTo(50);
        assertThat(o.faults()).containsExactly(FaultKind.PARTITION, FaultKind.CRASH, FaultKind.STALL);
        assertThat(o.mode()).isEqualTo(NemesisOptions.Mode.PROCESSES);
        assertThat(o.out()).isEqualTo(Path.of("x"));
        assertThat(o.consistency()).isEqualTo("stale");
        assertThat(o.leaseReads()).isEqualTo(0.25);
        assertThat(o.seed()).isEqualTo(12);
        assertThat(o.checkBudget()).isEqualTo(Duration.ofMinutes(2));
        NemesisOptions d = parse();
        assertThat(d.duration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.clients()).isEqualTo(8);
        assertThat(d.keys()).isEqualTo(10);
        assertThat(d.faults()).isEqualTo(EnumSet.of(FaultKind.PARTITION, FaultKind.CRASH, FaultKind.PAUSE,
                FaultKind.STALL, FaultKind.DELAY, FaultKind.DROP));
        assertThat(d.mode()).isEqualTo(NemesisOptions.Mode.LOCAL);
        assertThat(d.consistency()).isEqualTo("linearizable");
        assertThat(d.leaseReads()).as("a third of the reads are lease reads by default").isEqualTo(1.0 / 3);
        assertThat(d.out().toString()).matches("verify-runs[/\\\\]\\d{8}-\\d{6}");
        NemesisOptions builder = NemesisOptions.builder().build();
        assertThat(d).as("options left out are the builder's own defaults")
                .usingRecursiveComparison().ignoringFields("seed", "out").isEqualTo(builder);
        assertThat(parse("--lease-reads", "0").leaseReads()).isZero();
        assertThat(parse("--lease-reads=0.5").leaseReads()).isEqualTo(0.5);
        assertThat(parse("--nemesis", "none").faults()).isEmpty();
        assertThat(parse("--nemesis=all").faults()).isEqualTo(EnumSet.allOf(FaultKind.class));
        assertThat(parse("--mode", "process").mode()).isEqualTo(NemesisOptions.Mode.PROCESSES);
        assertThat(d.transport()).as("the event bus by default").isEqualTo(TransportKind.EVENTBUS);
        assertThat(parse("--transport", "grpc").transport()).isEqualTo(TransportKind.GRPC);
        assertThat(parse("--transport=EventBus").transport()).isEqualTo(TransportKind.EVENTBUS);
        assertThat(parse("--seed", "1", "--seed=2").seed()).as("the last of a repeated option").isEqualTo(2);
    }

    @Test
    void theBuildersRulesAreTheCommandsRules() {
        assertThatThrownBy(() -> parse("--clients", "300")).isInstanceOf(ParameterException.class)
                .hasMessage("clients must be in 1..256, got 300");
        assertThatThrownBy(() -> parse("--nodes", "4")).hasMessage("nodes must be 3 or 5, got 4");
        assertThatThrownBy(() -> parse("--ops-per-key", "5")).hasMessage("opsPerKey must be at least 10, got 5");
        assertThatThrownBy(() -> parse("--duration", "2s", "--mode", "local", "--keys", "0"))
                .hasMessage("keys must be in 1..10000, got 0");
    }

    @Test
    void badUsageExits2AndSaysWhy() {
        assertUsageError(run("verify", "--mode", "cloud"),
                "Invalid value for option '--mode': must be local or processes, got 'cloud'");
        assertUsageError(run("verify", "--nemesis=partition,fire"),
                "Invalid value for option '--nemesis': unknown fault 'fire' (known: partition, crash, pause, stall,"
                        + " delay, drop, duplicate, membership, or none, all)");
        assertUsageError(run("verify", "--consistency", "strong"),
                "consistency must be linearizable, lease or stale, got 'strong'");
        assertUsageError(run("verify", "--duration", "soon"),
                "Invalid value for option '--duration': must be a duration like 10s, 500ms or 1m, got 'soon'");
        assertUsageError(run("verify", "--duration", "0"), "duration must be > 0");
        assertUsageError(run("verify", "--clients", "0"), "clients must be in 1..256, got 0");
        assertUsageError(run("verify", "--clients", "some"),
                "Invalid value for option '--clients': 'some' is not an int");
        assertUsageError(run("verify", "--lease-reads", "150%"),
                "Invalid value for option '--lease-reads': must be a share in 0..1 or 0%..100%, got '150%'");
        assertUsageError(run("verify", "--lease-reads", "some"),
                "Invalid value for option '--lease-reads': must be a share in 0..1 or 0%..100%, got 'some'");
        assertUsageError(run("verify", "--transport", "carrier-pigeon"),
                "Invalid value for option '--transport': must be eventbus or grpc, got 'carrier-pigeon'");
        assertUsageError(run("verify", "--bogus", "1"), "Unknown options: '--bogus', '1'");
        assertUsageError(run("verify", "--seed"), "Missing required parameter for option '--seed' (N)");
    }

    private static void assertUsageError(Result r, String message) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("raftline verify: " + message + "\n")
                .contains("Usage: java -jar raftline.jar verify [-hV]")
                .endsWith("Try 'java -jar raftline.jar verify --help' for more information.\n");
    }

    @Test
    void helpDescribesEveryOptionWithTheBuildersDefaults() {
        Result help = run("verify", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.err()).isEmpty();
        NemesisOptions d = NemesisOptions.builder().build();
        assertThat(help.out()).startsWith("Usage: java -jar raftline.jar verify [-hV]");
        // Wrapped at the help's width: compared with single spaces.
        assertThat(help.out().replaceAll("\\s+", " "))
                .contains("Start a cluster, inject faults under client load, check linearizability.")
                .contains("--duration=DURATION").contains("Default: " + d.duration().toSeconds() + "s.")
                .contains("--clients=N").contains("Default: " + d.clients() + ".")
                .contains("--keys=N").contains("Default: " + d.keys() + ".")
                .contains("--ops-per-key=N").contains("Default: " + d.opsPerKey() + ".")
                .contains("--nodes=N").contains("Cluster size, 3 or 5. Default: " + d.nodes() + ".")
                .contains("--nemesis=FAULTS").contains("SIGSTOP").contains("every kind but duplicate and membership.")
                .contains("--mode=local|processes").contains("Default: " + d.mode().wireName() + ".")
                .contains("--transport=eventbus|grpc").contains("Default: " + d.transport().configName() + ".")
                .contains("--consistency=linearizable|lease|stale").contains("Default: " + d.consistency() + ".")
                .contains("--lease-reads=SHARE").contains("0.25 or 25%").contains("Default: a third (33%).")
                .contains("--seed=N").contains("--check-budget=DURATION")
                .contains("Default: " + d.checkBudget().toSeconds() + "s.")
                .contains("--out=DIR").contains("Default: verify-runs/<yyyyMMdd-HHmmss>.")
                .contains("java -jar raftline.jar verify --duration 10m --mode processes");
        assertThat(d.leaseReads()).isEqualTo(1.0 / 3);
        assertThat(d.faults()).isEqualTo(EnumSet.complementOf(EnumSet.of(FaultKind.DUPLICATE, FaultKind.MEMBERSHIP)));
        assertThat(run("help", "verify")).isEqualTo(help);
        assertThat(run("verify", "-h")).isEqualTo(help);
    }

    @Test
    @Tag("slow")
    void aShortRunPrintsTheReportAndExits0() throws Exception {
        Path out = Path.of("target", "verify", "cli");
        Result r = run("verify", "--duration=6s", "--clients", "3", "--keys", "3", "--nemesis", "crash,partition",
                "--out", out.toString(), "--seed", "9");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("verify: report " + out.resolve("report.md").toAbsolutePath())
                .containsPattern("(?m)^LINEARIZABLE: [0-9,]+ operations .*; no anomalies$");
        assertThat(out.resolve("history.ndjson")).isNotEmptyFile();
        assertThat(Files.readAllLines(out.resolve("events.ndjson"))).last().asString().contains("\"type\":\"CheckVerdict\"");
    }
}
