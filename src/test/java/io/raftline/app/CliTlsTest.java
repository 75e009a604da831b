package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The client commands against a cluster that serves only TLS and requires client certificates
 * ({@code tls.client_auth: "required"}): with {@code --cacert}, {@code --cert} and {@code --key} every command that talks
 * to a node works ({@code kv}, {@code cluster}, {@code members}, {@code snapshot save}, {@code bench}), also when the URL
 * given says http; without the client certificate the node refuses the handshake, and a certificate without its key is
 * a usage error. Slow: openssl child processes and TLS handshakes on a cold JVM.
 */
@Tag("slow")
class CliTlsTest {

    @TempDir
    static Path dir;
    private static InJvmCluster cluster;
    private static String follower;

    private static void tlsCa(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bin/tls-ca.sh", dir.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        tlsCa("--node", "1,2,3");
        tlsCa("--client", "app1");
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 71, 3000)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node-1-2-3.pem").toString())
                        .put("key_file", dir.resolve("node-1-2-3-key.pem").toString())
                        .put("ca_file", dir.resolve("ca.pem").toString()).put("client_auth", "required"))).start();
        int leader = await(cluster.verticle().awaitLeader(10_000));
        follower = cluster.nodeUrls().get(leader % 3 + 1).toString();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The command with the TLS options of client app1 and the follower's URL. */
    private static MainTest.Result tls(String url, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--cacert", dir.resolve("ca.pem").toString(), "--cert",
                dir.resolve("client-app1.pem").toString(), "--key", dir.resolve("client-app1-key.pem").toString()));
        return MainTest.run(all.toArray(String[]::new));
    }

    @Test
    void everyClientCommandReachesATlsClusterWithItsClientCertificate() throws Exception {
        MainTest.Result put = tls(follower, "kv", "put", "color", "blue");
        assertThat(put.code()).as(put.err()).isZero();
        assertThat(new JsonObject(put.out().trim()).getLong("revision")).isPositive();
        // The same node named with http: the TLS options make it https.
        URI plain = URI.create(follower.replace("https://", "http://"));
        MainTest.Result get = tls(plain.toString(), "kv", "get", "color");
        assertThat(get.code()).as(get.err()).isZero();
        assertThat(get.out().trim()).isEqualTo("blue");
        MainTest.Result list = tls(follower, "kv", "list", "--prefix", "co");
        assertThat(new JsonObject(list.out().trim()).getInteger("count")).isEqualTo(1);
        MainTest.Result watch = tls(follower, "kv", "watch", "--prefix", "co", "--from-revision", "1", "--count", "1");
        assertThat(watch.code()).as(watch.err()).isZero();
        assertThat(new JsonObject(watch.out().trim()).getString("key")).isEqualTo("color");
        MainTest.Result status = tls(follower, "cluster", "status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(new JsonObject(status.out().trim()).getInteger("leader")).isPositive();
        MainTest.Result members = tls(follower, "members", "list");
        assertThat(members.code()).as(members.err()).isZero();
        Path backup = dir.resolve("backup.bin");
        MainTest.Result save = tls(follower, "snapshot", "save", backup.toString());
        assertThat(save.code()).as(save.err()).isZero();
        assertThat(backup).exists();
        MainTest.Result bench = tls(follower, "bench", "--clients", "2", "--duration", "1s", "--warmup", "200ms",
                "--keys", "10");
        assertThat(bench.code()).as(bench.err() + bench.out()).isZero();
        assertThat(bench.out()).contains("bench:");
    }

    @Test
    void withoutTheClientCertificateTheNodeRefusesAndACertificateNeedsItsKey() {
        MainTest.Result noCert = MainTest.run("kv", "get", "color", "--url", follower, "--cacert",
                dir.resolve("ca.pem").toString());
        assertThat(noCert.code()).isEqualTo(1);
        assertThat(noCert.err()).contains("cannot reach");
        MainTest.Result noKey = MainTest.run("kv", "get", "color", "--url", follower, "--cacert",
                dir.resolve("ca.pem").toString(), "--cert", dir.resolve("client-app1.pem").toString());
        assertThat(noKey.code()).isEqualTo(2);
        assertThat(noKey.err()).contains("--cert needs --key");
        MainTest.Result benchNoKey = MainTest.run("bench", "--url", follower, "--cert",
                dir.resolve("client-app1.pem").toString());
        assertThat(benchNoKey.code()).isEqualTo(2);
        assertThat(benchNoKey.err()).contains("--cert needs --key");
    }
}
