package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.raftline.config.RaftlineConfig;
import io.raftline.node.NodeListener;
import io.raftline.proto.faults.FaultServiceGrpcClient;
import io.raftline.proto.faults.NetworkQuery;
import io.raftline.proto.faults.Sealed;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.server.ClusterVerticle;
import io.raftline.server.Metrics;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.grpc.GrpcTransport;
import io.raftline.transport.grpc.ProtoMapping;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes on the gRPC transport, each in a Vert.x instance of its own with its own configuration (as one node per
 * process runs) and its own certificate from {@code bin/tls-ca.sh DIR --node <id>}: they elect and replicate over
 * mutual TLS, and clients without a certificate still use the KV API over HTTP and gRPC on the same ports. Raft calls
 * are refused without a client certificate (UNAUTHENTICATED), with a certificate of another CA (the handshake fails),
 * with the shared certificate that names no node, and when node 3's certificate claims to send for node 2
 * (PERMISSION_DENIED): node 1's core never sees those messages, which a message node 3 may send, sent after them on the
 * same stream, shows. The unary and snapshot calls are checked the same way, and a node that calls node 2 but is
 * answered with node 3's certificate drops the stream. Slow: openssl child processes, TLS handshakes on a cold JVM.
 */
@Tag("slow")
class PeerAuthGrpcTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long FORGED_TERM = 1_000_000;

    @TempDir
    static Path dir;
    private static final List<Vertx> servers = new ArrayList<>();
    private static final Map<Integer, ClusterVerticle> nodes = new ConcurrentSkipListMap<>();
    private static final Map<Integer, Integer> ports = new ConcurrentSkipListMap<>();
    /** Every message node 1's core was given. */
    private static final List<Message> receivedBy1 = new CopyOnWriteArrayList<>();
    private static Vertx clientVertx;
    private static HttpClient https;
    private final List<GrpcClient> clients = new ArrayList<>();
    private final List<io.vertx.core.http.HttpClient> rawClients = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        for (int id = 1; id <= 3; id++) {
            TestCa.make(dir, "--node", String.valueOf(id));
        }
        TestCa.make(dir);
        TestCa.make(dir.resolve("other"), "--node", "2");
        JsonArray members = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            ports.put(id, FreePorts.next());
            members.add(new JsonObject().put("id", id).put("http_port", ports.get(id)).put("resp_port", -1));
        }
        JsonObject base = ClusterConfigs.cluster(3, 31).put("nodes", members).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"));
        for (int id = 1; id <= 3; id++) {
            JsonObject conf = base.copy().put("node_id", id).put("tls", new JsonObject()
                    .put("cert_file", dir.resolve("node-" + id + ".pem").toString())
                    .put("key_file", dir.resolve("node-" + id + "-key.pem").toString())
                    .put("ca_file", dir.resolve("ca.pem").toString()));
            Vertx v = Metrics.vertx(Metrics.enable(new VertxOptions()));
            servers.add(v);
            NodeListener listener = id != 1 ? NodeListener.NONE : new NodeListener() {
                @Override
                public void messageReceived(Message m) {
                    receivedBy1.add(m);
                }
            };
            ClusterVerticle node = new ClusterVerticle(RaftlineConfig.fromJson(conf), listener);
            await(v.deployVerticle(node), WAIT);
            nodes.put(id, node);
        }
        clientVertx = Vertx.vertx();
        https = HttpClient.newBuilder().sslContext(TestCa.trusting(dir.resolve("ca.pem")))
                .connectTimeout(Duration.ofSeconds(10)).build();
        await(nodes.get(1).awaitLeader(WAIT.toMillis()), WAIT);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Vertx v : servers) {
            await(v.close(), WAIT);
        }
        if (clientVertx != null) {
            await(clientVertx.close(), WAIT);
        }
    }

    @AfterEach
    void closeClients() throws Exception {
        for (GrpcClient c : clients) {
            await(c.close(), WAIT);
        }
        for (io.vertx.core.http.HttpClient c : rawClients) {
            await(c.close(), WAIT);
        }
    }

    @Test
    void electsAndReplicatesOverMutualTlsAndServesClientsWithoutCertificates() throws Exception {
        // HTTP through a follower (forwarded to the leader over TLS), read back linearizably on every node. A leader
        // change meanwhile answers 503 no_leader: retried, as a client does, with an idempotency key.
        int[] via = new int[2];
        eventually("a write through a follower is acknowledged", WAIT, () -> {
            int leader = await(nodes.get(1).awaitLeader(WAIT.toMillis()), WAIT);
            int follower = leader % 3 + 1;
            HttpResponse<String> put = https.send(HttpRequest.newBuilder(url(follower, "/v1/kv/peer-auth"))
                    .header("Idempotency-Key", "peer-auth-put").PUT(HttpRequest.BodyPublishers.ofString("mtls"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isIn(200, 503);
            via[0] = follower;
            via[1] = Integer.parseInt(put.headers().firstValue("Raft-Served-By").orElse("0"));
            return put.statusCode() == 200;
        });
        assertThat(via[1]).as("served by the leader, not the follower it was sent to").isNotIn(0, via[0]);
        int follower = via[0];
        int other = 6 - via[0] - via[1];
        for (int id = 1; id <= 3; id++) {
            int node = id;
            eventually("node " + id + " reads the write", WAIT, () -> "mtls".equals(https.send(HttpRequest.newBuilder(
                    url(node, "/v1/kv/peer-auth")).build(), HttpResponse.BodyHandlers.ofString()).body()));
        }
        // The gRPC KV API on the same port, from a client that presents no certificate.
        GrpcClient kv = client(null);
        // Retried while UNAVAILABLE (no leader during an election), as a client does; the idempotency key keeps one.
        eventually("a gRPC put without a client certificate", WAIT, () -> await(kv.request(address(other),
                KvServiceGrpcClient.Put).compose(req -> req.send(PutRequest.newBuilder().setKey("grpc-key")
                        .setValue(ByteString.copyFromUtf8("v1")).setIdempotencyKey("peer-auth-grpc-key").build()))
                .compose(resp -> resp.last()).map(r -> r.getRevision()), WAIT) > 0);
        String[] value = new String[1];
        eventually("a gRPC get without a client certificate", WAIT, () -> {
            value[0] = await(kv.request(address(follower), KvServiceGrpcClient.Get).compose(req -> req.send(
                    GetRequest.newBuilder().setKey("grpc-key").build())).compose(resp -> resp.last())
                    .map(r -> r.getKv().getValue().toStringUtf8()), WAIT);
            return true;
        });
        assertThat(value[0]).isEqualTo("v1");
    }

    @Test
    void aRaftCallWithoutCertificateIsUnauthenticatedAndReachesNothing() throws Exception {
        long before = guardCount("no_certificate");
        StreamCall call = openStream(client(null), 1);
        call.send(1, new Heartbeat(2, 1, FORGED_TERM, 0, 0));
        assertThat(await(call.status(), WAIT)).isEqualTo(GrpcStatus.UNAUTHENTICATED);
        eventually("the refusal counted in /metrics", WAIT, () -> guardCount("no_certificate") > before);
        assertNoForgedMessageReached();
    }

    /**
     * The flake of {@link PeerAuthNamespaceTest}, made certain: curl's request body is not there yet when the
     * refusal could be sent (it comes from stdin, half a second late). A refusal sent before the body made curl 7.88
     * upload it and then wait for an end it never noticed, until its timeout; the refusal must wait for the request.
     */
    @Test
    void curlWhoseBodyComesLateStillSeesTheRefusalEndItsCall() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is needed");
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--cacert",
                dir.resolve("ca.pem").toString(), "--http2", "-i", "-o", "-", "-X", "POST",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "-T", "-",
                url(1, "/raftline.raft.v1.RaftService/Stream").toString()).redirectErrorStream(true).start();
        Thread.sleep(500);
        try (var stdin = curl.getOutputStream()) {
            stdin.write(new byte[5]); // an empty gRPC message
        }
        String out = new String(curl.getInputStream().readAllBytes());
        assertThat(curl.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as(out).isZero();
        assertThat(out.toLowerCase()).contains("grpc-status: 16");
    }

    /**
     * A refusal is not sent while the client is still sending its request: it comes once the request has ended, so
     * that no client ever receives a complete answer in the middle of its own upload.
     */
    @Test
    void aRaftCallWithoutCertificateIsRefusedOnceItsRequestHasEnded() throws Exception {
        HttpClientRequest req = await(rawClient().request(rawStream(1)), WAIT).setChunked(true);
        req.write(Buffer.buffer(new byte[5]));
        Thread.sleep(500);
        assertThat(req.response().isComplete()).as("answered while the request was still open").isFalse();
        req.end();
        HttpClientResponse resp = await(req.response(), WAIT);
        assertThat(resp.getHeader("grpc-status")).isEqualTo("16");
    }

    /**
     * A client that never ends its request (a stream) still hears the refusal, after {@link DeferredRefusal#GRACE_MS},
     * and then the server resets the stream with NO_ERROR (RFC 9113 section 8.1: stop sending, the answer stands)
     * rather than leaving it half open for as long as the client likes.
     */
    @Test
    void aRaftStreamWithoutCertificateThatNeverEndsIsRefusedAndThenReset() throws Exception {
        HttpClientRequest req = await(rawClient().request(rawStream(1)), WAIT).setChunked(true);
        io.vertx.core.Promise<Throwable> reset = io.vertx.core.Promise.promise();
        req.exceptionHandler(reset::tryComplete);
        long start = System.nanoTime();
        req.write(Buffer.buffer(new byte[5]));
        HttpClientResponse resp = await(req.response(), WAIT);
        assertThat(resp.getHeader("grpc-status")).isEqualTo("16");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(
                DeferredRefusal.GRACE_MS + 5_000));
        Throwable cause = await(reset.future(), WAIT);
        assertThat(cause).isInstanceOf(StreamResetException.class);
        assertThat(((StreamResetException) cause).getCode()).isZero();
    }

    /**
     * A caller without a node's certificate gets its gzip messages inflated only so far: the Raft service refuses it,
     * but only once the gRPC server has the call, after the frame check inflated what it sent, which was up to the
     * largest Raft message (64 MiB of zeros from a few KiB, on the event loop, for anyone with a TLS connection).
     */
    @Test
    void aCallerWithoutCertificateHasItsGzipMessagesInflatedOnlySoFar() throws Exception {
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(zipped)) {
            z.write(new byte[1 << 20]);
        }
        byte[] gzip = zipped.toByteArray();
        Buffer message = Buffer.buffer().appendByte((byte) 1).appendInt(gzip.length).appendBytes(gzip);
        io.raftline.server.RawGrpcCall.Answer answer = io.raftline.server.RawGrpcCall.call(rawClient(), ports.get(1),
                "/raftline.raft.v1.RaftService/Stream", message, WAIT, "grpc-encoding", "gzip");
        assertThat(answer.status()).as("1 MiB of zeros in %d bytes: %s", gzip.length, answer.message())
                .isEqualTo(String.valueOf(GrpcStatus.RESOURCE_EXHAUSTED.code));
        assertThat(answer.message()).contains("inflates to more than 65536 bytes");
    }

    @Test
    void aPeerWithACertificateOfAnotherCaIsRefusedAtTheHandshake() throws Exception {
        long before = guardCount("no_certificate") + guardCount("sender_mismatch") + guardCount("no_node_id");
        GrpcClient stranger = client(dir.resolve("other").resolve("node-2"));
        Future<GrpcStatus> outcome = stranger.request(address(1), RaftServiceGrpcClient.Stream).compose(req -> {
            req.write(ProtoMapping.toBatch(1, List.of(new Heartbeat(2, 1, FORGED_TERM, 0, 0))));
            return req.response().map(resp -> resp.status());
        });
        Throwable failure = await(outcome.transform(ar -> Future.succeededFuture(ar.cause())), WAIT);
        // With TLS 1.3 the client sends its certificate after its side of the handshake is done, so it sees the
        // server's refusal as the connection closing rather than as a handshake exception.
        assertThat(failure).as("the call must fail: the server closes the TLS connection").isNotNull();
        assertThat(chain(failure)).containsAnyOf("SSL", "Connection was closed", "closed");
        assertNoForgedMessageReached();
        // Refused by TLS itself: the Raft service never saw the call, so it counted no refusal of its own.
        assertThat(guardCount("no_certificate") + guardCount("sender_mismatch") + guardCount("no_node_id"))
                .isEqualTo(before);
    }

    @Test
    void node3sCertificateCannotSendForNode2AndNothingOfTheFrameReachesTheCore() throws Exception {
        long before = guardCount("sender_mismatch");
        StreamCall call = openStream(client(dir.resolve("node-3")), 1);
        call.send(1, new Heartbeat(2, 1, FORGED_TERM, 0, 0), new HeartbeatResponse(3, 1, 1, 0));
        StreamRefusal refusal = await(call.refusal(), WAIT);
        assertThat(refusal.getSeq()).isEqualTo(1);
        assertThat(refusal.getStatus()).isEqualTo(GrpcStatus.PERMISSION_DENIED.code);
        assertThat(refusal.getMessage()).contains("node 2").contains("node 3");
        // Node 3 may send for itself: a harmless, stale HeartbeatResponse on the same stream, after the forged frame,
        // reaches the core (messages of a stream are delivered in order, so the forged one would have come first).
        long marker = 0xfeed;
        call.send(2, new HeartbeatResponse(3, 1, 1, marker));
        eventually("node 3's own message reached node 1's core", WAIT, () -> receivedBy1.stream().anyMatch(
                m -> m instanceof HeartbeatResponse h && h.from() == 3 && h.context() == marker));
        assertNoForgedMessageReached();
        eventually("the refusal counted in /metrics", WAIT, () -> guardCount("sender_mismatch") > before);
    }

    @Test
    void theUnaryAndSnapshotCallsCheckTheSenderToo() throws Exception {
        GrpcClient node3 = client(dir.resolve("node-3"));
        GrpcStatus append = await(node3.request(address(1), RaftServiceGrpcClient.AppendEntries).compose(req -> req.send(
                ProtoMapping.toEnvelope(new Heartbeat(2, 1, FORGED_TERM, 0, 0))))
                .compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))), WAIT);
        assertThat(append).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        SnapshotRequest forged = new SnapshotRequest(2, 1, FORGED_TERM, new Snapshot(new SnapshotMetadata(100,
                FORGED_TERM, List.of(1, 2, 3)), new byte[64]));
        GrpcStatus snapshot = await(node3.request(address(1), RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
            req.end(SnapshotChunk.newBuilder().setHeader(ProtoMapping.header(forged))
                    .setData(ByteString.copyFrom(forged.snapshot().data())).setLast(true).build());
            return req.response();
        }).compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))), WAIT);
        assertThat(snapshot).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertNoForgedMessageReached();
    }

    /**
     * A snapshot stream is checked at its first chunk, whose header names the sender: a peer that may not speak for
     * it is refused while the stream is still open, so the rest (up to the snapshot size limit) is never buffered.
     */
    @Test
    void aForgedSnapshotStreamIsRefusedAtItsFirstChunk() throws Exception {
        long before = guardCount("sender_mismatch");
        GrpcClient node3 = client(dir.resolve("node-3"));
        SnapshotRequest forged = new SnapshotRequest(2, 1, FORGED_TERM, new Snapshot(new SnapshotMetadata(100,
                FORGED_TERM, List.of(1, 2, 3)), new byte[64]));
        java.util.concurrent.CompletableFuture<Runnable> endStream = new java.util.concurrent.CompletableFuture<>();
        Future<GrpcStatus> status = node3.request(address(1), RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
            req.write(SnapshotChunk.newBuilder().setHeader(ProtoMapping.header(forged))
                    .setData(ByteString.copyFrom(new byte[32])).build());
            io.vertx.core.Context context = Vertx.currentContext();
            endStream.complete(() -> context.runOnContext(v -> req.end(SnapshotChunk.newBuilder()
                    .setData(ByteString.copyFrom(new byte[32])).setLast(true).build())));
            return req.response();
        }).compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status())));
        eventually("the sender refused at the first chunk, with the stream still open", WAIT,
                () -> guardCount("sender_mismatch") > before);
        endStream.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).run();
        assertThat(await(status, WAIT)).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertNoForgedMessageReached();
    }

    @Test
    void aNodeThatCallsNode2AndIsAnsweredByNode3ClosesTheStream() throws Exception {
        PeerGuard guard = new PeerGuard(io.raftline.config.PeerIdentityPolicy.NODE);
        List<String> drops = new CopyOnWriteArrayList<>();
        // Node 1's credentials, but an address book that sends node 2's traffic to node 3's port (a member that took
        // another's address, or a wrong DNS entry).
        GrpcTransport sender = new GrpcTransport(clientVertx, new NetworkConditioner(7),
                (m, reason) -> drops.add(reason), id -> java.util.Optional.of(address(id == 2 ? 3 : id)),
                java.util.Set.of(1, 2, 3), GrpcTransport.Options.DEFAULTS, null, new GrpcTransport.PeerTls(
                        new PemKeyCertOptions().setCertPath(dir.resolve("node-1.pem").toString())
                                .setKeyPath(dir.resolve("node-1-key.pem").toString()),
                        new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString()), guard));
        try {
            sender.send(new HeartbeatResponse(1, 2, 1, 0));
            eventually("the message to node 2 is lost", WAIT, () -> !drops.isEmpty());
            assertThat(drops.get(0)).isEqualTo("rejected (server_mismatch)");
            assertThat(guard.refusals(PeerGuard.Reason.SERVER_MISMATCH)).isEqualTo(1);
        } finally {
            await(sender.close(), WAIT);
        }
    }

    @Test
    void theSharedCertificateNamingNoNodeIsRefusedUnlessTheConfigurationSaysAnyMember() throws Exception {
        StreamCall call = openStream(client(dir.resolve("node")), 1);
        call.send(1, new Heartbeat(2, 1, FORGED_TERM, 0, 0));
        StreamRefusal refusal = await(call.refusal(), WAIT);
        assertThat(refusal.getStatus()).isEqualTo(GrpcStatus.PERMISSION_DENIED.code);
        assertThat(refusal.getMessage()).contains("names no node");
        assertNoForgedMessageReached();
    }

    /**
     * The nemesis's faults between the processes travel on the peers' FaultService with their certificates: a delay
     * set on node 1's process is put in force by nodes 2 and 3, node 3's state is asked of process 3 from process 2,
     * and a heal follows. A caller without a certificate, or with the shared one that names no node, is refused
     * (UNAUTHENTICATED) before anything is read.
     */
    @Test
    void theFaultsBetweenProcessesTravelWithTheNodesCertificatesOnly() throws Exception {
        for (GrpcClient c : List.of(client(null), client(dir.resolve("node")))) {
            GrpcStatus status = await(c.request(address(1), FaultServiceGrpcClient.CurrentNetwork)
                    .compose(req -> req.send(NetworkQuery.getDefaultInstance()))
                    .compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))), WAIT);
            assertThat(status).isEqualTo(GrpcStatus.UNAUTHENTICATED);
        }
        // One that never ends its request is answered all the same, after the grace (DeferredRefusal), rather than
        // holding its stream open for as long as it likes.
        GrpcClientResponse<NetworkQuery, Sealed> unended = await(client(null)
                .request(address(1), FaultServiceGrpcClient.CurrentNetwork)
                .compose(req -> {
                    req.write(NetworkQuery.getDefaultInstance());
                    return req.response();
                }), WAIT);
        await(unended.end().otherwiseEmpty(), WAIT);
        assertThat(unended.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);
        nodes.get(1).faults().setNetwork(new io.raftline.transport.NetworkFaults(List.of(), 0, 1, 2, 0));
        try {
            for (int id : new int[] {2, 3}) {
                ClusterVerticle node = nodes.get(id);
                eventually("node " + id + "'s process delaying as node 1's does", WAIT,
                        () -> node.faults().network().delayMaxMs() == 2);
            }
            JsonObject resumed = await(nodes.get(2).faults().inflict(3, io.raftline.faults.NodeFault.RESUME), WAIT);
            assertThat(resumed.getJsonArray("nodes").getJsonObject(0).getInteger("id")).isEqualTo(3);
        } finally {
            nodes.get(3).faults().heal();
        }
        for (int id : new int[] {1, 2}) {
            ClusterVerticle node = nodes.get(id);
            eventually("node " + id + "'s process healed by node 3's", WAIT,
                    () -> node.faults().network().delayMaxMs() == 0);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertNoForgedMessageReached() throws Exception {
        assertThat(receivedBy1).noneMatch(m -> m.term() == FORGED_TERM);
        long term = await(nodes.get(1).nodes().get(1).status(), WAIT).term();
        assertThat(term).isLessThan(FORGED_TERM);
    }

    /** One Stream call to a node, its refusals and its final status. */
    private record StreamCall(GrpcClientRequest<RaftBatch, StreamRefusal> request, Future<StreamRefusal> refusal,
            Future<GrpcStatus> status) {
        void send(long seq, Message... messages) {
            request.write(ProtoMapping.toBatch(seq, List.of(messages)));
        }
    }

    private static StreamCall openStream(GrpcClient client, int node) throws Exception {
        io.vertx.core.Promise<StreamRefusal> refusal = io.vertx.core.Promise.promise();
        io.vertx.core.Promise<GrpcStatus> status = io.vertx.core.Promise.promise();
        // The handlers are attached on the call's context as the head arrives (GrpcTransportTest, a malformed frame).
        GrpcClientRequest<RaftBatch, StreamRefusal> req = await(io.raftline.transport.OnContext.call(
                clientVertx.getOrCreateContext(), () -> client.request(address(node), RaftServiceGrpcClient.Stream)
                        .onSuccess(call -> call.response().onComplete(ar -> answered(ar, refusal, status)))), WAIT);
        return new StreamCall(req, refusal.future(), status.future());
    }

    /** Feeds a Stream call's answer to its promises: each refusal, and the status once it ends. */
    private static void answered(io.vertx.core.AsyncResult<GrpcClientResponse<RaftBatch, StreamRefusal>> ar,
            io.vertx.core.Promise<StreamRefusal> refusal, io.vertx.core.Promise<GrpcStatus> status) {
        if (ar.failed()) {
            refusal.tryFail(ar.cause());
            status.tryFail(ar.cause());
            return;
        }
        GrpcClientResponse<RaftBatch, StreamRefusal> resp = ar.result();
        resp.handler(refusal::tryComplete);
        resp.endHandler(v -> status.tryComplete(resp.status()));
        resp.exceptionHandler(e -> status.tryComplete(resp.status()));
        if (resp.status() != null && resp.status() != GrpcStatus.OK) {
            status.tryComplete(resp.status());
        }
    }

    /** An HTTP/2 client trusting the cluster CA, presenting no certificate: gRPC frames by hand. */
    private io.vertx.core.http.HttpClient rawClient() {
        io.vertx.core.http.HttpClient c = clientVertx.createHttpClient(new HttpClientOptions().setSsl(true)
                .setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString())));
        rawClients.add(c);
        return c;
    }

    private static RequestOptions rawStream(int node) {
        return new RequestOptions().setMethod(HttpMethod.POST)
                .setHost("127.0.0.1").setPort(ports.get(node)).setURI("/raftline.raft.v1.RaftService/Stream")
                .putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    }

    /** A gRPC client trusting the cluster CA, presenting {@code cert.pem}/{@code cert-key.pem} unless null. */
    private GrpcClient client(Path cert) {
        HttpClientOptions http = new HttpClientOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString()));
        if (cert != null) {
            http.setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert + ".pem").setKeyPath(cert + "-key.pem"));
        }
        GrpcClient c = GrpcClient.client(clientVertx, new GrpcClientOptions(), http);
        clients.add(c);
        return c;
    }

    private static long guardCount(String reason) throws Exception {
        HttpResponse<String> metrics = https.send(HttpRequest.newBuilder(url(1, "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("raftline_peer_refusals_total{") && line.contains("reason=\"" + reason + "\"")
                    && line.contains("process=\"1\"") && line.contains("transport=\"grpc\"")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no raftline_peer_refusals_total for " + reason + " in /metrics");
    }

    private static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getClass().getName()).append(": ").append(c.getMessage()).append(" / ");
        }
        return b.toString();
    }

    private static SocketAddress address(int node) {
        return SocketAddress.inetSocketAddress(ports.get(node), "127.0.0.1");
    }

    private static URI url(int node, String path) {
        return URI.create("https://127.0.0.1:" + ports.get(node) + path);
    }
}
