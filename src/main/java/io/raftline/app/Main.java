package io.raftline.app;

import io.raftline.config.ConfigLoader;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.server.ClusterVerticle;
import io.raftline.server.Metrics;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command line of {@code raftline.jar}.
 *
 * <pre>
 * java -jar raftline.jar                          local 3-node cluster in one JVM (conf/local-3.json)
 * java -jar raftline.jar local [--conf FILE]      local cluster from FILE (e.g. conf/local-5.json)
 * java -jar raftline.jar node --conf FILE         one node of a cluster per process (FILE names node_id)
 * java -jar raftline.jar bench --url URL [...]    load generator against a running cluster
 * java -jar raftline.jar verify [...]             nemesis run with a linearizability check (own cluster)
 * java -jar raftline.jar help                     this text
 * </pre>
 * Exit codes: 0 running or done, 1 failed at run time (e.g. a port in use), 2 bad usage or configuration.
 */
public final class Main {

    /** Exit code for bad usage or configuration. */
    public static final int USAGE = 2;
    /** Exit code for a failure at run time. */
    public static final int FAILURE = 1;
    /** The configuration used when none is given. */
    public static final String DEFAULT_LOCAL_CONF = "conf/local-3.json";

    static final String USAGE_TEXT = String.join("\n",
            "Usage: java -jar raftline.jar [COMMAND] [OPTIONS]",
            "",
            "Commands:",
            "  (none) | local [--conf FILE]   run a local cluster in one JVM (default " + DEFAULT_LOCAL_CONF + ":",
            "                                 admin/UI on 8080, nodes on 8081..8083)",
            "  node --conf FILE               run one node of a cluster (FILE sets node_id), e.g. conf/node-1.json",
            "                                 or conf/single-node.json",
            "  bench --url URL [--clients N] [--duration 10s] [--value-size 100] [--keys 1000] [--warmup 1s]",
            "                                 write load against a running cluster; prints throughput and latency",
            "  verify [--duration 60s] [--clients 8] [--keys 10] [--nemesis partition,crash,pause,stall,delay,drop]",
            "         [--mode local|processes] [--out DIR] [--consistency linearizable|lease|stale]",
            "         [--lease-reads 33%] [--seed N]",
            "                                 start a cluster, inject faults under random client load, check the history",
            "                                 for linearizability; exit 0 if clean, 1 if not (docs/verify.md, Nemesis).",
            "                                 stall = SIGSTOP/SIGCONT of a node (the leader 3 times in 4; freeze/thaw in",
            "                                 local mode) while probes send it reads; --lease-reads is the share of reads",
            "                                 sent with consistency=lease (checked like linearizable ones; 0 for none)",
            "  help                           show this text",
            "",
            "Configuration overrides: -Draftline.<path>=V or RAFTLINE_<PATH>=V, e.g. -Draftline.raft.heartbeat_ms=50,",
            "RAFTLINE_NODES_1_HTTP_PORT=9081, RAFTLINE_ADMIN_TOKEN=secret (see docs/configuration.md, docs/http-api.md).",
            "Exit codes: 0 ok, 1 runtime failure (e.g. port in use), 2 bad usage or configuration.");

    private Main() {
    }

