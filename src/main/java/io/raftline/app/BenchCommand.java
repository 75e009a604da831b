package io.raftline.app;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code raftline.jar bench}: the options of the load generator ({@link Bench}) and their bounds. Performance is
 * measured by this command against a running cluster, never by a timed unit test.
 */
@Command(name = "bench",
        description = {
            "Write load against a running cluster; prints throughput and latency.",
            "Closed loop: N clients each keep one PUT in flight to the leader (found through --url's /v1/cluster)"
                    + " for the duration, after a warm-up. Prints throughput,"
                    + " latency percentiles (p50, p99, p999, max), errors, and per node the fsyncs and entries per"
                    + " fsync of the run.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar &        a local cluster to measure",
            "  java -jar raftline.jar bench --url http://localhost:8081 --clients 64 --duration 15s"})
final class BenchCommand implements Callable<Integer> {

    /** How long one request may take before it counts as an error. */
    private static final long REQUEST_TIMEOUT_MS = 5_000;

    @Spec
    private CommandSpec spec;

    @ParentCommand
    private RaftlineCommand root;

    @Option(names = "--url", required = true, paramLabel = "URL", converter = Converters.HttpUrlConverter.class,
            description = "Required. Any node's HTTP API, e.g. http://localhost:8081; the load goes to the leader"
                    + " that node names.")
    private URI url;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "16",
            description = "Concurrent clients, 1..10000. Default: ${DEFAULT-VALUE}.")
    private int clients;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
            converter = Converters.DurationConverter.class,
            description = "How long to measure, after the warm-up. Default: ${DEFAULT-VALUE}.")
    private Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "1s",
            converter = Converters.DurationConverter.class,
            description = "Load before measuring starts (connections, JIT). Default: ${DEFAULT-VALUE}.")
    private Duration warmup;

    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Bytes per value, 1..1048576. Default: ${DEFAULT-VALUE}.")
    private int valueSize;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000",
            description = "Distinct keys written (bench-0 ...), 1..10000000. Default: ${DEFAULT-VALUE}.")
    private int keys;

    @Override
    public Integer call() {
        return Bench.run(options(), root.out(), root.err());
    }

    /**
     * The run the options describe.
     *
     * @throws ParameterException for a value out of its bounds, naming the option
     */
    Bench.Options options() {
        inRange("--clients", clients, 10_000);
        inRange("--value-size", valueSize, 1 << 20);
        inRange("--keys", keys, 10_000_000);
        if (duration.isNegative() || duration.isZero()) {
            throw invalid("--duration", "must be > 0, got '" + duration.toMillis() + "ms'");
        }
        return new Bench.Options(url, clients, duration.toMillis(), warmup.toMillis(), valueSize, keys,
                REQUEST_TIMEOUT_MS);
    }

    private void inRange(String option, int value, int max) {
        if (value < 1 || value > max) {
            throw invalid(option, "must be an integer in 1.." + max + ", got " + value);
        }
    }

    private ParameterException invalid(String option, String rule) {
        return Main.invalidValue(spec, option, rule);
    }
}
