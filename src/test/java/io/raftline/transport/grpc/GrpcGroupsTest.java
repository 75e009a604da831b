package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.VoteRequest;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Multi-Raft over one gRPC transport: node 1 sends as groups 0 and 2, node 2 (a real HTTP/2 port on loopback) hosts
 * the replicas of groups 0 and 2 and none of group 5. Each group's messages and snapshots reach only that group's
 * replica, every group travels on the same two connections and streams to the peer, a frame for a group without a replica is
 * refused and reported lost (and reaches no other group), network faults cut all groups of a link, and group 0's
 * frames are on the wire exactly what they were before groups.
 */
class GrpcGroupsTest {

    private Vertx vertx;
    private final Map<Integer, SocketAddress> addresses = new ConcurrentHashMap<>();
    private final List<String> drops = new CopyOnWriteArrayList<>();
    private final List<Message> group0 = new CopyOnWriteArrayList<>();
    private final List<Message> group2 = new CopyOnWriteArrayList<>();
    /** HTTP connections node 2's port accepted. */
    private final AtomicInteger connections = new AtomicInteger();
    private NetworkConditioner conditioner;
    private GrpcTransport sender;
    private GrpcTransport receiver;
    private HttpServer server;
    private Context senderContext;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        senderContext = vertx.getOrCreateContext();
        conditioner = new NetworkConditioner(1);
        GrpcTransport.Options options = GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(1000)
                .withMaxInflightPerPeer(32).withSnapshotChunkBytes(4096);
        sender = new GrpcTransport(vertx, conditioner, (m, reason) -> drops.add(m.getClass().getSimpleName() + ":"
                + reason), id -> Optional.ofNullable(addresses.get(id)), Set.of(1, 2, 3), options);
        receiver = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { }, id -> Optional.empty(),
                Set.of(1, 2, 3), options);
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(options.maxMessageBytes()))
                .addService(receiver.service(2));
        server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .connectionHandler(c -> connections.incrementAndGet()).requestHandler(grpc).listen());
        addresses.put(2, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"));
        await(receiver.register(2, group0::add));
        await(receiver.group(2).register(2, group2::add));
    }

    @AfterEach
    void stop() throws Exception {
        await(sender.close());
        await(receiver.close());
        await(vertx.close());
    }

    /** Each pair is one sendAll through one group's view, from a Vert.x context, as the group's replica does. */
    @SafeVarargs
    private void sendAll(Map.Entry<Transport, List<Message>>... sends) throws InterruptedException {
        Promise<Void> done = Promise.promise();
        senderContext.runOnContext(x -> {
            for (Map.Entry<Transport, List<Message>> s : sends) {
                s.getKey().sendAll(s.getValue());
            }
            done.complete();
        });
        await(done.future());
    }

    @Test
    void eachGroupsMessagesReachOnlyItsOwnReplicaOverThePeersTwoConnections() throws Exception {
        Transport g2 = sender.group(2);
        assertThat(sender.group(0)).isSameAs(sender);
        assertThat(sender.group(2)).as("one view per group").isSameAs(g2);
        assertThatThrownBy(() -> sender.group(-1)).isInstanceOf(IllegalArgumentException.class);

        List<Message> of0 = List.of(new Heartbeat(1, 2, 3, 10, 1), new AppendRequest(1, 2, 3, 10, 3,
                List.of(Entry.normal(11, 3, new byte[] {0})), 10));
        List<Message> of2 = List.of(new Heartbeat(1, 2, 7, 20, 2), new VoteRequest(1, 2, 8, 20, 7, true, false),
                new AppendRequest(1, 2, 7, 20, 7, List.of(Entry.normal(21, 7, new byte[] {2})), 20));
        // Interleaved, as the replicas of one process send: 0, 2, 0, 2.
        sendAll(Map.entry(sender, of0.subList(0, 1)), Map.entry(g2, of2.subList(0, 2)),
                Map.entry(sender, of0.subList(1, 2)), Map.entry(g2, of2.subList(2, 3)));
        eventually("both groups' messages delivered", () -> group0.size() == of0.size() && group2.size() == of2.size());
        // In order on each of the two streams (AppendEntries on one, the rest on the other), in any order across.
        assertThat(GrpcTransportTest.appends(group0, true)).containsExactlyElementsOf(GrpcTransportTest.appends(of0, true));
        assertThat(GrpcTransportTest.appends(group0, false)).containsExactlyElementsOf(GrpcTransportTest.appends(of0, false));
        assertThat(GrpcTransportTest.appends(group2, true)).containsExactlyElementsOf(GrpcTransportTest.appends(of2, true));
        assertThat(GrpcTransportTest.appends(group2, false)).containsExactlyElementsOf(GrpcTransportTest.appends(of2, false));

        GrpcTransport.PeerStats st = sender.stats(2);
        assertThat(st.frames()).as("one frame per sendAll and stream, whatever the group").isEqualTo(4);
        assertThat(st.streamsOpened()).as("two streams carry every group").isEqualTo(2);
        assertThat(connections.get()).as("two HTTP/2 connections to the peer (appends, control), whatever the group")
                .isEqualTo(2);
        assertThat(drops).isEmpty();

        eventually("every frame acknowledged", () -> sender.stats(2).acked() == of0.size() + of2.size());
    }

    @Test
    void aSnapshotOfGroup2IsInstalledByGroup2sReplica() throws Exception {
        byte[] data = new byte[10_000 + 7];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        SnapshotRequest of2 = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)),
                data));
        SnapshotRequest of0 = new SnapshotRequest(1, 2, 6, new Snapshot(new SnapshotMetadata(200, 6, List.of(1, 2, 3)),
                new byte[] {1, 2, 3}));
        sendAll(Map.entry(sender.group(2), List.of(of2)), Map.entry(sender, List.of(of0)),
                Map.entry(sender.group(2), List.of(new HeartbeatResponse(1, 2, 5, 9))));
        eventually("both snapshots delivered", () -> group2.size() == 2 && group0.size() == 1);
        assertThat(group2).containsExactlyInAnyOrder(of2, new HeartbeatResponse(1, 2, 5, 9));
        assertThat(group0).containsExactly(of0);
        assertThat(connections.get()).as("snapshot calls share the peer's appends connection, the heartbeat answer"
                + " goes on the control one").isEqualTo(2);
        assertThat(drops).isEmpty();
    }

    @Test
    void aFrameForAGroupWithoutAReplicaIsRefusedAndReachesNoOtherGroup() throws Exception {
        sendAll(Map.entry(sender.group(5), List.of(new Heartbeat(1, 2, 1, 0, 1), new Heartbeat(1, 2, 1, 0, 2))));
        eventually("the refusal reported", () -> drops.size() == 2);
        assertThat(drops).containsOnly("Heartbeat:rejected (UNAVAILABLE)");

        SnapshotRequest of5 = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)),
                new byte[] {1}));
        sendAll(Map.entry(sender.group(5), List.of(of5)));
        eventually("the snapshot's refusal reported", () -> drops.size() == 3);
        assertThat(drops.get(2)).startsWith("SnapshotRequest:").contains("UNAVAILABLE");

        // A replica that unregisters is gone for its group only.
        Transport.Registration again = await(receiver.group(2).register(2, group2::add));
        await(again.close());
        sendAll(Map.entry(sender.group(2), List.of(new Heartbeat(1, 2, 1, 0, 3))),
                Map.entry(sender, List.of(new Heartbeat(1, 2, 1, 0, 4))));
        eventually("group 0 delivered, group 2 refused", () -> group0.size() == 1 && drops.size() == 4);
        assertThat(group0).containsExactly(new Heartbeat(1, 2, 1, 0, 4));
        assertThat(drops.get(3)).isEqualTo("Heartbeat:rejected (UNAVAILABLE)");
        assertThat(group2).isEmpty();
        assertThat(sender.stats(2).streamsOpened()).as("refusals leave the shared stream open").isEqualTo(1);
    }

    @Test
    void theUnaryCallsAndRawFramesDeliverToTheGroupTheyName() throws Exception {
        GrpcClient client = GrpcClient.client(vertx);
        try {
            SocketAddress node2 = addresses.get(2);
            RaftEnvelope heartbeat = ProtoMapping.toEnvelope(new Heartbeat(1, 2, 1, 0, 1));
            assertThat(unary(client.request(node2, RaftServiceGrpcClient.AppendEntries)
                    .compose(req -> req.send(heartbeat.toBuilder().setGroup(2).build())))).isEqualTo(GrpcStatus.OK);
            assertThat(unary(client.request(node2, RaftServiceGrpcClient.RequestVote).compose(req -> req.send(
                    ProtoMapping.toProto(new VoteRequest(1, 2, 4, 0, 0, true, false)).toBuilder().setGroup(2).build()))))
                    .isEqualTo(GrpcStatus.OK);
            eventually("both delivered to group 2", () -> group2.size() == 2);
            assertThat(group2).containsExactly(new Heartbeat(1, 2, 1, 0, 1), new VoteRequest(1, 2, 4, 0, 0, true, false));

            // Groups without a replica, up to the largest uint32, are refused the same way.
            for (int group : new int[] {5, -1}) {
                assertThat(unary(client.request(node2, RaftServiceGrpcClient.AppendEntries)
                        .compose(req -> req.send(heartbeat.toBuilder().setGroup(group).build()))))
                        .isEqualTo(GrpcStatus.UNAVAILABLE);
                assertThat(unary(client.request(node2, RaftServiceGrpcClient.InstallSnapshot).compose(req -> req.send(
                        SnapshotChunk.newBuilder().setHeader(ProtoMapping.header(new SnapshotRequest(1, 2, 5,
                                new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)), new byte[0])), group))
                                .setLast(true).build())))).isEqualTo(GrpcStatus.UNAVAILABLE);
            }

            List<io.raftline.proto.raft.StreamRefusal> refusals = new CopyOnWriteArrayList<>();
            // Attached on the call's context as the head arrives (GrpcTransportTest, a malformed frame).
            var stream = await(io.raftline.transport.OnContext.call(vertx.getOrCreateContext(), () -> client.request(
                    node2, RaftServiceGrpcClient.Stream).onSuccess(call -> call.response()
                            .onSuccess(resp -> resp.handler(refusals::add)))));
            await(stream.write(ProtoMapping.toBatch(1, -1, List.of(new Heartbeat(1, 2, 1, 0, 2)))));
            // An envelope may not move its message into another group than its frame's.
            await(stream.write(RaftBatch.newBuilder().setSeq(2).setGroup(2).addMessages(heartbeat.toBuilder().setGroup(5))
                    .build()));
            await(stream.write(ProtoMapping.toBatch(3, 2, List.of(new Heartbeat(1, 2, 1, 0, 3)))));
            eventually("two refusals and one delivery", () -> refusals.size() == 2 && group2.size() == 3);
            assertThat(refusals).extracting(r -> r.getStatus()).containsExactly(GrpcStatus.UNAVAILABLE.code,
                    GrpcStatus.INVALID_ARGUMENT.code);
            assertThat(refusals.get(0).getMessage()).contains("group 4294967295 of node 2");
            assertThat(group2.get(2)).isEqualTo(new Heartbeat(1, 2, 1, 0, 3));
            await(stream.end());
        } finally {
            await(client.close());
        }
        assertThat(group0).as("nothing of another group reached group 0").isEmpty();
    }

    /**
     * A snapshot for a group with no replica on the node is refused UNAVAILABLE at its header: it used to be buffered
     * whole (announced here as 64 MiB, up to 2 GiB allowed) and refused only once the stream ended. The stream here never
     * ends, so only a refusal at the first chunk answers it.
     */
    @Test
    void aSnapshotForAGroupWithoutAReplicaIsRefusedAtItsHeader() throws Exception {
        GrpcClient client = GrpcClient.client(vertx);
        try {
            io.raftline.proto.raft.SnapshotHeader header = ProtoMapping.header(new SnapshotRequest(1, 2, 5,
                    new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)), new byte[0])), 5).toBuilder()
                    .setTotalBytes(64L << 20).build();
            GrpcClientResponse<SnapshotChunk, Ack> response = await(client.request(addresses.get(2),
                    RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                        req.write(SnapshotChunk.newBuilder().setHeader(header)
                                .setData(com.google.protobuf.ByteString.copyFrom(new byte[1024])).build());
                        return req.response();
                    }));
            await(response.last().otherwiseEmpty());
            assertThat(response.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
            assertThat(response.statusMessage()).contains("group 5 of node 2 is not running");
        } finally {
            await(client.close());
        }
        assertThat(group0).isEmpty();
        assertThat(group2).isEmpty();
    }

    private static <Req> GrpcStatus unary(Future<GrpcClientResponse<Req, Ack>> call) throws InterruptedException {
        return await(call.compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))));
    }

    @Test
    void networkFaultsAreBetweenNodesAndCutEveryGroup() throws Exception {
        conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
        sendAll(Map.entry(sender, List.of(new Heartbeat(1, 2, 1, 0, 1))),
                Map.entry(sender.group(2), List.of(new Heartbeat(1, 2, 1, 0, 2))));
        assertThat(drops).containsExactly("Heartbeat:partition", "Heartbeat:partition");
        conditioner.heal();
        sendAll(Map.entry(sender.group(2), List.of(new Heartbeat(1, 2, 1, 0, 3))));
        eventually("delivered once healed", () -> group2.size() == 1);
        assertThat(group0).isEmpty();
    }

    @Test
    void groupZerosFramesCarryNoGroupFieldOnTheWire() throws Exception {
        // A raw gRPC endpoint as node 3: it keeps each Stream frame's bytes exactly as they arrived.
        List<byte[]> frames = new CopyOnWriteArrayList<>();
        GrpcServer raw = GrpcServer.server(vertx).callHandler(req -> {
            if (req.methodName().equals("Stream")) {
                req.handler(frame -> frames.add(frame.getBytes()));
                req.endHandler(v -> req.response().end());
            } else {
                req.response().status(GrpcStatus.UNIMPLEMENTED).end();
            }
        });
        HttpServer rawServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(raw).listen());
        try {
            addresses.put(3, SocketAddress.inetSocketAddress(rawServer.actualPort(), "127.0.0.1"));
            Heartbeat h = new Heartbeat(1, 3, 2, 5, 9);
            sendAll(Map.entry(sender, List.of(h)), Map.entry(sender.group(2), List.of(h)));
            eventually("both frames arrived", () -> frames.size() == 2);
            // Group 0: seq (1) and messages (2) only, the frame of before groups existed.
            assertThat(fields(frames.get(0)).keySet()).containsExactly(1, 2);
            assertThat(frames.get(0)).isEqualTo(ProtoMapping.toBatch(1, List.of(h)).toByteArray());
            // Group 2: the same plus group (3) = 2.
            assertThat(fields(frames.get(1))).containsEntry(3, 2L);
            RaftBatch second = RaftBatch.parseFrom(frames.get(1));
            assertThat(second.getGroup()).isEqualTo(2);
            assertThat(ProtoMapping.fromBatch(second)).containsExactly(h);
        } finally {
            await(rawServer.close());
        }
    }

    /** The top-level fields of an encoded message: number to value (varints) or to -1 (anything else). */
    private static Map<Integer, Long> fields(byte[] wire) throws IOException {
        Map<Integer, Long> out = new TreeMap<>();
        CodedInputStream in = CodedInputStream.newInstance(wire);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int number = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                out.put(number, in.readUInt64());
            } else {
                out.put(number, -1L);
                in.skipField(tag);
            }
        }
        return out;
    }
}
