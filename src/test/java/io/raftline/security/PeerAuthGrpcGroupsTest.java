package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.PeerIdentityPolicy;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.grpc.GrpcTransport;
import io.raftline.transport.grpc.ProtoMapping;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer authentication is the same for every Raft group of a multi-Raft gRPC transport: node 1's port (mutual TLS, as
 * a node's client port runs it) hosts the replicas of groups 0 and 2; node 3's certificate cannot send for node 2 in
 * group 2 any more than in group 0, a caller without a certificate is refused whatever group it names, node 2's
 * transport delivers through its group-2 view over mutual TLS, and a group view's link still refuses a server that
 * presents another node's certificate. Slow: openssl child processes, TLS handshakes on a cold JVM.
 */
@Tag("slow")
class PeerAuthGrpcGroupsTest {

    @TempDir
    static Path dir;
    private Vertx vertx;
    private HttpServer server;
    private GrpcTransport node1;
    private final List<Message> group0 = new CopyOnWriteArrayList<>();
    private final List<Message> group2 = new CopyOnWriteArrayList<>();
    private final List<GrpcClient> clients = new CopyOnWriteArrayList<>();
    private final List<GrpcTransport> senders = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        for (int id = 1; id <= 3; id++) {
            TestCa.make(dir, "--node", String.valueOf(id));
        }
    }

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        node1 = new GrpcTransport(vertx, new NetworkConditioner(1), (m, reason) -> { }, id -> Optional.empty(),
                Set.of(1, 2, 3), GrpcTransport.Options.DEFAULTS, null, tls(1, new PeerGuard(PeerIdentityPolicy.NODE)));
        GrpcServer grpc = GrpcServer.server(vertx).addService(node1.service(1));
        server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
                .setUseAlpn(true).setKeyCertOptions(keyCert("node-1")).setClientAuth(ClientAuth.REQUEST)
                .setTrustOptions(trust())).requestHandler(grpc).listen());
        await(node1.register(1, group0::add));
        await(node1.group(2).register(1, group2::add));
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx == null) {
            return;
        }
        for (GrpcTransport t : senders) {
            await(t.close());
        }
        for (GrpcClient c : clients) {
            await(c.close());
        }
        await(node1.close());
        await(vertx.close());
    }

    private PemKeyCertOptions keyCert(String name) {
        return new PemKeyCertOptions().setCertPath(dir.resolve(name + ".pem").toString())
                .setKeyPath(dir.resolve(name + "-key.pem").toString());
    }

    private PemTrustOptions trust() {
        return new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString());
    }

    private GrpcTransport.PeerTls tls(int node, PeerGuard guard) {
        return new GrpcTransport.PeerTls(keyCert("node-" + node), trust(), guard);
    }

    private SocketAddress node1Address() {
        return SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
    }

    /** A raw gRPC client trusting the cluster CA, presenting {@code name}'s certificate unless null. */
    private GrpcClient client(String name) {
        HttpClientOptions http = new HttpClientOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true)
                .setTrustOptions(trust());
        if (name != null) {
            http.setKeyCertOptions(keyCert(name));
        }
        GrpcClient c = GrpcClient.client(vertx, new GrpcClientOptions(), http);
        clients.add(c);
        return c;
    }

    @Test
    void aCertificateMaySpeakForItsOwnNodeOnlyInEveryGroup() throws Exception {
        List<StreamRefusal> refusals = new CopyOnWriteArrayList<>();
        // Attached on the call's context as the head arrives (GrpcTransportTest, a malformed frame).
        GrpcClient node3 = client("node-3");
        var stream = await(io.raftline.transport.OnContext.call(vertx.getOrCreateContext(), () -> node3.request(
                node1Address(), RaftServiceGrpcClient.Stream).onSuccess(call -> call.response()
                        .onSuccess(resp -> resp.handler(refusals::add)))));
        // Node 3's certificate claiming to send for node 2, in group 2 and then in group 0.
        await(stream.write(ProtoMapping.toBatch(1, 2, List.of(new Heartbeat(2, 1, 1, 0, 1)))));
        await(stream.write(ProtoMapping.toBatch(2, 0, List.of(new Heartbeat(2, 1, 1, 0, 2)))));
        // What it may send, in group 2, after them on the same stream.
        await(stream.write(ProtoMapping.toBatch(3, 2, List.of(new HeartbeatResponse(3, 1, 1, 3)))));
        eventually("two refusals and node 3's own message delivered", () -> refusals.size() == 2 && group2.size() == 1);
        assertThat(refusals).extracting(StreamRefusal::getStatus).containsExactly(GrpcStatus.PERMISSION_DENIED.code,
                GrpcStatus.PERMISSION_DENIED.code);
        assertThat(group2).containsExactly(new HeartbeatResponse(3, 1, 1, 3));
        assertThat(group0).isEmpty();
        assertThat(node1.guard().refusals(PeerGuard.Reason.SENDER_MISMATCH)).isEqualTo(2);
        await(stream.end());
    }

    @Test
    void aCallWithoutCertificateIsUnauthenticatedWhateverItsGroup() throws Exception {
        GrpcStatus status = await(client(null).request(node1Address(), RaftServiceGrpcClient.AppendEntries)
                .compose(req -> req.send(ProtoMapping.toEnvelope(new Heartbeat(2, 1, 1, 0, 0)).toBuilder().setGroup(2)
                        .build()))
                .compose(resp -> resp.last().transform(ar -> io.vertx.core.Future.succeededFuture(resp.status()))));
        assertThat(status).isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(group2).isEmpty();
    }

    @Test
    void aGroupViewSendsOverMutualTlsAndChecksTheServerItCalls() throws Exception {
        List<String> drops = new CopyOnWriteArrayList<>();
        PeerGuard guard = new PeerGuard(PeerIdentityPolicy.NODE);
        // Node 2's transport; its address book sends node 3's traffic to node 1's port too.
        GrpcTransport node2 = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> drops.add(reason),
                id -> Optional.of(node1Address()), Set.of(1, 2, 3), GrpcTransport.Options.DEFAULTS, null,
                tls(2, guard));
        senders.add(node2);
        node2.group(2).send(new Heartbeat(2, 1, 4, 0, 7));
        eventually("delivered to group 2 over mutual TLS", () -> group2.size() == 1);
        assertThat(group2).containsExactly(new Heartbeat(2, 1, 4, 0, 7));
        assertThat(group0).isEmpty();

        node2.group(2).send(new Heartbeat(2, 3, 4, 0, 8));
        eventually("the message to node 3 is lost", () -> !drops.isEmpty());
        assertThat(drops.get(0)).isEqualTo("rejected (server_mismatch)");
        assertThat(guard.refusals(PeerGuard.Reason.SERVER_MISMATCH)).isEqualTo(1);
    }
}
