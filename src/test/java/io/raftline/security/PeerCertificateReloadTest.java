package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC transport's peer clients pick up a renewed certificate without a restart: nodes 1 and 2 run (each with its
 * own certificate and {@code tls.reload_interval_ms}), node 3's address is a TLS server of the test that records the
 * client certificate of every connection a node opens to it (as node 3 would see it) and then drops the connection, so
 * that the leader keeps reconnecting. Once the nodes' files are replaced by renewed certificates (same CA, new keys),
 * the leader's new connections present a renewed certificate.
 */
@Tag("slow")
class PeerCertificateReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;



    @Test
    void newPeerConnectionsPresentTheRenewedCertificate() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        Path first = dir.resolve("first");
        Path renewed = dir.resolve("renewed");
        Path live = dir.resolve("live");
        for (int id = 1; id <= 3; id++) {
            TestCa.make(first, "--node", String.valueOf(id));
        }
        Files.createDirectories(renewed);
        Files.copy(first.resolve("ca.pem"), renewed.resolve("ca.pem"));
        Files.copy(first.resolve("ca-key.pem"), renewed.resolve("ca-key.pem"));
        TestCa.make(renewed, "--node", "1");
        TestCa.make(renewed, "--node", "2");
        Files.createDirectories(live);
        for (String f : new String[] {"node-1.pem", "node-1-key.pem", "node-2.pem", "node-2-key.pem"}) {
            Files.copy(first.resolve(f), live.resolve(f));
        }
        Set<Certificate> old = Set.of(TestCa.certificate(first.resolve("node-1.pem")),
                TestCa.certificate(first.resolve("node-2.pem")));
        Set<Certificate> fresh = Set.of(TestCa.certificate(renewed.resolve("node-1.pem")),
                TestCa.certificate(renewed.resolve("node-2.pem")));

        List<Certificate> seenBy3 = new CopyOnWriteArrayList<>();
        List<Vertx> vertxes = new ArrayList<>();
        Vertx fake = Vertx.vertx();
        vertxes.add(fake);
        try {
            int port3 = FreePorts.next();
            HttpServer node3 = await(fake.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port3)
                    .setSsl(true).setUseAlpn(true).setClientAuth(ClientAuth.REQUIRED)
                    .setKeyCertOptions(new PemKeyCertOptions().setCertPath(first.resolve("node-3.pem").toString())
                            .setKeyPath(first.resolve("node-3-key.pem").toString()))
                    .setTrustOptions(new PemTrustOptions().addCertPath(first.resolve("ca.pem").toString())))
                    .requestHandler(request -> {
                        try {
                            seenBy3.add(request.connection().peerCertificates().get(0));
                        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                            throw new AssertionError(e);
                        }
                        request.connection().close();
                    }).listen(), WAIT);
            assertThat(node3.actualPort()).isEqualTo(port3);
            JsonArray members = new JsonArray();
            for (int id = 1; id <= 3; id++) {
                members.add(new JsonObject().put("id", id).put("http_port", id == 3 ? port3 : FreePorts.next())
                        .put("resp_port", -1));
            }
            JsonObject base = ClusterConfigs.cluster(3, 51).put("nodes", members).put("transport", "grpc")
                    .put("storage", new JsonObject().put("engine", "memory"));
            List<ClusterVerticle> nodes = new ArrayList<>();
            for (int id = 1; id <= 2; id++) {
                JsonObject conf = base.copy().put("node_id", id).put("tls", new JsonObject()
                        .put("cert_file", live.resolve("node-" + id + ".pem").toString())
                        .put("key_file", live.resolve("node-" + id + "-key.pem").toString())
                        .put("ca_file", first.resolve("ca.pem").toString()).put("reload_interval_ms", 200));
                Vertx v = Vertx.vertx();
                vertxes.add(v);
                ClusterVerticle node = new ClusterVerticle(RaftlineConfig.fromJson(conf));
                await(v.deployVerticle(node), WAIT);
                nodes.add(node);
            }
            await(nodes.get(0).awaitLeader(WAIT.toMillis()), WAIT);
            eventually("node 3 is called with the first certificates", WAIT,
                    () -> seenBy3.stream().anyMatch(old::contains));

            for (int id = 1; id <= 2; id++) {
                TestCa.replace(renewed.resolve("node-" + id + "-key.pem"), live.resolve("node-" + id + "-key.pem"));
                TestCa.replace(renewed.resolve("node-" + id + ".pem"), live.resolve("node-" + id + ".pem"));
            }
            for (ClusterVerticle node : nodes) {
                CertificateReloader reloader = node.certificateReloader();
                eventually("the renewed files are loaded", WAIT, () -> reloader.reloads() >= 1);
            }
            seenBy3.clear();
            eventually("a new connection to node 3 presents a renewed certificate", WAIT,
                    () -> seenBy3.stream().anyMatch(fresh::contains));
        } finally {
            for (Vertx v : vertxes) {
                await(v.close(), WAIT);
            }
        }
    }
}
