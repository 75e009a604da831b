package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.RaftlineConfig;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.ConfigException;
import io.raftline.raft.message.Heartbeat;
import io.raftline.transport.grpc.ProtoMapping;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
 * A client CA apart from the cluster CA ({@code tls.client_ca_file}) and revocation lists ({@code tls.crl_files}), on
 * a cluster whose Raft traffic runs over gRPC on the client ports, with {@code tls.client_auth} {@code "required"}:
 * a client certificate of the client CA reads and writes, also through a follower (which forwards presenting its node
 * certificate of the cluster CA); a certificate of the client CA that names node 2 neither sends Raft messages for it
 * nor calls the forwarding endpoint; a client certificate revoked with {@code bin/tls-ca.sh --revoke} while the cluster
 * runs is refused at the handshake once the nodes reloaded the list, and one that is not revoked still gets in. Slow:
 * openssl and curl child processes, TLS handshakes on a cold JVM.
 */
@Tag("slow")
class ClientCaTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    private static Path clusterCa;
    private static Path clientCa;
    private static InJvmCluster cluster;
    private static Vertx clientVertx;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is the client of this test");
        clusterCa = dir.resolve("cluster");
        clientCa = dir.resolve("clients");
        TestCa.make(clusterCa, "--node", "1,2,3");
        TestCa.make(clientCa, "--client", "app1");
        TestCa.make(clientCa, "--client", "app2");
        // Whoever runs the client CA can write any name into a certificate, a node's too.
        TestCa.make(clientCa, "--node", "2");
        TestCa.make(clientCa, "--crl"); // no certificate revoked yet
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 61).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("tls", new JsonObject().put("cert_file", clusterCa.resolve("node-1-2-3.pem").toString())
                        .put("key_file", clusterCa.resolve("node-1-2-3-key.pem").toString())
                        .put("ca_file", clusterCa.resolve("ca.pem").toString())
                        .put("client_ca_file", clientCa.resolve("ca.pem").toString())
                        .put("crl_files", new JsonArray().add(clientCa.resolve("crl.pem").toString()))
                        .put("client_auth", "required").put("reload_interval_ms", 200))).start();
        clientVertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (clientVertx != null) {
            await(clientVertx.close(), WAIT);
        }
    }

    /** What curl did: the HTTP status it printed (000 for none) and the body. */
    private record Curl(int exit, String status, String body) {
    }

    /** curl trusting the cluster CA (the nodes' certificates), presenting {@code client-NAME} of the client CA. */
    private static Curl curl(String client, String... args) throws Exception {
        Path body = Files.createTempFile(dir, "body", ".txt");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--cacert",
                clusterCa.resolve("ca.pem").toString(), "--cert", clientCa.resolve(client + ".pem").toString(),
                "--key", clientCa.resolve(client + "-key.pem").toString(), "-o", body.toString(), "-w",
                "%{http_code}"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Curl(p.exitValue(), status, Files.readString(body));
    }

    private static int follower() throws Exception {
        return cluster.leader().toCompletionStage().toCompletableFuture().get() % 3 + 1;
    }

    @Test
    void aClientCertificateOfTheClientCaReadsAndWritesThroughAFollower() throws Exception {
        String url = cluster.nodeUrls().get(follower()).resolve("/v1/kv/client-ca").toString();
        Curl put = curl("client-app1", "-X", "PUT", "--data-binary", "from-the-client-ca", url);
        assertThat(put.status()).as(put.body()).isEqualTo("200");
        Curl get = curl("client-app1", url);
        assertThat(get.status()).isEqualTo("200");
        assertThat(get.body()).isEqualTo("from-the-client-ca");
    }

    @Test
    void aCertificateOfTheClientCaNamingANodeNeitherSendsRaftMessagesNorCallsTheForwardingEndpoint()
            throws Exception {
        URI node1 = cluster.nodeUrls().get(1);
        // The leader's forwarding endpoint is for nodes only.
        Curl forward = curl("node-2", "-X", "POST", "--data-binary", "x", node1.resolve("/v1/internal/kv").toString());
        assertThat(forward.status()).as(forward.body()).isEqualTo("403");
        assertThat(forward.body()).contains("cluster CA");
        // A Raft stream presenting it, claiming node 2: refused as a key-value client's certificate.
        GrpcClient grpc = GrpcClient.client(clientVertx, new GrpcClientOptions(), new HttpClientOptions().setSsl(true)
                .setUseAlpn(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(clusterCa.resolve("ca.pem").toString()))
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(clientCa.resolve("node-2.pem").toString())
                        .setKeyPath(clientCa.resolve("node-2-key.pem").toString())));
        try {
            Promise<StreamRefusal> refusal = Promise.promise();
            // Attached on the call's context as the head arrives (GrpcTransportTest, a malformed frame).
            GrpcClientRequest<RaftBatch, StreamRefusal> stream = await(io.raftline.transport.OnContext.call(
                    clientVertx.getOrCreateContext(), () -> grpc.request(SocketAddress.inetSocketAddress(
                            node1.getPort(), node1.getHost()), RaftServiceGrpcClient.Stream).onSuccess(call -> call
                                    .response().onSuccess(r -> r.handler(refusal::tryComplete))
                                    .onFailure(refusal::tryFail))), WAIT);
            stream.write(ProtoMapping.toBatch(1, List.of(new Heartbeat(2, 1, 1_000_000, 0, 0))));
            StreamRefusal refused = await(refusal.future(), WAIT);
            assertThat(refused.getStatus()).isEqualTo(GrpcStatus.PERMISSION_DENIED.code);
            assertThat(refused.getMessage()).contains("client");
        } finally {
            await(grpc.close(), WAIT);
        }
    }

    @Test
    void aRevokedClientCertificateIsRefusedOnceTheListIsReloadedAndAnotherOneStillGetsIn() throws Exception {
        String url = cluster.nodeUrls().get(follower()).resolve("/v1/kv/revocation").toString();
        assertThat(curl("client-app2", "-X", "PUT", "--data-binary", "before", url).status()).isEqualTo("200");
        CertificateReloader reloader = cluster.verticle().certificateReloader();
        long reloads = reloader.reloads();
        TestCa.make(clientCa, "--revoke", clientCa.resolve("client-app2.pem").toString());
        eventually("the nodes reloaded the revocation list", WAIT, () -> reloader.reloads() > reloads);
        Curl revoked = curl("client-app2", url);
        assertThat(revoked.exit()).as("refused at the handshake").isNotZero();
        assertThat(revoked.status()).isEqualTo("000");
        Curl other = curl("client-app1", "-X", "PUT", "--data-binary", "after", url);
        assertThat(other.status()).as(other.body()).isEqualTo("200");
    }

    @Test
    void theConfigurationNamesTheFieldAndTheRule() {
        JsonObject tls = new JsonObject().put("cert_file", clusterCa.resolve("node-1-2-3.pem").toString())
                .put("key_file", clusterCa.resolve("node-1-2-3-key.pem").toString())
                .put("ca_file", clusterCa.resolve("ca.pem").toString());
        JsonObject base = ClusterConfigs.cluster(3, 61);
        assertThatThrownBy(() -> RaftlineConfig.fromJson(base.copy().put("tls", tls.copy()
                .put("client_ca_file", clientCa.resolve("ca.pem").toString()))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.client_ca_file")
                .hasMessageContaining("client_auth");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(base.copy().put("tls", tls.copy().put("client_auth",
                "required").put("client_ca_file", dir.resolve("missing.pem").toString()))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.client_ca_file")
                .hasMessageContaining("cannot read");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(base.copy().put("tls", tls.copy().put("crl_files",
                new JsonArray().add(clusterCa.resolve("ca.pem").toString())))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.crl_files[0]")
                .hasMessageContaining("revocation list");
    }
}
