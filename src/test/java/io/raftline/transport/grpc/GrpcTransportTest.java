package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.RaftServiceGrpcService;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.ReadIndexRequest;
import io.raftline.raft.message.ReadIndexResponse;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.raftline.transport.NetworkFaults;
import io.raftline.transport.Transport;
import io.raftline.transport.TransportQueues;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gRPC transports over loopback, one per "process": node 1 sends, node 2 receives on a real HTTP/2 port.
 * Covers every message kind, one frame per sendAll and stream on two long-lived streams (AppendEntries apart, so a
 * large one holds back no heartbeat), reconnecting after a peer restart,
 * snapshot chunking and reassembly, refusals (unknown node, non-member, bad stream or frame), network faults, and
 * peers that are dead, frozen or too slow to read.
 */
class GrpcTransportTest {

    private Vertx vertx;
    /** The Vert.x of a silent peer's "process" ({@link #silentPeer}), if the test made one. */
    private Vertx peerProcess;
    private final Map<Integer, SocketAddress> addresses = new ConcurrentHashMap<>();
    private final List<String> drops = new CopyOnWriteArrayList<>();
    private final List<Message> received = new CopyOnWriteArrayList<>();
    private NetworkConditioner conditioner;
    private GrpcTransport sender;
    private GrpcTransport receiver;
    private HttpServer server;
    private io.vertx.core.Context senderContext;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        senderContext = vertx.getOrCreateContext();
        conditioner = new NetworkConditioner(1);
        GrpcTransport.Options options = GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(1000)
                .withMaxInflightPerPeer(32).withSnapshotChunkBytes(4096);
        sender = new GrpcTransport(vertx, conditioner, (m, reason) -> drops.add(m.getClass().getSimpleName() + ":" + reason),
                id -> Optional.ofNullable(addresses.get(id)), Set.of(1, 2, 3), options);
        receiver = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { },
                id -> Optional.empty(), Set.of(1, 2, 3), options);
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(options.maxMessageBytes()))
                .addService(receiver.service(2));
        server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(grpc).listen());
        addresses.put(2, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"));
        await(receiver.register(2, received::add));
    }

    /**
     * Closes both transports and Vert.x. A close of Vert.x that never ended failed this class in three CI runs of
     * 2026-12-04, each time after the frozen-peer test, never in 15 runs by hand: every event loop idle, no worker busy,
     * no Vert.x frame saying what it waited for. The silent peer lived on the same Vert.x then; it has a Vert.x of its
     * own now ({@link #silentPeer}), closed after this one, so a close that still hangs is the node's side. The stacks
     * of every thread are printed when a close takes more than 10 s, and it gets 30 s more before the test fails.
     */
    @AfterEach
    void stop() throws Exception {
        closeWatched("the sender", sender.close());
        closeWatched("the receiver", receiver.close());
        closeWatched("Vert.x", vertx.close());
        if (peerProcess != null) {
            // The silent peer's process goes last, so that everything above closed while it was still alive and
            // silent, as a node's stop must. How its own Vert.x ends connections nobody answers is not this class's
            // subject: a close that does not end is reported and left to the JVM's exit.
            try {
                await(peerProcess.close());
            } catch (io.raftline.verify.nemesis.Waits.TimedOutException e) {
                System.err.println("the silent peer's Vert.x did not close within 10 s; left to the JVM's exit");
            }
        }
    }

    /**
     * A peer that accepts TCP connections and never answers a byte, as a stopped ({@code SIGSTOP}) process looks to
     * its peers. It runs on a Vert.x of its own, as it would in its own process, and stays up until the test's end.
     */
    private NetServer silentPeer(int id) throws InterruptedException {
        peerProcess = Vertx.vertx();
        NetServer silent = await(peerProcess.createNetServer().connectHandler(so -> so.handler(b -> { }))
                .listen(0, "127.0.0.1"));
        addresses.put(id, SocketAddress.inetSocketAddress(silent.actualPort(), "127.0.0.1"));
        return silent;
    }

    private static void closeWatched(String what, io.vertx.core.Future<Void> closing) throws Exception {
        try {
            await(closing);
        } catch (io.raftline.verify.nemesis.Waits.TimedOutException e) {
            StringBuilder dump = new StringBuilder("closing " + what + " took more than 10 s; every thread:\n");
            for (var t : Thread.getAllStackTraces().entrySet()) {
                dump.append('"').append(t.getKey().getName()).append("\" ").append(t.getKey().getState()).append('\n');
                for (StackTraceElement f : t.getValue()) {
                    dump.append("    at ").append(f).append('\n');
                }
            }
            System.err.print(dump);
            await(closing, java.time.Duration.ofSeconds(30));
        }
    }

    /** Sends from a Vert.x context, as a node verticle does. */
    private void sendFromContext(List<? extends Message> messages) throws InterruptedException {
        OnContext.run(senderContext, () -> {
            messages.forEach(sender::send);
        });
    }

    /** Sends each list with one sendAll, from a Vert.x context, as a node verticle does. */
    private void sendAllFromContext(List<List<Message>> groups) throws InterruptedException {
        OnContext.run(senderContext, () -> {
            groups.forEach(sender::sendAll);
        });
    }

    /**
     * A peer's counters read on the sender's context, where its link runs (the link's context is the one it was first
     * sent from): counters read from the test's thread can be caught between a frame leaving the wait for the stream
     * and being counted as written.
     */
    private GrpcTransport.PeerStats statsOnSenderContext(int peer) throws InterruptedException {
        return await(OnContext.call(senderContext, () -> Future.succeededFuture(sender.stats(peer))));
    }

    /**
     * The AppendEntries of {@code messages} (or all but them), in their order: what one of a peer's two streams
     * carries, in order on each stream and in any order across them.
     */
    static List<Message> appends(List<Message> messages, boolean appendEntries) {
        return messages.stream().filter(m -> m instanceof AppendRequest == appendEntries).toList();
    }

    private static SnapshotRequest snapshot(int to, long index, int size) {
        return new SnapshotRequest(1, to, 5, new Snapshot(new SnapshotMetadata(index, 4, List.of(1, 2, 3)),
                bytes(size, index)));
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    @Test
    void everyMessageKindArrivesIntactAndInOrderOnItsStream() throws Exception {
        List<Message> all = new ArrayList<>(List.of(
                new VoteRequest(1, 2, 3, 10, 2, true, false),
                new VoteResponse(1, 2, 3, true, false),
                new AppendRequest(1, 2, 7, 10, 6, List.of(Entry.noop(11, 7), Entry.normal(12, 7, bytes(300, 1))), 9),
                new AppendResponse(1, 2, 7, true, 10, 4, 3),
                new Heartbeat(1, 2, 7, 9, 44),
                new HeartbeatResponse(1, 2, 7, 44),
                new TimeoutNow(1, 2, 7),
                new ReadIndexRequest(1, 2, 7, 99),
                new ReadIndexResponse(1, 2, 7, 99, 12)));
        for (int i = 0; i < 20; i++) {
            all.add(new Heartbeat(1, 2, 7, i, 1000 + i));
        }
        sendFromContext(all);
        eventually("all messages delivered", () -> received.size() == all.size());
        assertThat(appends(received, true)).containsExactlyElementsOf(appends(all, true));
        assertThat(appends(received, false)).containsExactlyElementsOf(appends(all, false));
        // The receiver's acknowledgement of a call travels back after the message was handed over: wait for it.
        eventually("every call acknowledged", () -> sender.stats(2).acked() == all.size());
        assertThat(drops).isEmpty();
    }

    @Test
    void theEventStreamPairsEachReceiveOverGrpcWithItsSend() throws Exception {
        // As a node reports them: its sends (the objects it handed to the transport) and, on the receiving node, the
        // messages the transport delivered, which over gRPC are decoded copies.
        io.reactivex.rxjava3.schedulers.TestScheduler clock = new io.reactivex.rxjava3.schedulers.TestScheduler();
        io.raftline.events.EventPipeline pipeline = new io.raftline.events.EventPipeline(
                io.raftline.events.PublisherOptions.DEFAULTS, clock);
        List<io.raftline.events.RaftEvent> published = new CopyOnWriteArrayList<>();
        pipeline.sequenced().subscribe(published::addAll);
        await(receiver.register(2, m -> {
            received.add(m);
            pipeline.offer(new io.raftline.events.RaftEvent.MessageReceived(
                    io.raftline.events.EventHeader.observed(2, m.to()), 0, m));
        }));
        List<Message> sends = List.of(
                new VoteRequest(1, 2, 3, 10, 2, false, false),
                new AppendRequest(1, 2, 3, 10, 2, List.of(Entry.normal(11, 3, bytes(100, 5))), 9),
                new Heartbeat(1, 2, 3, 11, 0),
                new Heartbeat(1, 2, 3, 11, 0));
        for (Message m : sends) {
            pipeline.offer(new io.raftline.events.RaftEvent.MessageSent(
                    io.raftline.events.EventHeader.observed(1, m.from()), 0, m));
        }
        sendAllFromContext(List.of(sends));
        eventually("all delivered", () -> received.size() == sends.size());
        clock.advanceTimeBy(200, java.util.concurrent.TimeUnit.MILLISECONDS);
        List<io.raftline.events.RaftEvent.MessageSent> sent = published.stream()
                .filter(io.raftline.events.RaftEvent.MessageSent.class::isInstance)
                .map(io.raftline.events.RaftEvent.MessageSent.class::cast).toList();
        List<io.raftline.events.RaftEvent.MessageReceived> arrived = published.stream()
                .filter(io.raftline.events.RaftEvent.MessageReceived.class::isInstance)
                .map(io.raftline.events.RaftEvent.MessageReceived.class::cast).toList();
        assertThat(sent).hasSize(4);
        // Each receive carries its own send's id (the two equal heartbeats in turn); the AppendEntries travel on a
        // stream of their own, so they may arrive before or after the rest.
        Map<Long, Message> sentById = new java.util.HashMap<>();
        sent.forEach(e -> sentById.put(e.msgId(), e.message()));
        assertThat(sentById).hasSize(sends.size());
        assertThat(arrived).allSatisfy(r -> assertThat(r.message()).isEqualTo(sentById.get(r.msgId())));
        assertThat(arrived).extracting(io.raftline.events.RaftEvent.MessageReceived::msgId)
                .containsExactlyInAnyOrderElementsOf(sentById.keySet());
        List<Long> heartbeatIds = arrived.stream().filter(r -> r.message() instanceof Heartbeat)
                .map(io.raftline.events.RaftEvent.MessageReceived::msgId).toList();
        assertThat(heartbeatIds).isSorted();
        pipeline.close();
    }

    @Test
    void aLargeSnapshotIsStreamedInChunksAndReassembled() throws Exception {
        byte[] data = bytes(1_000_000 + 123, 7);
        SnapshotRequest s = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)), data));
        SnapshotRequest empty = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(101, 4, List.of(1, 2, 3)),
                new byte[0]));
        sendFromContext(List.of(s));
        eventually("the snapshot delivered", () -> received.size() == 1);
        eventually("its call answered", () -> sender.stats(2).acked() == 1);
        sendFromContext(List.of(empty));
        eventually("both snapshots delivered", () -> received.size() == 2);
        assertThat(received).containsExactly(s, empty);
        assertThat(drops).isEmpty();
    }

    /**
     * A partition set while a snapshot streams keeps its remaining chunks on this side, as it keeps every frame that
     * has not left yet (and as the event bus keeps the rest of a chunked frame): the call is given up and the snapshot
     * reported lost for the partition. It used to stream to its end across the cut and be installed there.
     */
    @Test
    void aPartitionSetWhileASnapshotStreamsKeepsItsRestOnThisSide() throws Exception {
        // A peer that reads the first chunk, then stops reading until told: the flow-control window (64 KiB) holds
        // the sender's chunks back, far short of the 4 MiB snapshot.
        List<Integer> chunks = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Runnable> resume = new java.util.concurrent.atomic.AtomicReference<>();
        GrpcServer slow = GrpcServer.server(vertx).callHandler(RaftServiceGrpcService.InstallSnapshot, request -> {
            io.vertx.core.Context context = Vertx.currentContext();
            request.handler(chunk -> {
                chunks.add(chunk.getData().size());
                if (chunks.size() == 1) {
                    request.pause();
                    resume.set(() -> context.runOnContext(v -> request.resume()));
                }
            });
            request.exceptionHandler(e -> { });
            request.endHandler(v -> {
                ended.set(true);
                request.response().end(Ack.getDefaultInstance());
            });
        });
        HttpServer slowServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(slow).listen());
        addresses.put(3, SocketAddress.inetSocketAddress(slowServer.actualPort(), "127.0.0.1"));
        sendFromContext(List.of(snapshot(3, 100, 4 << 20)));
        eventually("the peer read the first chunk", () -> resume.get() != null);
        conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
        resume.get().run();
        eventually("the snapshot reported lost for the partition", () -> !drops.isEmpty());
        assertThat(drops).containsExactly("SnapshotRequest:partition");
        eventually("the call over", () -> sender.stats(3).inFlight() == 0);
        assertThat(ended.get()).as("the peer got the whole snapshot").isFalse();
        assertThat(chunks.stream().mapToLong(Integer::longValue).sum()).as("bytes that crossed")
                .isLessThan(4L << 20);
        await(slowServer.close());
    }

    /**
     * A leader whose snapshot gets no answer within an election timeout sends it again (the core cannot tell a lost
     * snapshot from a slow one). While the first copy is still on its way, a second stream would double the bytes on
     * the link and the follower would buffer both whole, a third with the next timeout, and so on: a large snapshot
     * that takes longer than an election timeout to stream would never finish. One stream per sender and group at a
     * time; what comes meanwhile is lost, as on a busy network, and Raft sends it again later.
     */
    @Test
    void aSnapshotIsNotStreamedAgainWhileItsFirstCopyIsOnItsWay() throws Exception {
        byte[] data = bytes(2_000_000, 11);
        SnapshotRequest s = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)), data));
        SnapshotRequest newer = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(120, 4, List.of(1, 2, 3)),
                data));
        sendFromContext(List.of(s, s, newer));
        eventually("every snapshot call answered or dropped",
                () -> !received.isEmpty() && sender.stats(2).inFlight() == 0);
        assertThat(received).containsExactly(s);
        assertThat(drops).containsExactly("SnapshotRequest:snapshot in flight", "SnapshotRequest:snapshot in flight");
        assertThat(sender.stats(2).sent()).as("one stream opened").isEqualTo(1);
        // Once it is answered, the next snapshot goes.
        sendFromContext(List.of(newer));
        eventually("the next snapshot delivered", () -> received.size() == 2);
        assertThat(received).containsExactly(s, newer);
    }

    @Test
    void theSnapshotStreamIsValidatedChunkByChunk() throws Exception {
        SnapshotHeader header = SnapshotHeader.newBuilder().setFrom(1).setTo(2).setTerm(3).setIndex(50).setSnapshotTerm(2)
                .addAllVoters(List.of(1, 2, 3)).setTotalBytes(100).build();
        // Fewer bytes than announced.
        assertThat(streamSnapshot(List.of(SnapshotChunk.newBuilder().setHeader(header)
                .setData(ByteString.copyFrom(new byte[60])).setLast(true).build())))
                .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        // More bytes than announced, across chunks.
        assertThat(streamSnapshot(List.of(
                SnapshotChunk.newBuilder().setHeader(header).setData(ByteString.copyFrom(new byte[60])).build(),
                SnapshotChunk.newBuilder().setData(ByteString.copyFrom(new byte[60])).setLast(true).build())))
                .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        // No header.
        assertThat(streamSnapshot(List.of(SnapshotChunk.newBuilder().setData(ByteString.copyFrom(new byte[100]))
                .setLast(true).build()))).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        // The exact size in two chunks is accepted.
        assertThat(streamSnapshot(List.of(
                SnapshotChunk.newBuilder().setHeader(header).setData(ByteString.copyFrom(new byte[60])).build(),
                SnapshotChunk.newBuilder().setData(ByteString.copyFrom(new byte[40])).setLast(true).build())))
                .isEqualTo(GrpcStatus.OK);
        eventually("the valid snapshot delivered", () -> received.size() == 1);
        assertThat(((SnapshotRequest) received.get(0)).snapshot().data()).hasSize(100);
    }

    /**
     * A snapshot for a node the port does not serve is refused at its header, as a malformed stream is: the receiver
     * used to buffer all of it (announced here as 64 MiB, up to 2 GiB allowed) and only refuse it NOT_FOUND at the
     * end. The stream here never ends, so only a refusal at the first chunk answers it.
     */
    @Test
    void aSnapshotForAnotherNodeIsRefusedAtItsHeader() throws Exception {
        SnapshotHeader header = SnapshotHeader.newBuilder().setFrom(1).setTo(3).setTerm(3).setIndex(50)
                .setSnapshotTerm(2).addAllVoters(List.of(1, 2, 3)).setTotalBytes(64L << 20).build();
        GrpcClient client = GrpcClient.client(vertx);
        try {
            GrpcStatus status = await(client.request(addresses.get(2), RaftServiceGrpcClient.InstallSnapshot)
                    .compose(req -> {
                        req.write(SnapshotChunk.newBuilder().setHeader(header)
                                .setData(ByteString.copyFrom(new byte[1024])).build());
                        return req.response();
                    }).compose(this::statusOf));
            assertThat(status).isEqualTo(GrpcStatus.NOT_FOUND);
        } finally {
            await(client.close());
        }
        assertThat(received).isEmpty();
    }

    /** A snapshot stream opened from the test: the call, once its first chunk was written, and its final status. */
    private record OpenSnapshot(io.vertx.grpc.client.GrpcClientRequest<SnapshotChunk, Ack> call,
            Future<GrpcClientResponse<SnapshotChunk, Ack>> answered) {
    }

    /**
     * Opens an InstallSnapshot stream from {@code from} to node 2 on {@code client}'s connection and writes its first
     * chunk: the whole snapshot of {@code bytes} when {@code whole}, else {@code bytes} of an announced 1 MiB, the
     * stream left open. Returns once the chunk was written, so streams opened one after the other on one connection
     * reach the server in that order.
     */
    private OpenSnapshot openSnapshot(GrpcClient client, int from, int bytes, boolean whole) throws InterruptedException {
        SnapshotHeader header = SnapshotHeader.newBuilder().setFrom(from).setTo(2).setTerm(3).setIndex(50)
                .setSnapshotTerm(2).addAllVoters(List.of(1, 2, 3)).setTotalBytes(whole ? bytes : 1L << 20).build();
        SnapshotChunk first = SnapshotChunk.newBuilder().setHeader(header).setData(ByteString.copyFrom(new byte[bytes]))
                .setLast(whole).build();
        Promise<io.vertx.grpc.client.GrpcClientRequest<SnapshotChunk, Ack>> call = Promise.promise();
        Promise<Void> written = Promise.promise();
        Future<GrpcClientResponse<SnapshotChunk, Ack>> answered = client.request(addresses.get(2),
                RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                    call.complete(req);
                    (whole ? req.end(first) : req.write(first)).onComplete(written);
                    return req.response();
                }).compose(resp -> resp.last().otherwiseEmpty().map(x -> resp));
        await(written.future());
        return new OpenSnapshot(await(call.future()), answered);
    }

    /**
     * The snapshot streams a process receives at once are bounded ({@link SnapshotIntake}): each is buffered whole, up
     * to 2 GiB, and one connection could open as many as HTTP/2 let it. A second stream from the same sender for the
     * same group and node, and a fifth on one connection, are refused RESOURCE_EXHAUSTED at their header, while the
     * admitted ones stay open; a stream that ends (here cancelled by its sender) frees its place. Before, none of
     * these streams was answered until it ended.
     */
    @Test
    void snapshotStreamsReceivedAtOnceAreBoundedPerSenderAndPerConnection() throws Exception {
        GrpcClient a = GrpcClient.client(vertx);
        GrpcClient b = GrpcClient.client(vertx);
        try {
            OpenSnapshot fromOne = openSnapshot(a, 1, 1024, false);
            GrpcClientResponse<SnapshotChunk, Ack> again = await(openSnapshot(a, 1, 1024, false).answered());
            assertThat(again.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(again.statusMessage()).contains("from node 1 to node 2 is already being received");

            List<OpenSnapshot> open = new ArrayList<>(List.of(fromOne));
            for (int from = 3; from <= 5; from++) {
                open.add(openSnapshot(a, from, 1024, false));
            }
            GrpcClientResponse<SnapshotChunk, Ack> fifth = await(openSnapshot(a, 6, 1024, false).answered());
            assertThat(fifth.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(fifth.statusMessage()).contains(SnapshotIntake.MAX_PER_CONNECTION
                    + " snapshot streams are open on this connection already");
            assertThat(open).as("the admitted streams are still open").allMatch(o -> !o.answered().isComplete());

            // Another connection still has room: a whole snapshot from node 6 is installed.
            GrpcClientResponse<SnapshotChunk, Ack> other = await(openSnapshot(b, 6, 2048, true).answered());
            assertThat(other.status()).isEqualTo(GrpcStatus.OK);
            eventually("node 6's snapshot delivered", () -> received.size() == 1);

            // The sender of the first stream gives it up: its place, on the connection and for its sender, is free.
            // (Larger than one of the assembler's pieces: joined on a worker before it is delivered.)
            fromOne.call().cancel();
            GrpcClientResponse<SnapshotChunk, Ack> retried = await(openSnapshot(a, 1, SnapshotAssembler.BLOCK_BYTES
                    + 4096, true).answered());
            assertThat(retried.status()).isEqualTo(GrpcStatus.OK);
            eventually("node 1's snapshot delivered", () -> received.size() == 2);
            assertThat(((SnapshotRequest) received.get(1)).snapshot().data()).hasSize(SnapshotAssembler.BLOCK_BYTES + 4096);
        } finally {
            await(a.close());
            await(b.close());
        }
    }

    private GrpcStatus streamSnapshot(List<SnapshotChunk> chunks) throws InterruptedException {
        GrpcClient client = GrpcClient.client(vertx);
        try {
            return await(client.request(addresses.get(2), RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                for (int i = 0; i < chunks.size() - 1; i++) {
                    req.write(chunks.get(i));
                }
                req.end(chunks.get(chunks.size() - 1));
                return req.response();
            }).compose(this::statusOf));
        } finally {
            await(client.close());
        }
    }

    private <Req> Future<GrpcStatus> statusOf(GrpcClientResponse<Req, Ack> resp) {
        return resp.last().transform(ar -> Future.succeededFuture(resp.status()));
    }

    private GrpcStatus appendEntries(RaftEnvelope envelope) throws InterruptedException {
        GrpcClient client = GrpcClient.client(vertx);
        try {
            return await(client.request(addresses.get(2), RaftServiceGrpcClient.AppendEntries)
                    .compose(req -> req.send(envelope)).compose(this::statusOf));
        } finally {
            await(client.close());
        }
    }

    @Test
    void messagesForAnotherNodeOrFromANonMemberOrMalformedAreRefused() throws Exception {
        assertThat(appendEntries(ProtoMapping.toEnvelope(new Heartbeat(1, 3, 1, 0, 0)))).isEqualTo(GrpcStatus.NOT_FOUND);
        // An answer from an id the process does not know; what a leader sends is taken from any id
        // (GrpcUnknownSenderTest).
        assertThat(appendEntries(ProtoMapping.toEnvelope(new HeartbeatResponse(9, 2, 1, 0))))
                .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(appendEntries(RaftEnvelope.getDefaultInstance())).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(received).isEmpty();

        // Seen from a sender: a message to node 3 sent to node 2's port is lost, and reported as refused.
        addresses.put(3, addresses.get(2));
        sendFromContext(List.of(new Heartbeat(1, 3, 1, 0, 0)));
        eventually("the refusal reported", () -> !drops.isEmpty());
        assertThat(drops).containsExactly("Heartbeat:rejected (NOT_FOUND)");
    }

    /**
     * A message that is no message of its method (here one byte, a field tag of zero) is answered INVALID_ARGUMENT with
     * the reason, on each method of the Raft service, the streams included: Vert.x's own decoding reset the call's
     * stream with CANCEL and no status, so the peer could not tell it from a lost connection.
     */
    @Test
    void aMessageThatDoesNotDecodeIsAnsweredInvalidArgumentWithTheReason() throws Exception {
        io.vertx.core.http.HttpClient h2c = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            for (String method : List.of("RequestVote", "AppendEntries", "InstallSnapshot", "Stream")) {
                io.raftline.server.RawGrpcCall.Answer answer = io.raftline.server.RawGrpcCall.call(h2c,
                        server.actualPort(), "/raftline.raft.v1.RaftService/" + method, io.vertx.core.buffer.Buffer
                                .buffer().appendByte((byte) 0).appendInt(1).appendByte((byte) 0),
                        java.time.Duration.ofSeconds(10));
                assertThat(answer.status()).as(method).isEqualTo(String.valueOf(GrpcStatus.INVALID_ARGUMENT.code));
                assertThat(answer.message()).as(method).startsWith(method + ": the request message does not decode: ")
                        .contains("tag");
            }
        } finally {
            await(h2c.close());
        }
        assertThat(received).isEmpty();
    }

    @Test
    void aNodeThatIsNotRegisteredAnswersUnavailable() throws Exception {
        Transport.Registration registration = await(receiver.register(2, received::add));
        await(registration.close());
        assertThat(appendEntries(ProtoMapping.toEnvelope(new Heartbeat(1, 2, 1, 0, 0)))).isEqualTo(GrpcStatus.UNAVAILABLE);
    }

    @Test
    void networkFaultsApplyToGrpcTraffic() throws Exception {
        conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
        sendFromContext(List.of(new Heartbeat(1, 2, 1, 0, 0)));
        assertThat(drops).containsExactly("Heartbeat:partition");
        conditioner.heal();
        conditioner.setPaused(2, true);
        sendFromContext(List.of(new Heartbeat(1, 2, 1, 0, 0)));
        assertThat(drops).containsExactly("Heartbeat:partition", "Heartbeat:paused");
        conditioner.setPaused(2, false);
        sendFromContext(List.of(new Heartbeat(1, 2, 1, 0, 7)));
        eventually("delivered once healed", () -> received.size() == 1);
        assertThat(sender.stats(2).sent()).isEqualTo(1);
    }

    /**
     * Frames that wait for the peer's stream to open leave when it opens, which is later than they were sent: a
     * partition set meanwhile must cut them, as it cuts what is sent after it, and they are reported lost as any
     * partition drop is. The stream cannot open within the task that sent them (it needs a connection), so the
     * partition set in that task is certainly in force when it opens.
     */
    @Test
    void framesWaitingForTheStreamToOpenMeetAPartitionSetMeanwhile() throws Exception {
        GrpcTransport patient = patientSender(null);
        try {
            OnContext.run(senderContext, () -> {
                patient.sendAll(List.of(new Heartbeat(1, 2, 1, 0, 1), new Heartbeat(1, 2, 1, 0, 2)));
                patient.send(new AppendResponse(1, 2, 1, true, 5, 0, 0));
                conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
            });
            eventually("the waiting frames reported lost", () -> drops.size() == 3);
            assertThat(drops).containsExactly("Heartbeat:partition", "Heartbeat:partition",
                    "AppendResponse:partition");
            assertThat(patient.queues(1).inflightTotal()).isZero();

            conditioner.heal();
            OnContext.run(senderContext, () -> {
                patient.send(new Heartbeat(1, 2, 1, 0, 9));
            });
            eventually("the message sent after healing delivered", () -> received.size() == 1);
            assertThat(received).as("nothing of before the cut crossed it")
                    .containsExactly(new Heartbeat(1, 2, 1, 0, 9));
            assertThat(patient.stats(2).sent()).isEqualTo(1);
            assertThat(patient.stats(2).streamsOpened()).isEqualTo(1);
        } finally {
            await(patient.close());
        }
    }

    /**
     * The same, when the stream never opens (nothing listens at the peer's address): the frames that waited for it are
     * lost either way, but a partition set while they waited is what cut them, and the report says so (it said
     * {@code unreachable}, as if the network had been whole).
     */
    @Test
    void framesWaitingForAStreamThatFailsToOpenAreReportedAsCutByAPartitionSetMeanwhile() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        addresses.put(2, SocketAddress.inetSocketAddress(closedPort, "127.0.0.1"));
        GrpcTransport patient = patientSender(null);
        try {
            OnContext.run(senderContext, () -> {
                patient.sendAll(List.of(new Heartbeat(1, 2, 1, 0, 1), new Heartbeat(1, 2, 1, 0, 2)));
                conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
            });
            eventually("the waiting frames reported lost", () -> drops.size() == 2);
            assertThat(drops).containsExactly("Heartbeat:partition", "Heartbeat:partition");
            assertThat(patient.queues(1).inflightTotal()).isZero();
        } finally {
            await(patient.close());
        }
    }

    /**
     * A sender to node 2 reporting to {@link #drops}, whose watchdog gives a stream 30 s to open or answer: on a busy
     * machine the first connection of a JVM can take longer than the fixture's 1 s, and a replaced connection would
     * lose what these tests count.
     */
    private GrpcTransport patientSender(io.vertx.core.Context peerContext) {
        return new GrpcTransport(vertx, conditioner, (m, reason) -> drops.add(m.getClass().getSimpleName() + ":"
                + reason), id -> Optional.ofNullable(addresses.get(id)), Set.of(1, 2, 3),
                sender.options().withCallTimeoutMs(30_000), peerContext);
    }

    /**
     * A send from another context than the peer link's hops to that context before it is written (a frame) or its call
     * starts (a snapshot); a partition set before the hop lands must cut both, reported as partition drops.
     */
    @Test
    void messagesHoppingToThePeersContextMeetAPartitionSetMeanwhile() throws Exception {
        GrpcTransport linked = patientSender(senderContext);
        try {
            OnContext.run(senderContext, () -> {
                linked.send(new Heartbeat(1, 2, 1, 0, 1));
            });
            eventually("the stream is open", () -> received.size() == 1);

            // A task on the link's event loop but not its context: the sends hop, and run after this task.
            OnContext.run(((io.vertx.core.internal.ContextInternal) senderContext).duplicate(), () -> {
                linked.sendAll(List.of(new Heartbeat(1, 2, 1, 0, 2), snapshot(2, 40, 64)));
                conditioner.setFaults(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
            });
            eventually("both reported lost", () -> drops.size() == 2);
            assertThat(drops).containsExactlyInAnyOrder("Heartbeat:partition", "SnapshotRequest:partition");

            conditioner.heal();
            OnContext.run(senderContext, () -> {
                linked.sendAll(List.of(new Heartbeat(1, 2, 1, 0, 3), snapshot(2, 41, 64)));
            });
            eventually("what was sent after healing delivered", () -> received.size() == 3);
            assertThat(received).filteredOn(Heartbeat.class::isInstance).extracting(m -> ((Heartbeat) m).context())
                    .containsExactly(1L, 3L);
            assertThat(received).filteredOn(SnapshotRequest.class::isInstance)
                    .extracting(m -> ((SnapshotRequest) m).snapshot().metadata().index()).containsExactly(41L);
        } finally {
            await(linked.close());
        }
    }

    @Test
    void aDeadPeerNeitherBlocksTheSenderNorAccumulatesCalls() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        addresses.put(3, SocketAddress.inetSocketAddress(closedPort, "127.0.0.1"));
        List<Message> burst = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            burst.add(new Heartbeat(1, 3, 1, 0, i));
        }
        long started = System.nanoTime();
        sendFromContext(burst);
        long sendMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(sendMs).as("5000 sends to a dead peer return at once").isLessThan(3000);
        eventually("every call to the dead peer is over", () -> sender.stats(3).inFlight() == 0
                && drops.size() == burst.size());
        GrpcTransport.PeerStats st = sender.stats(3);
        assertThat(st.failed() + st.overflow()).isEqualTo(burst.size());
        assertThat(st.overflow()).as("beyond 32 in flight, messages are dropped at once").isPositive();
        assertThat(drops).allMatch(d -> d.endsWith(":unreachable") || d.endsWith(":overflow"));
    }

    @Test
    void aFrozenPeerHoldsAtMostTheInflightBoundAndTheWatchdogReleasesIt() throws Exception {
        silentPeer(3);
        List<Message> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(new Heartbeat(1, 3, 1, 0, i));
        }
        sendFromContext(burst);
        assertThat(sender.stats(3).inFlight()).isLessThanOrEqualTo(32);
        AtomicInteger overflow = new AtomicInteger((int) sender.stats(3).overflow());
        assertThat(overflow.get()).isEqualTo(200 - 32);
        eventually("the frozen peer's calls released by the watchdog", () -> sender.stats(3).inFlight() == 0);
        assertThat(drops).hasSize(200);
        assertThat(Collections.frequency(drops, "Heartbeat:overflow")).isEqualTo(200 - 32);
    }

    /**
     * What waits in the transport, as the live view's queue counts read it: frames to a peer that accepts the
     * connection and never answers wait for their stream, counted per peer for their sender until the watchdog gives
     * up on them; frames that arrived for a node whose event loop is busy wait for it, counted in its inbox until its
     * handler takes them.
     */
    @Test
    void messagesWaitingInTheTransportAreCountedPerPeerAndForTheReceivingNode() throws Exception {
        NetServer silent = silentPeer(3);
        assertThat(sender.queues(1).inflight()).isEmpty();
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 3, 1, 0, 1), new Heartbeat(1, 3, 1, 0, 2)),
                List.of(new Heartbeat(1, 3, 1, 0, 3))));
        // The stream to node 3 never opens: its three messages wait in the transport, node 1's.
        assertThat(sender.queues(1).inflight()).containsEntry(3, 3);
        assertThat(sender.queues(1).inflightTotal()).isEqualTo(3);
        assertThat(sender.queues(2).inflight()).doesNotContainKey(3);
        eventually("the watchdog released them", () -> sender.queues(1).inflight().getOrDefault(3, 0) == 0);
        assertThat(drops).hasSize(3);
        await(silent.close());

        // Node 2's loop is busy (a task of a context on its event loop delivers to it): what arrives waits.
        io.vertx.core.Context nodeContext = vertx.getOrCreateContext();
        List<Message> in = new CopyOnWriteArrayList<>();
        io.vertx.core.Promise<Transport.Registration> registered = io.vertx.core.Promise.promise();
        nodeContext.runOnContext(x -> receiver.group(1).register(2, in::add).onComplete(registered));
        await(registered.future());
        io.vertx.core.Promise<TransportQueues> whileBusy = io.vertx.core.Promise.promise();
        ((io.vertx.core.internal.ContextInternal) nodeContext).duplicate().runOnContext(x -> {
            receiver.deliverAll(2, 1, List.of(new Heartbeat(1, 2, 1, 0, 7), new Heartbeat(3, 2, 1, 0, 8)));
            whileBusy.complete(receiver.group(1).queues(2));
        });
        assertThat(await(whileBusy.future()).inbox()).isEqualTo(2);
        assertThat(receiver.queues(2).inbox()).isZero(); // group 0's replica of node 2 waits for nothing
        eventually("node 2's loop took them", () -> in.size() == 2 && receiver.group(1).queues(2).inbox() == 0);
    }

    @Test
    void eachSendAllIsOneFramePerStreamOnTwoLongLivedStreams() throws Exception {
        List<Message> first = List.of(new VoteRequest(1, 2, 3, 10, 2, false, false),
                new AppendRequest(1, 2, 3, 10, 2, List.of(Entry.normal(11, 3, bytes(100, 2))), 10),
                new Heartbeat(1, 2, 3, 10, 1), new ReadIndexResponse(1, 2, 3, 5, 10), new TimeoutNow(1, 2, 3));
        List<Message> second = List.of(new Heartbeat(1, 2, 3, 11, 2), new AppendResponse(1, 2, 3, false, 11, 0, 0));
        sendAllFromContext(List.of(first, second));
        eventually("both batches delivered", () -> received.size() == first.size() + second.size());
        List<Message> all = new ArrayList<>(first);
        all.addAll(second);
        assertThat(appends(received, true)).containsExactlyElementsOf(appends(all, true));
        assertThat(appends(received, false)).containsExactlyElementsOf(appends(all, false));
        GrpcTransport.PeerStats st = sender.stats(2);
        assertThat(st.frames()).as("one frame per sendAll and stream: the first has AppendEntries and more")
                .isEqualTo(3);
        assertThat(st.streamsOpened()).isEqualTo(2);
        assertThat(st.sent()).isEqualTo(all.size());

        // Later sends reuse the same stream.
        for (int i = 0; i < 5; i++) {
            sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 3, 11, 100 + i), new Heartbeat(1, 2, 3, 11, 200 + i))));
        }
        eventually("the later frames delivered", () -> received.size() == all.size() + 10);
        assertThat(sender.stats(2).frames()).isEqualTo(8);
        assertThat(sender.stats(2).streamsOpened()).isEqualTo(2);
        assertThat(drops).isEmpty();
    }

    /**
     * A large AppendEntries on its way holds back no heartbeat sent after it: on one stream for everything, a 64 MiB
     * entry kept every later message of its peer waiting for about a second on loopback, and followers called
     * elections meanwhile (LargeEntriesOverGrpcTest's CI failure). The heartbeat must arrive first.
     */
    @Test
    void aLargeAppendOnItsWayHoldsBackNoHeartbeat() throws Exception {
        // Both streams open first, so that neither waits for its stream below.
        sendAllFromContext(List.of(
                List.of(new AppendRequest(1, 2, 3, 10, 3, List.of(Entry.normal(11, 3, bytes(10, 1))), 10)),
                List.of(new Heartbeat(1, 2, 3, 10, 1))));
        eventually("both streams open", () -> received.size() == 2);
        Message large = new AppendRequest(1, 2, 3, 11, 3, List.of(Entry.normal(12, 3, new byte[48 << 20])), 11);
        Message heartbeat = new Heartbeat(1, 2, 3, 11, 2);
        sendAllFromContext(List.of(List.of(large), List.of(heartbeat)));
        eventually("both delivered", java.time.Duration.ofSeconds(30), () -> received.size() == 4);
        assertThat(received.subList(2, 4)).as("the heartbeat overtakes the 48 MiB append").containsExactly(heartbeat, large);
        assertThat(drops).isEmpty();
    }

    /**
     * A large AppendEntries on a slow link (here 2.5 MiB/s: the frame takes over 3 s to leave, twice the watchdog's
     * 1.5 s) arrives, and the link is kept. The frame asks for a receipt (it is over 1 MiB), and the watchdog counted
     * the wait for that receipt from the frame's write: it gave up on the peer while the frame was still on its way
     * and replaced both connections, so the entry never arrived. That is what a 48 MiB append met on busy cores
     * (aLargeAppendOnItsWayHoldsBackNoHeartbeat timed out under load); the wait now counts from when the frame has
     * left, and a peer that stops reading meanwhile is still noticed by its PING or its writes making no progress.
     */
    @Test
    void aLargeAppendOnASlowLinkArrivesAndTheLinkIsKept() throws Exception {
        NetServer slowLink = slowLinkWithBothStreamsOpen();
        Message large = largeAppendOfEightMiB();
        sendAllFromContext(List.of(List.of(large)));
        eventually("the append delivered or reported lost", java.time.Duration.ofSeconds(30),
                () -> received.size() == 3 || !drops.isEmpty());
        assertThat(drops).as("nothing lost").isEmpty();
        assertThat(received.get(2)).isEqualTo(large);
        assertThat(sender.stats(2).streamsOpened()).as("no connection replaced").isEqualTo(2);
        await(slowLink.close());
    }

    /**
     * Node 2 reached through a relay of 2.5 MiB/s (64 KiB every 25 ms), with both of its streams opened by a small
     * append and a heartbeat, which have arrived.
     */
    private NetServer slowLinkWithBothStreamsOpen() throws Exception {
        NetServer slowLink = throttledProxy(server.actualPort(), 64 * 1024, 25);
        addresses.put(2, SocketAddress.inetSocketAddress(slowLink.actualPort(), "127.0.0.1"));
        sendAllFromContext(List.of(
                List.of(new AppendRequest(1, 2, 3, 10, 3, List.of(Entry.normal(11, 3, bytes(10, 1))), 10)),
                List.of(new Heartbeat(1, 2, 3, 10, 1))));
        eventually("both streams open", () -> received.size() == 2);
        return slowLink;
    }

    /** An AppendEntries of one 8 MiB entry: over 3 s to leave through {@link #slowLinkWithBothStreamsOpen}. */
    private static Message largeAppendOfEightMiB() {
        return new AppendRequest(1, 2, 3, 11, 3, List.of(Entry.normal(12, 3, bytes(8 << 20, 5))), 11);
    }

    /**
     * The same slow link, with AppendEntries sent right behind the large one: they find the stream's write queue full
     * (the large frame ahead of them still leaving) for longer than the watchdog's bound. The watchdog judged a queue
     * that stayed full that long a stuck peer, replaced both connections and the large entry was reported lost, which
     * on a slow link happens again at every resend. A full queue that drains is no fault: the peer keeps reading (it
     * grants flow-control credit), so the link is kept, the large entry arrives, then what the queue held, in order;
     * only what found the queue full is lost ({@code overflow}).
     */
    @Test
    void aFullWriteQueueBehindALargeAppendLeavingOnASlowLinkKeepsTheLink() throws Exception {
        NetServer slowLink = slowLinkWithBothStreamsOpen();
        Message large = largeAppendOfEightMiB();
        List<List<Message>> frames = new ArrayList<>();
        frames.add(List.of(large));
        for (int i = 0; i < 40; i++) {
            frames.add(List.of(new AppendRequest(1, 2, 3, 12 + i, 3, List.of(Entry.normal(13 + i, 3, bytes(10, i))),
                    11)));
        }
        sendAllFromContext(frames);
        eventually("every frame delivered or reported lost", java.time.Duration.ofSeconds(30),
                () -> received.size() - 2 + drops.size() == frames.size());
        assertThat(drops).as("only what found the queue full is lost").isNotEmpty()
                .allMatch(d -> d.equals("AppendRequest:overflow"));
        assertThat(received.get(2)).isEqualTo(large);
        List<Message> behind = frames.stream().skip(1).map(f -> f.get(0)).toList();
        assertThat(List.copyOf(received).subList(3, received.size())).isEqualTo(behind.subList(0, received.size() - 3));
        assertThat(sender.stats(2).streamsOpened()).as("no connection replaced").isEqualTo(2);
        await(slowLink.close());
    }

    /**
     * A peer that keeps its connection (it answers every PING) but stops reading the stream part-way through a large
     * frame, with nothing queued behind it: the frame's write never completes, so it never asks for its receipt, its
     * write queue is not full, and the PING is answered. Nothing noticed it, and the entry was neither delivered nor
     * reported lost for as long as the peer stayed so. A write that makes no progress (the peer grants no credit) for
     * the watchdog's bound now has the link replaced and the entry reported lost.
     */
    @Test
    void aPeerThatStopsReadingPartWayThroughAFrameIsNoticed() throws Exception {
        // Reads the stream's bytes until it has more than 1 MiB of them, then reads nothing more of it: the rest of the
        // 4 MiB frame stays on this side (HTTP/2 flow control), while the connection still answers every PING.
        AtomicInteger read = new AtomicInteger();
        HttpServer stallsServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(request -> request.handler(b -> {
                    if (read.addAndGet(b.length()) > 1 << 20) {
                        request.pause();
                    }
                })).listen());
        addresses.put(3, SocketAddress.inetSocketAddress(stallsServer.actualPort(), "127.0.0.1"));
        sendAllFromContext(List.of(List.of(new AppendRequest(1, 3, 3, 10, 3,
                List.of(Entry.normal(11, 3, bytes(10, 1))), 10))));
        eventually("the stream open and its first frame read", () -> read.get() > 0);
        Message large = new AppendRequest(1, 3, 3, 11, 3, List.of(Entry.normal(12, 3, bytes(4 << 20, 5))), 11);
        sendAllFromContext(List.of(List.of(large)));
        eventually("the peer stopped reading part-way", () -> read.get() > 1 << 20);
        eventually("the stuck entry reported lost", java.time.Duration.ofSeconds(15), () -> !drops.isEmpty());
        assertThat(drops).hasSize(1).allMatch(d -> d.startsWith("AppendRequest:") && !d.endsWith(":overflow"));
        assertThat(read.get()).as("bytes the peer read").isLessThan(4 << 20);
        // The link was given up: the next frame opens a stream on a new connection.
        sendAllFromContext(List.of(List.of(new AppendRequest(1, 3, 3, 11, 3,
                List.of(Entry.normal(12, 3, bytes(10, 2))), 11))));
        eventually("a new stream", () -> sender.stats(3).streamsOpened() == 2);
        await(stallsServer.close());
    }

    /**
     * A TCP relay to {@code port} on loopback that passes at most {@code bytesPerTick} bytes every {@code tickMs}
     * toward it (what comes back passes at once): a slow link, whatever the load of the machine.
     */
    private NetServer throttledProxy(int port, int bytesPerTick, long tickMs) throws InterruptedException {
        io.vertx.core.net.NetClient upstream = vertx.createNetClient();
        return await(vertx.createNetServer().connectHandler(in -> {
            in.pause();
            upstream.connect(port, "127.0.0.1").onComplete(ar -> {
                if (ar.failed()) {
                    in.close();
                    return;
                }
                io.vertx.core.net.NetSocket out = ar.result();
                out.handler(in::write);
                out.closeHandler(v -> in.close());
                in.closeHandler(v -> out.close());
                long[] budget = {bytesPerTick};
                io.vertx.core.Handler<Long> refill = new io.vertx.core.Handler<>() {
                    @Override
                    public void handle(Long t) {
                        budget[0] += bytesPerTick;
                        if (budget[0] > 0) {
                            in.resume();
                        } else {
                            vertx.setTimer(tickMs, this);
                        }
                    }
                };
                in.handler(b -> {
                    out.write(b);
                    budget[0] -= b.length();
                    if (budget[0] <= 0) {
                        in.pause();
                        vertx.setTimer(tickMs, refill);
                    }
                });
                in.resume();
            });
        }).listen(0, "127.0.0.1"));
    }

    /**
     * A peer forgotten (removed from the cluster) loses its link: both connections to it close and the transport holds
     * nothing of it. Sending to it again (it was added back) makes a new link that works. Before, nothing let a link
     * go: every node ever removed kept its two clients and a watchdog timer for the life of the process.
     */
    @Test
    void aForgottenPeerLetsGoOfItsConnectionsAndANewLinkWorksWhenItIsSentToAgain() throws Exception {
        AtomicInteger open = new AtomicInteger();
        GrpcServer grpc = GrpcServer.server(vertx).addService(receiver.service(2));
        HttpServer counted = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .connectionHandler(c -> {
                    open.incrementAndGet();
                    c.closeHandler(v -> open.decrementAndGet());
                }).requestHandler(grpc).listen());
        addresses.put(2, SocketAddress.inetSocketAddress(counted.actualPort(), "127.0.0.1"));
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 1), new AppendRequest(1, 2, 1, 0, 0,
                List.of(Entry.normal(1, 1, bytes(10, 1))), 0))));
        eventually("delivered on both streams", () -> received.size() == 2);
        assertThat(open.get()).as("connections: one per stream").isEqualTo(2);
        assertThat(sender.linkedPeers()).containsExactly(2);

        await(OnContext.call(senderContext, () -> sender.forget(2)));
        assertThat(sender.linkedPeers()).isEmpty();
        assertThat(sender.stats(2).streamsOpened()).as("nothing held of the peer").isZero();
        eventually("both connections closed", () -> open.get() == 0);

        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 2))));
        eventually("delivered on a new link", () -> received.size() == 3);
        assertThat(received.get(2)).isEqualTo(new Heartbeat(1, 2, 1, 0, 2));
        assertThat(sender.linkedPeers()).containsExactly(2);
        assertThat(sender.stats(2).streamsOpened()).isEqualTo(1);
        assertThat(drops).isEmpty();
        await(counted.close());
    }

    /**
     * A copy the network held back (a delay fault) that comes due after its peer was forgotten is lost, reported as
     * such, and makes no link: it is an old message, not a send to a node added back. It made a new link (clients and
     * a watchdog for a node no longer a member) and took the removed node's answers as a member's again.
     */
    @Test
    void aDelayedCopyDueAfterItsPeerWasForgottenIsDroppedAndMakesNoLink() throws Exception {
        conditioner.setFaults(new NetworkFaults(List.of(), 0, 300, 300, 0));
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 1))));
        await(OnContext.call(senderContext, () -> sender.forget(2)));
        eventually("the held copy comes due", () -> !drops.isEmpty());
        assertThat(drops).containsExactly("Heartbeat:peer removed");
        assertThat(sender.linkedPeers()).as("links after the copy came due").isEmpty();
        assertThat(received).isEmpty();
    }

    /**
     * A node removed from the cluster ({@link GrpcTransport#forget}) is no longer a member for the transport: its
     * answers are refused at the port (INVALID_ARGUMENT, as from any non-member), as its link was let go. The members
     * the transport was given only grow (a process keeps every id it knew), so its answers used to pass on to the
     * core. Added back (sent to again), its answers pass again.
     */
    @Test
    void aForgottenNodesAnswersAreRefusedUntilItIsSentToAgain() throws Exception {
        RaftEnvelope answer = ProtoMapping.toEnvelope(new HeartbeatResponse(3, 2, 1, 0));
        assertThat(appendEntries(answer)).isEqualTo(GrpcStatus.OK);
        eventually("the member's answer delivered", () -> received.size() == 1);

        await(receiver.forget(3));
        assertThat(appendEntries(answer)).as("a removed node's answer").isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(received).hasSize(1);
        // What a leader or a candidate sends is still taken from any id (a node joining again starts that way).
        assertThat(appendEntries(ProtoMapping.toEnvelope(new Heartbeat(3, 2, 2, 0, 0)))).isEqualTo(GrpcStatus.OK);

        // Added back: node 2's side sends to it again (a new link), and its answers pass.
        OnContext.run(senderContext, () -> receiver.send(new Heartbeat(2, 3, 2, 0, 0)));
        assertThat(receiver.linkedPeers()).contains(3);
        assertThat(appendEntries(answer)).isEqualTo(GrpcStatus.OK);
        eventually("answers delivered again", () -> received.size() == 3);
    }

    @Test
    void theStreamReconnectsAfterThePeerRestarts() throws Exception {
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 1))));
        eventually("delivered before the restart", () -> received.size() == 1);
        int port = server.actualPort();
        await(server.close());
        await(receiver.close());
        // While the peer is down, messages are lost and reported, never queued without bound.
        eventually("a loss is reported while the peer is down", () -> {
            sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 2))));
            return !drops.isEmpty();
        });
        assertThat(drops).allMatch(d -> d.startsWith("Heartbeat:"));

        // The peer comes back on the same port, as a new process would.
        receiver = new GrpcTransport(vertx, new NetworkConditioner(3), (m, reason) -> { }, id -> Optional.empty(),
                Set.of(1, 2, 3), sender.options());
        GrpcServer grpc = GrpcServer.server(vertx).addService(receiver.service(2));
        // The port came from the ephemeral range, so until the new server holds it another socket can (a CI run saw
        // "Address already in use": the sender's reconnects and other tests' connections draw local ports from the
        // same range). A restarted process retries its bind the same way.
        HttpServer[] restarted = new HttpServer[1];
        eventually("the peer listens on its old port again", () -> vertx.createHttpServer(new HttpServerOptions()
                .setHost("127.0.0.1").setPort(port)).requestHandler(grpc).listen()
                .map(s -> {
                    restarted[0] = s;
                    return true;
                }).otherwise(false));
        server = restarted[0];
        List<Message> after = new CopyOnWriteArrayList<>();
        await(receiver.register(2, after::add));
        eventually("a message crosses the new stream", () -> {
            sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 3), new Heartbeat(1, 2, 1, 0, 4))));
            return !after.isEmpty();
        });
        assertThat(sender.stats(2).streamsOpened()).isGreaterThanOrEqualTo(2);
        // Whole frames arrive, in order. (A copy first: more of the retries' frames may still be arriving, and a view
        // of a copy-on-write list fails once the list changes under it.)
        assertThat(List.copyOf(after).subList(0, 2)).containsExactly(new Heartbeat(1, 2, 1, 0, 3), new Heartbeat(1, 2, 1, 0, 4));
    }

    /**
     * A Ready whose AppendEntries for one peer carry more than the peer takes in one gRPC message (64 MiB): a follower
     * catching up gets up to max_inflight_messages of them at once. Sent as one frame, the peer refused it whole and
     * ended the stream, and nothing of it ever arrived (nor was reported lost), so a follower that far behind could not
     * catch up. Cut into frames under the limit, the first ones arrive, in order, and whatever a full write queue holds
     * back is reported lost.
     */
    @Test
    void aReadyOfAppendsLargerThanTheReceiversMessageLimitArrivesInFrames() throws Exception {
        byte[] mib = new byte[1 << 20];
        List<Message> appends = new ArrayList<>();
        for (int i = 1; i <= 80; i++) {
            appends.add(new AppendRequest(1, 2, 1, i - 1, i == 1 ? 0 : 1, List.of(Entry.normal(i, 1, mib)), 0));
        }
        OnContext.run(senderContext, () -> sender.sendAll(appends));
        eventually("every append delivered or reported lost", java.time.Duration.ofSeconds(30),
                () -> received.size() + drops.size() == 80);
        assertThat(received.size()).as("appends delivered").isGreaterThan(40);
        assertThat(List.copyOf(received)).isEqualTo(appends.subList(0, received.size()));
        assertThat(drops).allMatch(d -> d.equals("AppendRequest:overflow"));
        assertThat(sender.stats(2).streamsOpened()).isEqualTo(1);
    }

    @Test
    void aRefusedFrameIsReportedAndTheStreamStaysOpen() throws Exception {
        Transport.Registration registration = await(receiver.register(2, received::add));
        await(registration.close());
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 1), new Heartbeat(1, 2, 1, 0, 2))));
        eventually("the refusal reported", () -> drops.size() == 2);
        assertThat(drops).containsOnly("Heartbeat:rejected (UNAVAILABLE)");
        await(receiver.register(2, received::add));
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 3))));
        eventually("delivered on the same stream", () -> received.size() == 1);
        assertThat(sender.stats(2).streamsOpened()).isEqualTo(1);
        assertThat(sender.stats(2).failed()).isEqualTo(2);
    }

    @Test
    void everyMessageOfManyRefusedFramesIsReportedLostOnce() throws Exception {
        Transport.Registration registration = await(receiver.register(2, received::add));
        await(registration.close());
        // The stream is open (its first frame refused), so the next frames are all written at once, in one task: far
        // more of them than a sender could remember by count alone before the first refusal comes back.
        sendAllFromContext(List.of(List.of(new Heartbeat(1, 2, 1, 0, 0))));
        eventually("the first refusal reported", () -> drops.size() == 1);
        List<List<Message>> frames = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            frames.add(List.of(new Heartbeat(1, 2, 1, 0, i)));
        }
        sendAllFromContext(frames);
        eventually("every refused message reported", () -> drops.size() >= 201);
        Thread.sleep(200); // no report comes twice
        assertThat(drops).hasSize(201).containsOnly("Heartbeat:rejected (UNAVAILABLE)");
        assertThat(sender.stats(2).failed()).isEqualTo(201);
        assertThat(sender.stats(2).streamsOpened()).isEqualTo(1);
        assertThat(received).isEmpty();
    }

    @Test
    void aPeerThatReadsButNeverAnswersIsHeldToABoundAndReplaced() throws Exception {
        // Says it answers receipts, reads every frame and never replies, not even to a request for a receipt: the
        // sender cannot learn whether it refused them, so it holds them, but not without bound, and the watchdog
        // replaces the connection.
        // The asks of each stream apart: a frame's seq counts from its stream's first, and the replacement stream
        // may be asked before the loop below sees it opened.
        List<List<Long>> askedPerStream = new CopyOnWriteArrayList<>();
        GrpcServer mute = GrpcServer.server(vertx).callHandler(RaftServiceGrpcService.Stream, request -> {
            List<Long> asked = new CopyOnWriteArrayList<>();
            askedPerStream.add(asked);
            request.response().headers().set(RaftEndpoint.RECEIPTS_HEADER, "1");
            request.response().writeHead();
            request.handler(b -> {
                if (b.getReceipt()) {
                    asked.add(b.getSeq());
                }
            });
        });
        HttpServer muteServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(mute).listen());
        addresses.put(3, SocketAddress.inetSocketAddress(muteServer.actualPort(), "127.0.0.1"));
        AtomicInteger n = new AtomicInteger();
        eventually("the connection replaced", java.time.Duration.ofSeconds(20), () -> {
            List<List<Message>> frames = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                frames.add(List.of(new Heartbeat(1, 3, 1, 0, n.incrementAndGet())));
            }
            sendAllFromContext(frames);
            return sender.stats(3).streamsOpened() >= 2;
        });
        // Receipts were asked every 32 frames (counted from the stream's first), and no more frames were written
        // unanswered than the bound allows.
        assertThat(askedPerStream.get(0)).hasSizeGreaterThan(2);
        for (List<Long> asked : askedPerStream) {
            for (int i = 1; i < asked.size(); i++) {
                assertThat(asked.get(i) - asked.get(i - 1)).as("asks of one stream: %s", asked).isEqualTo(32);
            }
        }
        assertThat(drops).contains("Heartbeat:overflow");
        await(muteServer.close());
    }

    @Test
    void aPeerOfAnEarlierReleaseIsAskedForNoReceiptAndKeptConnected() throws Exception {
        // A receiver of a release before receipts: it says nothing of them in its headers and answers only
        // refusals (here none). The sender must not ask it for receipts, hold its frames to their bounds or replace
        // the connection for receipts it never gets.
        List<Long> frames = new CopyOnWriteArrayList<>();
        List<Long> asked = new CopyOnWriteArrayList<>();
        GrpcServer older = GrpcServer.server(vertx).callHandler(RaftServiceGrpcService.Stream,
                request -> request.handler(b -> {
                    frames.add(b.getSeq());
                    if (b.getReceipt()) {
                        asked.add(b.getSeq());
                    }
                }));
        HttpServer olderServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(older).listen());
        addresses.put(3, SocketAddress.inetSocketAddress(olderServer.actualPort(), "127.0.0.1"));
        AtomicInteger n = new AtomicInteger();
        // The stream open first (frames sent while it opens wait in a queue of only maxInflightPerPeer).
        sendFromContext(List.of(new Heartbeat(1, 3, 1, 0, n.incrementAndGet())));
        eventually("the stream open", () -> frames.size() == 1);
        int sent = 1;
        // Well past the call timeout (1 s), and past the 1,024 frames a peer that answers receipts may leave unanswered.
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(2_500);
        while (System.nanoTime() - until < 0) {
            List<List<Message>> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                batch.add(List.of(new Heartbeat(1, 3, 1, 0, n.incrementAndGet())));
            }
            sendAllFromContext(batch);
            sent += batch.size();
            int expected = sent;
            eventually("the frames arrive", () -> frames.size() == expected);
        }
        assertThat(sent).isGreaterThan(1_024);
        assertThat(asked).isEmpty();
        assertThat(drops).isEmpty();
        assertThat(sender.stats(3).streamsOpened()).isEqualTo(1);
        await(olderServer.close());
    }

    @Test
    void aMalformedFrameIsRefusedWholeAndTheNextOneStillArrives() throws Exception {
        GrpcClient client = GrpcClient.client(vertx);
        try {
            List<StreamRefusal> refusals = new CopyOnWriteArrayList<>();
            // The refusals' handler is attached on the context the call is made from, as the head arrives: attached
            // from this thread, it could come after a head and a refusal read together (Vert.x 5.0.7, AdminHttp).
            var req = await(OnContext.call(vertx.getOrCreateContext(), () -> client.request(addresses.get(2),
                    RaftServiceGrpcClient.Stream).onSuccess(call -> call.response()
                            .onSuccess(resp -> resp.handler(refusals::add)))));
            // A good message followed by an empty envelope: nothing of the frame is delivered.
            await(req.write(RaftBatch.newBuilder().setSeq(1)
                    .addMessages(ProtoMapping.toEnvelope(new Heartbeat(1, 2, 1, 0, 1)))
                    .addMessages(RaftEnvelope.getDefaultInstance()).build()));
            await(req.write(RaftBatch.newBuilder().setSeq(2).build()));
            // An answer from an id the process does not know (a leader's messages are taken from any id).
            await(req.write(ProtoMapping.toBatch(3, List.of(new HeartbeatResponse(9, 2, 1, 1)))));
            await(req.write(ProtoMapping.toBatch(4, List.of(new Heartbeat(1, 3, 1, 0, 1)))));
            await(req.write(ProtoMapping.toBatch(5, List.of(new Heartbeat(1, 2, 1, 0, 5), new VoteRequest(1, 2, 2, 0, 0,
                    true, false)))));
            eventually("four refusals and one delivery", () -> refusals.size() == 4 && received.size() == 2);
            assertThat(refusals).extracting(StreamRefusal::getSeq).containsExactly(1L, 2L, 3L, 4L);
            assertThat(refusals).extracting(StreamRefusal::getStatus).containsExactly(GrpcStatus.INVALID_ARGUMENT.code,
                    GrpcStatus.INVALID_ARGUMENT.code, GrpcStatus.INVALID_ARGUMENT.code, GrpcStatus.NOT_FOUND.code);
            assertThat(refusals.get(0).getMessage()).contains("message 1 of 2");
            assertThat(received).containsExactly(new Heartbeat(1, 2, 1, 0, 5), new VoteRequest(1, 2, 2, 0, 0, true, false));
            await(req.end());
        } finally {
            await(client.close());
        }
    }

    @Test
    void aPeerThatDoesNotReadFillsTheWriteQueueAndFramesAreDroppedNotQueued() throws Exception {
        // Accepts the stream and never reads it: HTTP/2 flow control stops the sender.
        GrpcServer stuck = GrpcServer.server(vertx).addService(new RaftServiceGrpcService() {
            @Override
            protected void stream(ReadStream<RaftBatch> request, WriteStream<StreamRefusal> response) {
                request.pause();
            }
        });
        HttpServer stuckServer = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(stuck).listen());
        addresses.put(3, SocketAddress.inetSocketAddress(stuckServer.actualPort(), "127.0.0.1"));
        // The appends stream open first: frames sent while it opens wait for it (up to maxInflightPerPeer), and
        // those are not what this test is about.
        sendAllFromContext(List.of(List.of(new AppendRequest(1, 3, 1, 0, 0, List.of(Entry.normal(1, 1, bytes(16, 3))),
                0))));
        eventually("the appends stream open", () -> {
            GrpcTransport.PeerStats opened = statsOnSenderContext(3);
            return opened.streamsOpened() == 1 && opened.inFlight() == 0;
        });
        byte[] big = bytes(64 * 1024, 3);
        AtomicInteger index = new AtomicInteger(1);
        eventually("frames dropped for a full write queue", () -> {
            List<List<Message>> groups = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = index.incrementAndGet();
                groups.add(List.of(new AppendRequest(1, 3, 1, n - 1, n == 1 ? 0 : 1,
                        List.of(Entry.normal(n, 1, big)), 0)));
            }
            sendAllFromContext(groups);
            return statsOnSenderContext(3).overflow() > 0;
        });
        // Read where the peer's link counts (its context): read from here, a frame being written could be seen
        // neither waiting nor sent yet.
        GrpcTransport.PeerStats st = statsOnSenderContext(3);
        assertThat(st.streamsOpened()).isEqualTo(1);
        assertThat(drops).contains("AppendRequest:overflow");
        // Nothing was queued beyond the stream's own write queue: every frame was written or dropped at once.
        assertThat(st.inFlight()).isZero();
        assertThat(st.sent() + st.overflow()).isEqualTo(index.get());
        await(stuckServer.close());
    }
}
