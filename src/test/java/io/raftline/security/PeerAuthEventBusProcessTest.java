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
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on the clustered event bus with TLS and a cluster secret: nodes 1 and 2 hold certificates of
 * the cluster CA, node 3 one of another CA (it trusts the cluster CA and knows the secret, so only its certificate
 * differs). Nodes 1 and 2 elect a leader and replicate a write made through the follower; node 3 is cut off from the
 * Raft traffic both ways: it never hears the leader (it keeps starting elections, its term climbs past the leader's,
 * and it holds no entry), and its vote requests never reach nodes 1 and 2 (pre-vote and check-quorum are off, so a
 * single one would make the leader step down to node 3's higher term: the leader keeps its term). Slow: three JVMs
 * that join Hazelcast.
 */
@Tag("slow")
class PeerAuthEventBusProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String SECRET = "event-bus-secret-of-the-test-cluster";

    @TempDir
    static Path dir;
    private static final Map<Integer, Process> processes = new TreeMap<>();
    private static final Map<Integer, Integer> httpPorts = new TreeMap<>();
    private static HttpClient https;
    private static final NodeProcessCalls calls = new NodeProcessCalls(() -> https, processes, httpPorts, () -> dir);

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir, "--node", "1");
        TestCa.make(dir, "--node", "2");
        TestCa.make(dir.resolve("other"), "--node", "3");
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            httpPorts.put(id, FreePorts.next());
            nodes.add(new JsonObject().put("id", id).put("http_port", httpPorts.get(id)).put("bus_port", FreePorts.next())
                    .put("resp_port", -1).put("data_dir", dir.resolve("data-" + id).toString()));
        }
        JsonObject base = new JsonObject().put("cluster_name", "peerauth-bus").put("seed", 5)
                .put("http_host", "127.0.0.1").put("nodes", nodes).put("transport", "eventbus")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 300).put("election_timeout_max_ms", 600)
                        .put("pre_vote", false).put("check_quorum", false))
                .put("security", new JsonObject().put("cluster_secret", SECRET));
        for (int id = 1; id <= 3; id++) {
            Path certs = id == 3 ? dir.resolve("other") : dir;
            JsonObject conf = base.copy().put("node_id", id).put("tls", new JsonObject()
                    .put("cert_file", certs.resolve("node-" + id + ".pem").toString())
                    .put("key_file", certs.resolve("node-" + id + "-key.pem").toString())
                    .put("ca_file", dir.resolve("ca.pem").toString()));
            Path file = dir.resolve("node-" + id + ".json");
            Files.writeString(file, conf.encodePrettily());
            processes.put(id, launch(id, file));
        }
        https = HttpClient.newBuilder()
                .sslContext(TestCa.trusting(dir.resolve("ca.pem"), dir.resolve("other/ca.pem")))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        calls.stopAll();
    }

    @Test
    void theTrustedNodesReplicateAndTheUntrustedProcessGetsNoRaftTraffic() throws Exception {
        int[] leader = new int[1];
        long[] leaderTerm = new long[1];
        eventually("node 1 or 2 leads", WAIT, () -> {
            assertNode3KnowsNoLeader();
            for (int id = 1; id <= 2; id++) {
                JsonObject self = local(id);
                if ("Leader".equals(self.getString("role"))) {
                    leader[0] = id;
                    leaderTerm[0] = self.getLong("term");
                    return true;
                }
            }
            return false;
        });
        int follower = 3 - leader[0];
        eventually("a write through the follower is acknowledged", WAIT, () -> send(follower, "PUT",
                "/v1/kv/bus-secret", "tls").statusCode() == 200);
        eventually("the leader reads it back", WAIT, () -> "tls".equals(send(leader[0], "GET", "/v1/kv/bus-secret",
                null).body()));
        // Node 3 never hears a heartbeat, so it keeps campaigning at ever higher terms; none of its vote requests
        // reaches the leader, which would otherwise step down to that term.
        eventually("node 3's term climbs well past the leader's", WAIT, () -> assertNode3KnowsNoLeader()
                .getLong("term") > leaderTerm[0] + 3);
        JsonObject l = local(leader[0]);
        assertThat(l.getString("role")).isEqualTo("Leader");
        assertThat(l.getLong("term")).isEqualTo(leaderTerm[0]);
        JsonObject three = assertNode3KnowsNoLeader();
        assertThat(three.getString("role")).isNotEqualTo("Follower");
        assertThat(three.getLong("commit", 0L)).isZero();
        assertThat(send(3, "GET", "/v1/kv/bus-secret?consistency=stale", null).statusCode()).isNotEqualTo(200);
    }

    // ---------------------------------------------------------------- helpers

    /** Node 3 never hears from a leader: asked at every step of every wait, not once at the end. */
    private static JsonObject assertNode3KnowsNoLeader() throws Exception {
        JsonObject three = local(3);
        assertThat(three.getInteger("leader", 0)).as("the leader node 3 knows: " + three).isZero();
        return three;
    }

    /** The node's own entry in its {@code /v1/cluster?scope=local}. */
    private static JsonObject local(int id) throws Exception {
        return calls.local(id);
    }

    private static HttpResponse<String> send(int id, String method, String path, String body) throws Exception {
        return calls.send(id, method, path, body);
    }

    private static Process launch(int id, Path conf) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.raftline.app.Main", "node", "--conf", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("node-" + id + ".log").toFile()).start();
    }
}
