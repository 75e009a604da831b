package io.raftline.app;

import io.raftline.config.ConfigLoader;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.server.ClusterVerticle;
import io.raftline.server.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * {@code raftline.jar local}, also what runs with no command: every node of a cluster in this JVM, with the live
 * view and the admin API, for trying Raftline out and watching it. It returns once the cluster is up and has
 * printed its URLs; the event loops keep the JVM alive until Ctrl-C.
 */
@Command(name = "local",
        description = {
            "Run a local cluster in this JVM (the default command).",
            "Every node of the cluster in one JVM, with the live view and the admin API for fault injection. It"
                    + " prints the URLs once a leader is elected; Ctrl-C stops the cluster.",
            "The configuration (--conf) lists the nodes and has no node_id; without --conf, "
                    + Main.DEFAULT_LOCAL_CONF + ".",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar local                                UI on :8080, nodes on :8081..8083",
            "  java -jar raftline.jar local --conf conf/local-5.json       five nodes",
            "  java -Draftline.storage.engine=memory -jar raftline.jar local   nothing written to disk"})
final class LocalCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Mixin
    private ConfOption conf;

    @Override
    public Integer call() {
        return start(conf.file() == null ? Main.DEFAULT_LOCAL_CONF : conf.file(), root.out(), root.err());
    }

    /**
     * Starts the cluster that {@code conf} describes and prints its URLs once it has a leader.
     *
     * @return 0 when running, 1 when it could not start, 2 for a bad configuration
     */
    static int start(String conf, PrintStream out, PrintStream err) {
        // The configuration is read first: it says how many event loops the cluster's Vert.x has.
        RaftlineConfig config;
        try {
            config = ConfigLoader.read(Path.of(conf));
            if (config.nodeId() != 0) {
                throw new ConfigException("node_id", "is set (" + config.nodeId() + "): this file describes one node"
                        + " of a per-process cluster; run it with `node --conf " + conf + "`");
            }
        } catch (ConfigException e) {
            err.println("raftline: invalid configuration " + conf + ": " + e.getMessage());
            return Main.USAGE;
        }
        Vertx vertx = Metrics.vertx(Metrics.enable(config.vertxOptions(new VertxOptions())));
        FatalErrors.install(vertx);
        ClusterVerticle cluster = new ClusterVerticle(config);
        try {
            vertx.deployVerticle(cluster).await();
        } catch (Exception e) {
            err.println("raftline: cannot start the local cluster: " + e.getMessage());
            Main.closeQuietly(vertx);
            return Main.FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("raftline: shutting down");
            Main.closeQuietly(vertx);
        }, "raftline-shutdown"));
        try {
            int leader = cluster.awaitLeader(30_000).await();
            out.println(banner(config, cluster, leader, cluster.describe().await()));
        } catch (Exception e) {
            err.println("raftline: the cluster is running but " + e.getMessage());
        }
        return 0;
    }

    static String banner(RaftlineConfig config, ClusterVerticle cluster, int leader, JsonObject state) {
        StringBuilder sb = new StringBuilder();
        sb.append("\nRaftline ").append(cluster.nodes().size()).append("-node local cluster");
        JsonArray groups = state.getJsonArray("groups", new JsonArray());
        if (groups.size() > 1) {
            // Group 0's leader alone would say little of a sharded cluster: how many groups each node leads.
            Map<Integer, Integer> led = new TreeMap<>();
            for (int g = 0; g < groups.size(); g++) {
                led.merge(groups.getJsonObject(g).getInteger("leader", 0), 1, Integer::sum);
            }
            sb.append(" of ").append(groups.size()).append(" Raft groups is up; groups led:");
            led.forEach((node, count) -> sb.append(" node ").append(node).append(" ").append(count).append(','));
            sb.setLength(sb.length() - 1);
            sb.append('\n');
        } else {
            sb.append(" is up; leader: node ").append(leader).append('\n');
        }
        if (cluster.adminUrl() != null) {
            sb.append("  UI / admin : ").append(localhost(cluster.adminUrl())).append('\n');
        }
        // With TLS every example names the CA the nodes' certificates chain to (curl and redis-cli would not trust a
        // trial CA) and redis-cli speaks TLS; with client certificates the examples present one ($CERT and $KEY).
        boolean certificates = config.tls().clientAuth().enabled();
        String ca = config.tls().enabled() && !config.tls().caFile().isEmpty()
                ? "--cacert " + config.tls().caFile() + " " : "";
        String clientCert = certificates ? "--cert \"$CERT\" --key \"$KEY\" " : "";
        String redisTls = config.tls().enabled() ? "--tls " + ca + clientCert : "";
        for (int id : cluster.nodes().keySet()) {
            sb.append("  node ").append(id).append("     : ").append(localhost(cluster.nodeUrl(id)));
            String resp = cluster.respAddress(id);
            if (resp != null) {
                sb.append("   redis-cli ").append(redisTls).append("-p ")
                        .append(resp.substring(resp.lastIndexOf(':') + 1));
            }
            sb.append('\n');
        }
        String first = localhost(cluster.nodeUrl(cluster.nodes().keySet().iterator().next()));
        List<Integer> ids = List.copyOf(cluster.nodes().keySet());
        String last = localhost(cluster.nodeUrl(ids.get(ids.size() - 1)));
        // With a client token the key-value examples carry it (taken from $TOKEN: the banner never prints secrets).
        String auth = ca + (certificates ? clientCert
                : config.clientAccess().required() ? "-H \"Authorization: Bearer $TOKEN\" " : "");
        sb.append("Try:\n");
        if (certificates) {
            sb.append("  (the KV ports ask for a client certificate of tls.ca_file: bin/tls-ca.sh DIR --client NAME"
                    + " makes CERT=DIR/client-NAME.pem and KEY=DIR/client-NAME-key.pem)\n");
        } else if (config.clientAccess().required()) {
            sb.append("  (the KV API asks for security.client_token: TOKEN=<it>; redis-cli -a \"$TOKEN\")\n");
        }
        sb.append("  curl ").append(auth).append("-X PUT --data-binary 'hello' ").append(first)
                .append("/v1/kv/greeting\n");
        sb.append("  curl ").append(auth).append(last).append("/v1/kv/greeting\n");
        if (cluster.adminUrl() != null) {
            sb.append("  curl ").append(ca).append(localhost(cluster.adminUrl())).append("/v1/cluster\n");
            sb.append("  curl ").append(ca).append("-X POST ").append(localhost(cluster.adminUrl()))
                    .append("/v1/admin/nodes/")
                    .append(leader).append("/crash\n");
        }
        for (String advice : config.advisories()) {
            sb.append("Note: ").append(advice).append('\n');
        }
        sb.append("Ctrl-C stops the cluster.");
        return sb.toString();
    }

    private static String localhost(String url) {
        return url.replace("://127.0.0.1:", "://localhost:");
    }
}