    /**
     * Entry point. Exits only on failure: a running cluster keeps the JVM alive until Ctrl-C.
     *
     * @param args command line
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs a command.
     *
     * @param args command line
     * @param out  standard output
     * @param err  standard error
     * @return the exit code (0 while a server keeps running in the background)
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> a = Arrays.asList(args);
        String command = a.isEmpty() ? "local" : a.get(0);
        List<String> rest = a.isEmpty() ? List.of() : a.subList(1, a.size());
        switch (command) {
            case "help", "--help", "-h":
                out.println(USAGE_TEXT);
                return 0;
            case "local":
                return local(rest, out, err);
            case "node":
                return node(rest, out, err);
            case "bench":
                return Bench.run(rest, out, err);
            case "verify":
                return Verify.run(rest, out, err);
            default:
                err.println("raftline: unknown command '" + command + "'");
                err.println(USAGE_TEXT);
                return USAGE;
        }
    }

    /** Parses {@code [--conf FILE]}; returns null (after printing usage) if the arguments are wrong. */
    private static String confOption(List<String> args, boolean required, PrintStream err) {
        String conf = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if ((arg.equals("--conf") || arg.equals("-conf")) && i + 1 < args.size()) {
                conf = args.get(++i);
            } else if (arg.startsWith("--conf=")) {
                conf = arg.substring("--conf=".length());
            } else {
                err.println("raftline: unexpected argument '" + arg + "'");
                err.println(USAGE_TEXT);
                return null;
            }
        }
        if (conf == null && required) {
            err.println("raftline: missing --conf FILE");
            err.println(USAGE_TEXT);
            return null;
        }
        return conf == null ? DEFAULT_LOCAL_CONF : conf;
    }

    private static int local(List<String> args, PrintStream out, PrintStream err) {
        String conf = confOption(args, false, err);
        if (conf == null) {
            return USAGE;
        }
        Vertx vertx = Vertx.vertx(Metrics.enable(new io.vertx.core.VertxOptions()));
        RaftlineConfig config;
        try {
            config = ConfigLoader.load(vertx, Path.of(conf)).await();
            if (config.nodeId() != 0) {
                throw new ConfigException("node_id", "is set (" + config.nodeId() + "): this file describes one node"
                        + " of a per-process cluster; run it with `node --conf " + conf + "`");
            }
        } catch (ConfigException e) {
            err.println("raftline: invalid configuration " + conf + ": " + e.getMessage());
            closeQuietly(vertx);
            return USAGE;
        }
        ClusterVerticle cluster = new ClusterVerticle(config);
        try {
            vertx.deployVerticle(cluster).await();
        } catch (Exception e) {
            err.println("raftline: cannot start the local cluster: " + e.getMessage());
            closeQuietly(vertx);
            return FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("raftline: shutting down");
            closeQuietly(vertx);
        }, "raftline-shutdown"));
        try {
            int leader = cluster.awaitLeader(30_000).await();
            out.println(banner(config, cluster, leader));
        } catch (Exception e) {
            err.println("raftline: the cluster is running but " + e.getMessage());
        }
        return 0;
    }

    static String banner(RaftlineConfig config, ClusterVerticle cluster, int leader) {
        StringBuilder sb = new StringBuilder();
        sb.append("\nRaftline ").append(config.nodes().size()).append("-node local cluster is up; leader: node ")
                .append(leader).append('\n');
        if (cluster.adminUrl() != null) {
            sb.append("  UI / admin : ").append(localhost(cluster.adminUrl())).append('\n');
        }
        for (int id : cluster.nodes().keySet()) {
            sb.append("  node ").append(id).append("     : ").append(localhost(cluster.nodeUrl(id))).append('\n');
        }
        String first = localhost(cluster.nodeUrl(cluster.nodes().keySet().iterator().next()));
        String last = localhost(cluster.nodeUrl(config.nodes().get(config.nodes().size() - 1).id()));
        sb.append("Try:\n");
        sb.append("  curl -X PUT --data-binary 'hello' ").append(first).append("/v1/kv/greeting\n");
        sb.append("  curl ").append(last).append("/v1/kv/greeting\n");
        if (cluster.adminUrl() != null) {
            sb.append("  curl ").append(localhost(cluster.adminUrl())).append("/v1/cluster\n");
            sb.append("  curl -X POST ").append(localhost(cluster.adminUrl())).append("/v1/admin/nodes/")
                    .append(leader).append("/crash\n");
        }
        sb.append("Ctrl-C stops the cluster.");
        return sb.toString();
    }

    private static String localhost(String url) {
        return url.replace("://127.0.0.1:", "://localhost:");
    }

    private static int node(List<String> args, PrintStream out, PrintStream err) {
        String conf = confOption(args, true, err);
        if (conf == null) {
            return USAGE;
        }
        RaftlineConfig config;
        // Read and validate before the launcher starts anything: a bad file must not bind a port.
        Vertx reader = Vertx.vertx();
        try {
            config = ConfigLoader.load(reader, Path.of(conf)).await();
            if (config.nodeId() == 0) {
                throw new ConfigException("node_id", "is required in node mode (which node does this process run?)");
            }
        } catch (ConfigException e) {
            err.println("raftline: invalid configuration " + conf + ": " + e.getMessage());
            return USAGE;
        } finally {
            closeQuietly(reader);
        }
        return new NodeApplication(config, out, err).launch();
    }

    private static void closeQuietly(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // shutting down anyway
        }
    }
}
