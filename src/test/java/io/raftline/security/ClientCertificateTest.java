package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.raftline.config.ClientCertAuth;
import io.raftline.config.PeerIdentityPolicy;
import io.raftline.config.RaftlineConfig;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates for key-value clients ({@code tls.client_auth}), with certificates from {@code bin/tls-ca.sh}:
 * with {@code "required"} curl without a certificate, or with one of another CA, fails at the handshake on the HTTP
 * port and so does a Redis-protocol client; a client with a certificate the cluster CA signed ({@code --client}) reads
 * and writes without the client token, also through a follower (which forwards to the leader presenting its own
 * certificate). With {@code "request"} either the certificate or the token lets a client in, over HTTP and gRPC. Slow: it runs openssl
 * and curl (child processes) and TLS handshakes on a cold JVM.
 */
@Tag("slow")
class ClientCertificateTest {

    private static final String TOKEN = "client-token-0123456789";

    @TempDir
    static Path dir;
    @TempDir
    static Path otherCa;
    private static InJvmCluster required;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is the client of this test");
        TestCa.make(dir, "--node", "1,2,3");
        TestCa.make(dir, "--client", "app1");
        TestCa.make(otherCa, "--client", "intruder");
        required = start("required");
    }

    private static InJvmCluster start(String clientAuth) throws Exception {
        return InJvmCluster.builder(ClusterConfigs.cluster(3, 31)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("client_token", TOKEN))
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node-1-2-3.pem").toString())
                        .put("key_file", dir.resolve("node-1-2-3-key.pem").toString())
                        .put("ca_file", dir.resolve("ca.pem").toString()).put("client_auth", clientAuth))).start();
    }

    @AfterAll
    static void stop() {
        if (required != null) {
            required.close();
        }
    }

    /** What curl did: its exit code, the HTTP status it printed (000 for none) and the body. */
    private record Curl(int exit, String status, String body) {
    }

    private static Curl curl(String... args) throws Exception {
        Path body = Files.createTempFile(dir, "body", ".txt");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--cacert",
                dir.resolve("ca.pem").toString(), "-o", body.toString(), "-w", "%{http_code}"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Curl(p.exitValue(), status, Files.readString(body));
    }

    private static String[] cert(Path ca, String name) {
        return new String[] {"--cert", ca.resolve("client-" + name + ".pem").toString(), "--key",
            ca.resolve("client-" + name + "-key.pem").toString()};
    }

    private static String[] with(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static int follower(InJvmCluster cluster) throws Exception {
        int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
        return leader % 3 + 1;
    }

    @Test
    void withRequiredAClientCertificateOfTheCaIsTheOnlyWayIn() throws Exception {
        URI base = required.nodeUrls().get(follower(required));
        String url = base.resolve("/v1/kv/cert-color").toString();
        // A certificate the cluster CA signed: a write through a follower (forwarded to the leader, which asks the
        // follower for its certificate) and a read, with no token.
        Curl put = curl(with(cert(dir, "app1"), "-X", "PUT", "--data-binary", "teal", url));
        assertThat(put.exit()).isZero();
        assertThat(put.status()).as(put.body()).isEqualTo("200");
        Curl get = curl(with(cert(dir, "app1"), url));
        assertThat(get.status()).isEqualTo("200");
        assertThat(get.body()).isEqualTo("teal");
        // No certificate, even with the token: the handshake fails (curl 56 or 35: the server's alert), no answer.
        Curl none = curl("-H", "Authorization: Bearer " + TOKEN, url);
        assertThat(none.exit()).isNotZero();
        assertThat(none.status()).isEqualTo("000");
        // A certificate of another CA: refused the same way.
        Curl foreign = curl(with(cert(otherCa, "intruder"), url));
        assertThat(foreign.exit()).isNotZero();
        assertThat(foreign.status()).isEqualTo("000");
    }

    @Test
    void withRequiredTheRedisProtocolPortAsksForTheCertificateToo() throws Exception {
        String[] address = required.respAddresses().get(follower(required)).split(":");
        int port = Integer.parseInt(address[address.length - 1]);
        // Authenticated by its certificate: no AUTH needed although a client token is set.
        assertThat(resp(clientContext(dir, "app1"), port, "*3\r\n$3\r\nSET\r\n$4\r\nresp\r\n$2\r\nok\r\n"))
                .isEqualTo("+OK");
        assertThatThrownBy(() -> resp(clientContext(null, null), port, "*1\r\n$4\r\nPING\r\n"))
                .isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> resp(clientContext(otherCa, "intruder"), port, "*1\r\n$4\r\nPING\r\n"))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void withRequestTheCertificateOrTheTokenLetsAClientIn() throws Exception {
        InJvmCluster request = start("request");
        try {
            String url = request.nodeUrls().get(follower(request)).resolve("/v1/kv/either").toString();
            assertThat(curl(with(cert(dir, "app1"), "-X", "PUT", "--data-binary", "a", url)).status()).isEqualTo("200");
            assertThat(curl("-H", "Authorization: Bearer " + TOKEN, url).body()).isEqualTo("a");
            Curl neither = curl(url);
            assertThat(neither.status()).isEqualTo("401");
            assertThat(neither.body()).contains("client certificate");
            // A certificate of another CA still fails the handshake: asked for, it must be the CA's.
            assertThat(curl(with(cert(otherCa, "intruder"), "-H", "Authorization: Bearer " + TOKEN, url)).status())
                    .isEqualTo("000");
            // gRPC on the same port decides the same way, on the certificate of the HTTP/2 connection.
            URI u = request.nodeUrls().get(follower(request));
            SocketAddress address = SocketAddress.inetSocketAddress(u.getPort(), u.getHost());
            GrpcClient withCert = grpcClient(request, true);
            GrpcClient without = grpcClient(request, false);
            try {
                PutRequest put = PutRequest.newBuilder().setKey("grpc-cert").setValue(ByteString.copyFromUtf8("g"))
                        .build();
                GrpcStatus ok = Waits.await(withCert.request(address, KvServiceGrpcClient.Put)
                        .compose(req -> req.send(put)).compose(resp -> resp.last()
                                .<GrpcStatus>transform(ar -> Future.succeededFuture(resp.status()))),
                        Duration.ofSeconds(10));
                assertThat(ok).isEqualTo(GrpcStatus.OK);
                GrpcStatus refused = Waits.await(without.request(address, KvServiceGrpcClient.Get)
                        .compose(req -> req.send(GetRequest.newBuilder().setKey("grpc-cert").build()))
                        .map(resp -> resp.status()), Duration.ofSeconds(10));
                assertThat(refused).isEqualTo(GrpcStatus.UNAUTHENTICATED);
            } finally {
                Waits.await(withCert.close(), Duration.ofSeconds(5));
                Waits.await(without.close(), Duration.ofSeconds(5));
            }
        } finally {
            request.close();
        }
    }

    @Test
    void aClientCertificateNeverSpeaksForANode() throws Exception {
        PeerIdentity client = PeerIdentity.ofPem(dir.resolve("client-app1.pem"));
        assertThat(client.client()).isTrue();
        assertThat(client.anonymous()).isTrue();
        PeerGuard lenient = new PeerGuard(PeerIdentityPolicy.ANY_MEMBER);
        assertThat(lenient.checkSenders(client, Set.of(2))).isNotNull();
        assertThat(lenient.checkServer(client, 2)).isNotNull();
        // A shared node certificate still may, under "any_member".
        TestCa.make(dir);
        assertThat(lenient.checkSenders(PeerIdentity.ofPem(dir.resolve("node.pem")), Set.of(2))).isNull();
        assertThat(PeerIdentity.ofPem(dir.resolve("node-1-2-3.pem")).client()).isFalse();
    }

    @Test
    void theConfigurationNamesTheFieldAndTheRule() {
        JsonObject tls = new JsonObject().put("cert_file", dir.resolve("node-1-2-3.pem").toString())
                .put("key_file", dir.resolve("node-1-2-3-key.pem").toString());
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", tls.copy().put("client_auth", "required"))))
                .hasMessage("tls.client_auth: \"required\" needs tls.ca_file (the CA whose certificates clients must"
                        + " present)");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", new JsonObject().put("client_auth", "required"))))
                .hasMessageEndingWith(", and TLS on (cert_file and key_file)");
        JsonObject withCa = tls.copy().put("ca_file", dir.resolve("ca.pem").toString());
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", withCa.copy().put("client_auth", "always"))))
                .hasMessageStartingWith("tls.client_auth: must be \"none\"").hasMessageEndingWith("got \"always\"");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", withCa.copy().put("client_auth", "request"))))
                .hasMessageStartingWith("tls.client_auth: \"request\" needs security.client_token");
        assertThat(RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1)
                .put("tls", withCa.copy().put("client_auth", "required"))).tls().clientAuth())
                .isEqualTo(ClientCertAuth.REQUIRED);
        assertThat(RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1).put("tls", withCa)).tls().clientAuth())
                .isEqualTo(ClientCertAuth.NONE);
    }

    /** A gRPC client trusting the cluster CA, presenting the {@code app1} client certificate or none. */
    private static GrpcClient grpcClient(InJvmCluster cluster, boolean withCertificate) {
        HttpClientOptions http = new HttpClientOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString()));
        if (withCertificate) {
            http.setKeyCertOptions(new PemKeyCertOptions().setCertPath(dir.resolve("client-app1.pem").toString())
                    .setKeyPath(dir.resolve("client-app1-key.pem").toString()));
        }
        return GrpcClient.client(cluster.vertx(), new GrpcClientOptions(), http);
    }

    /** Sends one Redis-protocol request over TLS and returns the first line of the answer. */
    private static String resp(SSLContext context, int port, String request) throws Exception {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\r'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("closed after \"" + line + "\"");
                }
                line.append((char) c);
            }
            return line.toString();
        }
    }

    /** A TLS context trusting the cluster CA and presenting {@code ca/client-name.pem}, or no certificate. */
    private static SSLContext clientContext(Path ca, String name) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", pemCertificates(dir.resolve("ca.pem")).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (ca != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            String pem = Files.readString(ca.resolve("client-" + name + "-key.pem"));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            keys.setKeyEntry("client", key, new char[0],
                    pemCertificates(ca.resolve("client-" + name + ".pem")).toArray(Certificate[]::new));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ssl;
    }

    private static List<Certificate> pemCertificates(Path pem) throws Exception {
        return new ArrayList<>(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem))));
    }
}
