package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that is not on loopback, for real: the test creates a network namespace and a veth pair
 * ({@code 10.213.N.1/30} on the host side, {@code 10.213.N.2/30} inside), runs a three-node gRPC-transport cluster with
 * TLS bound to the host-side address, and runs curl inside the namespace. That client is refused by the admin API
 * without the token ({@code trust_loopback} is on, but it is not loopback) and accepted with it; it reads and writes
 * keys over TLS without a client certificate; and its Raft call, without a certificate, is UNAUTHENTICATED. Traffic
 * goes only to the pair's addresses. The namespace and the pair are deleted in {@link #removeNetwork()} whatever
 * happened. Needs root, {@code ip}, {@code curl} and {@code openssl}; skipped otherwise.
 */
@Tag("slow")
class PeerAuthNamespaceTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "namespace-test-admin-token";

    @TempDir
    static Path dir;
    private static final long TAG = ProcessHandle.current().pid() % 200 + 20;
    private static final String NS = "rlpa" + TAG;
    private static final String HOST_IF = "rlpah" + TAG;
    private static final String NS_IF = "rlpan" + TAG;
    private static final String HOST_ADDR = "10.213." + TAG + ".1";
    private static final String NS_ADDR = "10.213." + TAG + ".2";
    private static boolean created;
    private static Vertx vertx;
    private static ClusterVerticle cluster;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to create a network namespace and a veth pair (ip netns add, ip link add)");
        for (String tool : List.of("/usr/sbin/ip", "/usr/bin/curl", "/usr/bin/openssl")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is needed");
        }
        created = true;
        run("ip", "netns", "add", NS);
        run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF);
        run("ip", "link", "set", NS_IF, "netns", NS);
        run("ip", "addr", "add", HOST_ADDR + "/30", "dev", HOST_IF);
        run("ip", "link", "set", HOST_IF, "up");
        run("ip", "netns", "exec", NS, "ip", "addr", "add", NS_ADDR + "/30", "dev", NS_IF);
        run("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up");

        run("bin/tls-ca.sh", dir.toString(), "--node", "1,2,3", HOST_ADDR);
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            nodes.add(new JsonObject().put("id", id).put("http_port", 0).put("resp_port", -1));
        }
        JsonObject conf = ClusterConfigs.cluster(3, 47).put("http_host", HOST_ADDR).put("nodes", nodes)
                .put("transport", "grpc").put("storage", new JsonObject().put("engine", "memory"))
                .put("admin", new JsonObject().put("host", HOST_ADDR).put("port", 0).put("token", TOKEN))
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node-1-2-3.pem").toString())
                        .put("key_file", dir.resolve("node-1-2-3-key.pem").toString())
                        .put("ca_file", dir.resolve("ca.pem").toString()));
        vertx = Vertx.vertx();
        cluster = new ClusterVerticle(RaftlineConfig.fromJson(conf));
        await(vertx.deployVerticle(cluster), WAIT);
        await(cluster.awaitLeader(WAIT.toMillis()), WAIT);
    }

    @AfterAll
    static void removeNetwork() throws Exception {
        try {
            if (vertx != null) {
                await(vertx.close(), WAIT);
            }
        } finally {
            if (created) {
                // Deleting one end of a veth pair deletes both; the namespace goes with whatever is left in it.
                quietly("ip", "link", "del", HOST_IF);
                quietly("ip", "netns", "del", NS);
                assertThat(output("ip", "netns", "list")).doesNotContain(NS);
                assertThat(output("ip", "-o", "link", "show")).doesNotContain(HOST_IF);
            }
        }
    }

    @Test
    void theAdminApiRefusesAClientOffLoopbackWithoutTheTokenAndAcceptsItWithTheToken() throws Exception {
        String admin = cluster.adminUrl();
        assertThat(admin).startsWith("https://" + HOST_ADDR + ":");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", admin + "/v1/admin/network"))
                .isEqualTo("403");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "-H", "Authorization: Bearer "
                + TOKEN, admin + "/v1/admin/network")).isEqualTo("200");
    }

    @Test
    void aClientWithoutCertificateUsesTheKvApiButItsRaftCallIsUnauthenticated() throws Exception {
        String node = cluster.nodeUrl(2);
        // A young cluster may still change leaders (503 with Retry-After): retried, as a client would.
        String[] status = new String[1];
        io.raftline.verify.nemesis.Waits.eventually("a write from the namespace answered other than 503", WAIT, () -> {
            status[0] = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", "from-namespace",
                    node + "/v1/kv/netns");
            return !"503".equals(status[0]);
        });
        assertThat(status[0]).isEqualTo("200");
        assertThat(curl(node + "/v1/kv/netns")).isEqualTo("from-namespace");
        // An empty gRPC message (no compression flag, length 0) on RaftService/Stream, over HTTP/2.
        Path frame = Files.write(dir.resolve("empty-frame"), new byte[5]);
        String head = curl("--http2", "-i", "-o", "-", "-X", "POST", "-H", "content-type: application/grpc",
                "-H", "te: trailers", "--data-binary", "@" + frame, node + "/raftline.raft.v1.RaftService/Stream");
        assertThat(head.toLowerCase()).contains("grpc-status: 16");
    }

    // ---------------------------------------------------------------- helpers

    /** curl inside the namespace, trusting the cluster CA, presenting no certificate. */
    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NS, "curl", "-sS", "--max-time", "10",
                "--cacert", dir.resolve("ca.pem").toString()));
        command.addAll(List.of(args));
        return run(command.toArray(String[]::new));
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    private static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static void quietly(String... command) {
        try {
            output(command);
        } catch (Exception e) {
            // Best effort: the assertions after it say whether the network is gone.
        }
    }
}
