package io.raftline.app;

import io.raftline.config.TransportKind;
import io.raftline.verify.nemesis.FaultKind;
import io.raftline.verify.nemesis.NemesisOptions;
import io.raftline.verify.nemesis.NemesisRun;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code raftline.jar verify}: starts its own cluster (in this JVM, or one child process per node), runs the
 * nemesis harness against it (clients, faults, healing, final reads), checks the history for linearizability
 * and writes the report, the history and a replayable event recording. It prints the report's path and a
 * one-line verdict, and exits 0 when the run is clean (linearizable, every acknowledged write accounted for,
 * replicas identical), 1 otherwise, 2 for bad usage.
 *
 * <p>The options are only what the user typed: an option left out stays out of the {@link NemesisOptions}
 * builder, so its defaults and its validation are the one source of both (the help quotes its constants).
 */
@Command(name = "verify",
        description = {
            "Start a cluster, inject faults under client load, check linearizability.",
            "The nemesis: its own cluster, random client load while partitions, crashes, pauses, stalls, message"
                    + " delays and loss come and go, then healing, a read of every key, and the check of the"
                    + " history. Prints the live view's URL (local mode) and a one-line verdict; the"
                    + " report, the history and a replayable event recording land in --out. Exit code 0 if"
                    + " linearizable with nothing lost, 1 if not (docs/verify.md, Nemesis).",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar verify                                       60 s in this JVM",
            "  java -jar raftline.jar verify --duration 10m --mode processes       crashes are kill -9",
            "  java -jar raftline.jar verify --mode processes --transport grpc     nodes talk gRPC",
            "  java -jar raftline.jar verify --nemesis stall --lease-reads 50%% --seed 12"})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @ParentCommand
    private RaftlineCommand root;

    @Option(names = "--duration", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "How long the clients send requests; faults stop before the end, to heal. Default: "
                    + NemesisOptions.DEFAULT_DURATION_SECONDS + "s.")
    private Duration duration;

    @Option(names = "--clients", paramLabel = "N",
            description = "Concurrent clients, 1..256, each with one request in flight. Default: "
                    + NemesisOptions.DEFAULT_CLIENTS + ".")
    private Integer clients;

    @Option(names = "--keys", paramLabel = "N",
            description = "Keys in use at once, 1..10000. Default: " + NemesisOptions.DEFAULT_KEYS + ".")
    private Integer keys;

    @Option(names = "--ops-per-key", paramLabel = "N",
            description = "Requests on one key before it is retired for a fresh one (at least 10), which keeps"
                    + " each key's check fast however long the run. Default: " + NemesisOptions.DEFAULT_OPS_PER_KEY
                    + ".")
    private Integer opsPerKey;

    @Option(names = "--nodes", paramLabel = "N",
            description = "Cluster size, 3 or 5. Default: " + NemesisOptions.DEFAULT_NODES + ".")
    private Integer nodes;

    @Option(names = "--nemesis", paramLabel = "FAULTS",
            description = "The faults to pick from, comma-separated: partition, crash, pause, stall, delay, drop,"
                    + " duplicate, membership; none, or all. stall is a SIGSTOP/SIGCONT of a node (the leader 3 times"
                    + " in 4; freeze/thaw in local mode) while probes send it reads; membership removes a voter (the"
                    + " leader half the time) through /v1/members and adds it back. Default: every kind but duplicate"
                    + " and membership.")
    private String nemesis;

    @Option(names = "--mode", paramLabel = "local|processes",
            description = "local: every node in this JVM, faults through the admin API. processes: one child JVM"
                    + " per node; a crash is a SIGKILL. Default: local.")
    private String mode;

    @Option(names = "--transport", paramLabel = "eventbus|grpc",
            description = "How the nodes send each other Raft messages (\"transport\"): the event bus (clustered"
                    + " between processes) or gRPC. Default: eventbus.")
    private String transport;

    @Option(names = "--protocol", paramLabel = "http|resp",
            description = "How the clients send requests: the HTTP API, or the Redis protocol (every read"
                    + " linearizable; writes with an unknown outcome are not retried, having no idempotency key)."
                    + " Default: http.")
    private String protocol;

    @Option(names = "--groups", paramLabel = "G",
            description = "Shard the cluster over G Raft groups (\"groups\": G); keys of the run land in different"
                    + " groups, each checked on its own. Default: 1.")
    private Integer groups;

    @Option(names = "--consistency", paramLabel = "linearizable|lease|stale",
            description = "What the clients' reads ask for, apart from the lease reads (final reads are always"
                    + " linearizable); stale reads promise less, so the check may flag them. Default: "
                    + NemesisOptions.DEFAULT_CONSISTENCY + ".")
    private String consistency;

    @Option(names = "--lease-reads", paramLabel = "SHARE", converter = Converters.ShareConverter.class,
            description = "The share of reads sent with consistency=lease, as 0.25 or 25%%; checked like"
                    + " linearizable ones; 0 for none. Default: a third (33%%).")
    private Double leaseReads;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seeds the clients' and the nemesis's choices (not the timing). Default: random, written"
                    + " in the report.")
    private Long seed;

    @Option(names = "--check-budget", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "How long the linearizability check may search; keys it cannot finish are UNKNOWN."
                    + " Default: " + NemesisOptions.DEFAULT_CHECK_BUDGET_SECONDS + "s.")
    private Duration checkBudget;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where the report, history.ndjson and events.ndjson go. Default:"
                    + " verify-runs/<yyyyMMdd-HHmmss>.")
    private Path out;

    @Override
    public Integer call() {
        NemesisOptions options = options();
        if (options.mode() == NemesisOptions.Mode.LOCAL && System.getProperty("raftline.log.level") == null) {
            // The nodes share this JVM's console with the harness: keep their lines to warnings and errors.
            System.setProperty("raftline.log.level", "WARN");
        }
        try {
            NemesisRun.Result r = NemesisRun.run(options, root.out());
            root.out().println("verify: report " + r.reportFile().toAbsolutePath());
            root.out().println("verify: history " + r.history().toAbsolutePath() + ", events "
                    + r.events().toAbsolutePath());
            root.out().println(r.report().oneLine());
            return r.report().clean() ? 0 : Main.FAILURE;
        } catch (Exception e) {
            root.err().println("raftline verify: the run failed: " + e.getMessage());
            return Main.FAILURE;
        }
    }

    /**
     * The run the options describe.
     *
     * @throws ParameterException naming the option, or the field, and the rule it breaks
     */
    NemesisOptions options() {
        NemesisOptions.Builder b = NemesisOptions.builder();
        given("--duration", duration, b::duration);
        given("--clients", clients, b::clients);
        given("--keys", keys, b::keys);
        given("--ops-per-key", opsPerKey, b::opsPerKey);
        given("--nodes", nodes, b::nodes);
        given("--nemesis", nemesis, v -> b.faults(FaultKind.parseList(v)));
        given("--mode", mode, v -> b.mode(NemesisOptions.Mode.parse(v)));
        given("--protocol", protocol, v -> b.protocol(NemesisOptions.Protocol.parse(v)));
        given("--groups", groups, b::groups);
        given("--transport", transport, v -> b.transport(transportKind(v)));
        given("--consistency", consistency, b::consistency);
        given("--lease-reads", leaseReads, b::leaseReads);
        given("--seed", seed, b::seed);
        given("--check-budget", checkBudget, b::checkBudget);
        b.out(out != null ? out
                : Path.of("verify-runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /**
     * {@code eventbus} or {@code grpc}, read as the configuration's {@code "transport"} is
     * ({@link TransportKind#parse}); a name it does not know is refused in the words of the other options.
     */
    private static TransportKind transportKind(String text) {
        try {
            return TransportKind.parse("transport", text);
        } catch (io.raftline.raft.ConfigException e) {
            throw new IllegalArgumentException("must be eventbus or grpc, got '" + text + "'", e);
        }
    }

    /** Hands a value the user gave to the builder; a parse it refuses names the option. */
    private <T> void given(String option, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) {
            throw Main.invalidValue(spec, option, e.getMessage());
        }
    }
}
