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
            "Load against a running cluster (writes, reads or a mix); prints throughput and latency.",
            "Closed loop: N clients each keep one request in flight (PUT, or GET with --reads) for the duration,"
                    + " after a warm-up, to the leader (found through --url's /v1/cluster; on a sharded cluster each"
                    + " key's group's leader), to every node in turn"
                    + " (--target all: followers forward) or to --url itself (--target url). Prints throughput and"
                    + " HdrHistogram latency percentiles (p50, p90, p99, p999, max) per kind of request, errors, and per"
                    + " node the fsyncs and entries per fsync of the run. With reads, every key is written once first.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar &        a local cluster to measure",
            "  java -jar raftline.jar bench --url http://localhost:8081 --clients 64 --duration 15s",
            "  java -jar raftline.jar bench --url http://localhost:8081 --clients 64 --reads 100",
            "  java -jar raftline.jar bench --url http://localhost:8081 --reads 90 --consistency lease --target all"})
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

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:RAFTLINE_TOKEN}",
            description = "Bearer token (security.client_token). Default: the RAFTLINE_TOKEN environment variable.")
    private String token;

    @Option(names = "--cacert", paramLabel = "FILE", description = "PEM CA certificate(s) the nodes' certificates must"
            + " chain to (tls.ca_file). Calls over https. Default for https URLs: the JVM's trust store.")
    private java.nio.file.Path caCert;

    @Option(names = "--cert", paramLabel = "FILE", description = "PEM client certificate to present (with --key), for"
            + " nodes whose tls.client_auth asks for one. Calls over https.")
    private java.nio.file.Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM private key of --cert.")
    private java.nio.file.Path key;

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

    @Option(names = "--reads", paramLabel = "PERCENT", defaultValue = "0",
            description = "Share of requests that are reads, 0..100 (0 = writes only, 100 = reads only)."
                    + " Default: ${DEFAULT-VALUE}.")
    private int reads;

    @Option(names = "--consistency", paramLabel = "KIND", defaultValue = "linearizable",
            description = "Consistency of the reads: linearizable, lease or stale. Default: ${DEFAULT-VALUE}.")
    private String consistency;

    @Option(names = "--target", paramLabel = "WHERE", defaultValue = "leader",
            description = "Where the clients send: leader (on a sharded cluster, each key's group's leader), all (every"
                    + " node in turn) or url (--url itself)."
                    + " Default: ${DEFAULT-VALUE}.")
    private String target;

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
        if (reads < 0 || reads > 100) {
            throw invalid("--reads", "must be a percentage in 0..100, got " + reads);
        }
        if (!java.util.List.of("linearizable", "lease", "stale").contains(consistency)) {
            throw invalid("--consistency", "must be linearizable, lease or stale, got '" + consistency + "'");
        }
        Bench.Target where = switch (target) {
            case "leader" -> Bench.Target.LEADER;
            case "all" -> Bench.Target.ALL;
            case "url" -> Bench.Target.URL;
            default -> throw invalid("--target", "must be leader, all or url, got '" + target + "'");
        };
        ClientTls tls = new ClientTls(caCert, cert, key);
        try {
            tls.check();
        } catch (ClientTls.InvalidOption e) {
            throw invalid(cert == null ? "--key" : "--cert", e.getMessage());
        }
        return new Bench.Options(tls.apply(url), clients, duration.toMillis(), warmup.toMillis(), valueSize, keys,
                REQUEST_TIMEOUT_MS, reads, consistency, where, token == null ? "" : token, tls);
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
