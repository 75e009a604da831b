package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose client and admin ports speak TLS with a certificate from {@code bin/tls-ca.sh}: clients that trust
 * the CA read and write (through a follower, which forwards to the leader over TLS), clients that do not are refused
 * at the handshake. Slow: it runs openssl (a child process) and TLS handshakes on a cold JVM.
 */
@Tag("slow")
class TlsTest {

    @TempDir
    static Path dir;
    private static InJvmCluster cluster;
    private static HttpClient trusting;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir);
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 29)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node.pem").toString())
                        .put("key_file", dir.resolve("node-key.pem").toString())
                        .put("ca_file", dir.resolve("ca.pem").toString()))).start();
        trusting = HttpClient.newBuilder().sslContext(TestCa.trusting(dir.resolve("ca.pem")))
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void clientsThatTrustTheCaReadAndWriteThroughAnyNode() throws Exception {
        int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
        int follower = leader % 3 + 1;
        URI base = cluster.nodeUrls().get(follower);
        assertThat(base.getScheme()).isEqualTo("https");
        HttpResponse<String> put = trusting.send(HttpRequest.newBuilder(base.resolve("/v1/kv/secret"))
                .PUT(HttpRequest.BodyPublishers.ofString("s3")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(put.headers().firstValue("Raft-Served-By")).hasValue(String.valueOf(leader));
        HttpResponse<String> get = trusting.send(HttpRequest.newBuilder(base.resolve("/v1/kv/secret")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.body()).isEqualTo("s3");
        HttpResponse<String> admin = trusting.send(HttpRequest.newBuilder(URI.create(cluster.liveViewUrl()
                + "/v1/cluster")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(cluster.liveViewUrl()).startsWith("https://");
        // The URLs the cluster lists are the ones clients must use: https, not http.
        io.vertx.core.json.JsonObject status = new io.vertx.core.json.JsonObject(admin.body());
        assertThat(status.getJsonArray("nodes").stream().map(n -> ((io.vertx.core.json.JsonObject) n).getString("url")))
                .allMatch(url -> url.startsWith("https://"));
        HttpResponse<String> members = trusting.send(HttpRequest.newBuilder(base.resolve("/v1/members")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new io.vertx.core.json.JsonObject(members.body()).getJsonArray("members").stream()
                .map(m -> ((io.vertx.core.json.JsonObject) m).getString("url"))).allMatch(url -> url.startsWith("https://"));
    }

    @Test
    void clientsThatDoNotTrustItAreRefusedAtTheHandshake() {
        URI base = cluster.nodeUrls().get(1);
        assertThatThrownBy(() -> TestHttp.builder().build().send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void theConfigurationNamesAMissingFile() {
        assertThatThrownBy(() -> io.raftline.config.RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", new JsonObject().put("cert_file", dir.resolve("nope.pem").toString())
                        .put("key_file", dir.resolve("node-key.pem").toString()))))
                .hasMessageStartingWith("tls.cert_file: cannot read ");
        assertThatThrownBy(() -> io.raftline.config.RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node.pem").toString()))))
                .hasMessageStartingWith("tls.key_file: is required with tls.cert_file");
    }
}
