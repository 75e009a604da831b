package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.VoteRequest;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two processes' gRPC endpoints in one JVM whose configurations disagree on {@code "groups"}: node 2 runs 3 groups,
 * node 1 runs 2. Every call node 1 opens states its 2, so node 2 refuses every message of it (stream frames of any
 * group, snapshots): none reaches a replica, each is reported dropped on node 2 with a reason that names node 1 and
 * both counts, and node 1 reports them lost. Node 3, configured like node 2, is heard as usual over the same port.
 * Before the transports stated their count, node 1's messages of the groups both nodes host were delivered.
 */
class GrpcGroupCountTest {

    private Vertx vertx;
    private final Map<Integer, SocketAddress> addresses = new ConcurrentHashMap<>();
    private final List<String> senderDrops = new CopyOnWriteArrayList<>();
    private final List<String> receiverDrops = new CopyOnWriteArrayList<>();
    private final List<Message> group0 = new CopyOnWriteArrayList<>();
    private final List<Message> group1 = new CopyOnWriteArrayList<>();
    private final List<GrpcTransport> transports = new ArrayList<>();
    private HttpServer server;
    private Context senderContext;
    private GrpcTransport.Options options;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        senderContext = vertx.getOrCreateContext();
        options = GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(2000).withSnapshotChunkBytes(4096);
        GrpcTransport receiver = transport(2, 3, receiverDrops);
        GrpcServer grpc = GrpcServer.server(vertx).addService(receiver.service(2));
        server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(grpc).listen());
        addresses.put(2, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"));
        await(receiver.register(2, group0::add));
        await(receiver.group(1).register(2, group1::add));
    }

    @AfterEach
    void stop() throws Exception {
        for (GrpcTransport t : transports) {
            await(t.close());
        }
        await(vertx.close());
    }

    private GrpcTransport transport(int node, int groups, List<String> drops) {
        GrpcTransport t = new GrpcTransport(vertx, new NetworkConditioner(node), (m, reason) -> drops.add(
                m.getClass().getSimpleName() + " " + m.from() + "->" + m.to() + ": " + reason),
                id -> Optional.ofNullable(addresses.get(id)), Set.of(1, 2, 3), options, null, null, groups);
        transports.add(t);
        return t;
    }

    private void sendAll(Transport t, List<Message> messages) throws InterruptedException {
        Promise<Void> done = Promise.promise();
        senderContext.runOnContext(x -> {
            t.sendAll(messages);
            done.complete();
        });
        await(done.future());
    }

    @Test
    void everyMessageOfAProcessWithAnotherNumberOfGroupsIsRefusedAndReportedNamingBothCounts() throws Exception {
        GrpcTransport node1 = transport(1, 2, senderDrops);
        SnapshotRequest snapshot = new SnapshotRequest(1, 2, 4, new Snapshot(new SnapshotMetadata(9, 4,
                List.of(1, 2, 3)), new byte[10_000]));
        sendAll(node1, List.of(new Heartbeat(1, 2, 4, 0, 1), new VoteRequest(1, 2, 5, 9, 4, true, false),
                new AppendRequest(1, 2, 4, 8, 4, List.of(Entry.normal(9, 4, new byte[] {7})), 8)));
        sendAll(node1.group(1), List.of(new Heartbeat(1, 2, 6, 0, 2)));
        sendAll(node1, List.of(snapshot));

        String reason = "receiver has \"groups\": 3, node 1 has 2";
        eventually("node 2 reports all five messages refused", () -> receiverDrops.size() == 5);
        assertThat(receiverDrops).allMatch(d -> d.endsWith(": " + reason), "each names node 1 and both counts")
                .anyMatch(d -> d.startsWith("SnapshotRequest 1->2"));
        eventually("node 1 reports all five lost", () -> senderDrops.size() == 5);
        assertThat(senderDrops).allMatch(d -> d.contains("FAILED_PRECONDITION"));
        assertThat(group0).as("no message of node 1 reached group 0").isEmpty();
        assertThat(group1).as("nor group 1").isEmpty();

        // Node 3 runs 3 groups, as node 2 does: heard over the same port.
        GrpcTransport node3 = transport(3, 3, new CopyOnWriteArrayList<>());
        sendAll(node3.group(1), List.of(new Heartbeat(3, 2, 6, 0, 3)));
        eventually("node 3's heartbeat reaches group 1", () -> group1.size() == 1);
        assertThat(receiverDrops).hasSize(5);
        assertThat(group0).isEmpty();
    }

    /**
     * A snapshot stream from a process with another number of groups is refused at its first chunk: the receiver keeps
     * none of its bytes and answers while the stream is still open. It was refused only once the whole snapshot (up to
     * 2 GiB) had arrived, so a stream left open got no answer at all.
     */
    @Test
    void aSnapshotOfAProcessWithAnotherNumberOfGroupsIsRefusedAtItsHeader() throws Exception {
        io.raftline.proto.raft.SnapshotHeader header = io.raftline.proto.raft.SnapshotHeader.newBuilder().setFrom(1)
                .setTo(2).setTerm(3).setIndex(50).setSnapshotTerm(2).addAllVoters(List.of(1, 2, 3))
                .setTotalBytes(64L << 20).build();
        io.vertx.grpc.client.GrpcClient client = io.vertx.grpc.client.GrpcClient.client(vertx);
        try {
            io.vertx.grpc.common.GrpcStatus status = await(client.request(addresses.get(2),
                    io.raftline.proto.raft.RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                        req.headers().set(RaftEndpoint.GROUPS_HEADER, "2");
                        // One chunk of an announced 64 MiB, and the stream left open.
                        req.write(io.raftline.proto.raft.SnapshotChunk.newBuilder().setHeader(header)
                                .setData(com.google.protobuf.ByteString.copyFrom(new byte[1024])).build());
                        return req.response();
                    }).compose(resp -> resp.last().transform(ar -> io.vertx.core.Future.succeededFuture(
                            resp.status()))));
            assertThat(status).isEqualTo(io.vertx.grpc.common.GrpcStatus.FAILED_PRECONDITION);
        } finally {
            await(client.close());
        }
        assertThat(receiverDrops).containsExactly("SnapshotRequest 1->2: receiver has \"groups\": 3, node 1 has 2");
        assertThat(group0).isEmpty();
    }
}
