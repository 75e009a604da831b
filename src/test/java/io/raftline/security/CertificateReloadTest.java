package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewed certificate is picked up without a restart: the files are replaced under a running cluster, and new
 * connections to every listener get the new certificate while the cluster keeps serving, forwarding included; a
 * renewal caught half-way (a certificate whose key is not there yet) keeps the old pair until the key arrives.
 */
@Tag("slow")
class CertificateReloadTest {

    @TempDir
    Path dir;

    /** The certificate a listener presents to a new connection. */
    private static Certificate presented(SSLContext ssl, URI url) throws Exception {
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }



    @Test
    void aRenewedCertificateReachesNewConnectionsOfEveryListener() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        Path live = dir.resolve("live");
        TestCa.make(first);
        TestCa.make(second);
        Files.createDirectories(live);
        for (String f : new String[] {"ca.pem", "node.pem", "node-key.pem"}) {
            Files.copy(first.resolve(f), live.resolve(f));
        }
        SSLContext both = TestCa.trusting(first.resolve("ca.pem"), second.resolve("ca.pem"));
        HttpClient http = HttpClient.newBuilder().sslContext(both).connectTimeout(Duration.ofSeconds(10)).build();
        try (InJvmCluster cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 41)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("tls", new JsonObject().put("cert_file", live.resolve("node.pem").toString())
                        .put("key_file", live.resolve("node-key.pem").toString())
                        .put("ca_file", live.resolve("ca.pem").toString()).put("reload_interval_ms", 200))).start()) {
            int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
            URI follower = cluster.nodeUrls().get(leader % 3 + 1);
            URI admin = URI.create(cluster.liveViewUrl());
            Certificate old = TestCa.certificate(first.resolve("node.pem"));
            Certificate renewed = TestCa.certificate(second.resolve("node.pem"));
            assertThat(presented(both, follower)).isEqualTo(old);

            // Half-way: the new certificate without its key. The change is seen, the pair does not load, the listeners
            // keep the old one.
            CertificateReloader reloader = cluster.verticle().certificateReloader();
            TestCa.replace(second.resolve("node.pem"), live.resolve("node.pem"));
            Waits.eventually("the half-renewed files tried and refused", () -> reloader.failures() >= 1);
            assertThat(presented(both, follower)).as("a certificate without its key is not loaded").isEqualTo(old);
            assertThat(reloader.reloads()).isZero();

            // The key (and the CA that signed the new certificates) arrive: every listener presents the new one.
            TestCa.replace(second.resolve("ca.pem"), live.resolve("ca.pem"));
            TestCa.replace(second.resolve("node-key.pem"), live.resolve("node-key.pem"));
            // The listeners load the new pair concurrently; a reload counts once every one of them has answered, and
            // from then on each must present the new certificate (one of them showing it says nothing of the others).
            Waits.eventually("every listener reloaded the renewed files", () -> reloader.reloads() >= 1);
            assertThat(reloader.reloads()).isEqualTo(1);
            assertThat(presented(both, admin)).as("the admin port").isEqualTo(renewed);
            for (URI node : cluster.nodeUrls().values()) {
                assertThat(presented(both, node)).as(node.toString()).isEqualTo(renewed);
            }

            // The cluster serves on: a write through a follower is forwarded to the leader over the new TLS setup.
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(follower.resolve("/v1/kv/renewed"))
                    .PUT(HttpRequest.BodyPublishers.ofString("yes")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        }
    }
}
