package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on the clustered event bus with TLS, a certificate of one CA per node and a cluster secret:
 * they elect a leader and serve writes with every frame tagged by the key of its pair of nodes. Then a fourth process
 * joins the bus holding node 3's certificate and key and the secret ({@link EventBusForger}) and sends node 1 vote
 * requests at term {@link EventBusForger#TERM} that claim to come from node 2, in the three ways a member could forge
 * them. Node 1 refuses them all before decoding or before any message reaches it: its term never reaches the forged
 * one, the refusals are counted as {@code sender_mismatch} in its {@code /metrics}, and the cluster keeps its leader
 * and serves writes. Without pair keys (a cluster-wide tag), the third forgery is accepted and node 1 jumps to the
 * forged term. Last, node 3's certificate is renewed on disk: nodes 1 and 2 take its announced chain (whether or not
 * they held its old one) and the leader keeps replicating to it. Slow: four JVMs that join Hazelcast.
 */
@Tag("slow")
class PeerAuthEventBusSenderTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String SECRET = "event-bus-secret-of-the-sender-test";

    /** Kept when a test fails: the nodes' and the forger's logs are what says why. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;
    private static final Map<Integer, Process> processes = new TreeMap<>();
    private static final Map<Integer, Integer> httpPorts = new TreeMap<>();
    private static HttpClient https;
    private static final NodeProcessCalls calls = new NodeProcessCalls(() -> https, processes, httpPorts, () -> dir);
    private static JsonObject base;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        for (int id = 1; id <= 3; id++) {
            TestCa.make(dir, "--node", String.valueOf(id));
        }
        JsonArray nodes = new JsonArray();
        // Node 4 is the forger's entry: a Hazelcast address of its own; it runs no node.
        for (int id = 1; id <= 4; id++) {
            httpPorts.put(id, FreePorts.next());
            nodes.add(new JsonObject().put("id", id).put("http_port", httpPorts.get(id)).put("bus_port", FreePorts.next())
                    .put("resp_port", -1).put("data_dir", dir.resolve("data-" + id).toString()));
        }
        base = new JsonObject().put("cluster_name", "peerauth-sender").put("seed", 7)
                .put("http_host", "127.0.0.1").put("transport", "eventbus")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 300).put("election_timeout_max_ms", 600)
                        .put("pre_vote", false).put("check_quorum", false));
        JsonArray members = new JsonArray(nodes.getList().subList(0, 3));
        for (int id = 1; id <= 3; id++) {
            JsonObject conf = base.copy().put("node_id", id).put("nodes", members)
                    .put("security", new JsonObject().put("cluster_secret", SECRET))
                    .put("tls", tls(id).put("reload_interval_ms", 300));
            Path file = dir.resolve("node-" + id + ".json");
            Files.writeString(file, conf.encodePrettily());
            processes.put(id, launch("node-" + id, "io.raftline.app.Main", "node", "--conf", file.toString()));
        }
        https = HttpClient.newBuilder().sslContext(TestCa.trusting(dir.resolve("ca.pem")))
                .connectTimeout(Duration.ofSeconds(5)).build();
        // The forger lists every member and itself, so that it joins their Hazelcast cluster.
        JsonObject forger = base.copy().put("node_id", 4).put("nodes", nodes)
                .put("security", new JsonObject().put("cluster_secret", SECRET).put("peer_identity", "any_member"))
                .put("tls", tls(3));
        Files.writeString(dir.resolve("forger.json"), forger.encodePrettily());
    }

    private static JsonObject tls(int certOf) {
        return new JsonObject().put("cert_file", dir.resolve("node-" + certOf + ".pem").toString())
                .put("key_file", dir.resolve("node-" + certOf + "-key.pem").toString())
                .put("ca_file", dir.resolve("ca.pem").toString());
    }

    @AfterAll
    static void stop() throws Exception {
        calls.stopAll();
    }

    @Test
    void aMemberClaimingAnotherMembersIdIsRefusedAndTheClusterServes() throws Exception {
        int leader = leader();
        int follower = leader == 1 ? 2 : 1;
        eventually("a write through a follower is acknowledged", WAIT, () -> send(follower, "PUT",
                "/v1/kv/pair-keys", "before").statusCode() == 200);
        eventually("the leader reads it back", WAIT, () -> "before".equals(send(leader, "GET", "/v1/kv/pair-keys",
                null).body()));
        long mismatches = refusals("sender_mismatch");

        processes.put(4, launch("forger", EventBusForger.class.getName(), dir.resolve("forger.json").toString(),
                dir.resolve("node-1.pem").toString(), SECRET));
        // Both pair-key forgeries name their writer (node 3); a few rounds of them.
        eventually("node 1 counts the forged frames as sender_mismatch", WAIT, () -> {
            assertNoForgedTerm();
            return refusals("sender_mismatch") >= mismatches + 6;
        });
        assertThat(Files.readString(dir.resolve("forger.log"))).contains("forger: round");
        assertNoForgedTerm();
        assertThat(refusals("bad_mac") + refusals("unknown_peer")).as("the cluster-wide forgery").isPositive();

        // The cluster kept serving meanwhile, with a leader at an ordinary term.
        int now = leader();
        eventually("a write after the forgeries is acknowledged", WAIT, () -> send(now == 1 ? 2 : 1, "PUT",
                "/v1/kv/pair-keys", "after").statusCode() == 200);
        eventually("every node reads it", WAIT, () -> {
            for (int id = 1; id <= 3; id++) {
                if (!"after".equals(send(id, "GET", "/v1/kv/pair-keys?consistency=stale", null).body())) {
                    return false;
                }
            }
            return true;
        });
        assertNoForgedTerm();
        assertThat(processes.get(4).isAlive()).as("the forger kept sending (log in " + dir + ")").isTrue();

        // Node 3's certificate is renewed on disk (a new key of the same CA): it derives new pair keys and announces
        // its chain; nodes 1 and 2 check it and use it, and node 3 keeps receiving what the leader replicates. What a
        // node logs when it takes the chain depends on whether it held node 3's old key: "renewed keys with" if it
        // did, "verified" if the two never exchanged a frame before (a follower and a follower that never campaigned
        // against each other: only a candidate or a leader asks its peers). Both name the serial of the chain taken,
        // and a node logs that line only once the pair key of that certificate is in use.
        TestCa.make(dir, "--node", "3");
        String taken = "node 3's certificate (serial " + ((java.security.cert.X509Certificate) TestCa.certificate(
                dir.resolve("node-3.pem"))).getSerialNumber().toString(16) + ")";
        eventually("nodes 1 and 2 use node 3's renewed certificate, " + taken + " (logs in " + dir + ")", WAIT,
                () -> log("node-1").contains(taken) && log("node-2").contains(taken));
        int last = leader();
        eventually("a write after the renewal reaches node 3", WAIT, () -> send(last, "PUT", "/v1/kv/renewed", "yes")
                .statusCode() == 200 && "yes".equals(send(3, "GET", "/v1/kv/renewed?consistency=stale", null).body()));
        assertNoForgedTerm();
    }

    private static String log(String name) throws Exception {
        return Files.readString(dir.resolve(name + ".log"));
    }

    // ---------------------------------------------------------------- helpers

    private static int leader() throws Exception {
        int[] leader = new int[1];
        eventually("a leader among nodes 1-3", WAIT, () -> {
            for (int id = 1; id <= 3; id++) {
                if ("Leader".equals(local(id).getString("role"))) {
                    leader[0] = id;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /** No node's term ever reaches the forged one: no forged vote request reached node 1. */
    private static void assertNoForgedTerm() throws Exception {
        for (int id = 1; id <= 3; id++) {
            assertThat(local(id).getLong("term")).as("node " + id + "'s term").isLessThan(EventBusForger.TERM);
        }
    }

    /** Node 1's count of event-bus refusals for a reason. */
    private static long refusals(String reason) throws Exception {
        String body = send(1, "GET", "/metrics", null).body();
        for (String line : body.split("\n")) {
            if (line.startsWith("raftline_peer_refusals_total{") && line.contains("reason=\"" + reason + "\"")
                    && line.contains("process=\"1\"") && line.contains("transport=\"eventbus\"")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no raftline_peer_refusals_total for " + reason + " in node 1's /metrics");
    }

    /** The node's own entry in its {@code /v1/cluster?scope=local}. */
    private static JsonObject local(int id) throws Exception {
        return calls.local(id);
    }

    private static HttpResponse<String> send(int id, String method, String path, String body) throws Exception {
        return calls.send(id, method, path, body);
    }

    private static Process launch(String name, String mainClass, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // INFO: the test reads which certificates each node took from its log.
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(javaBin, "-Xmx256m",
                "-Draftline.log.level=INFO",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(java.util.List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }
}
