package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What arrives for a node whose event loop does not take it (held here, as a long pause or an overloaded loop holds
 * it) while a peer keeps sending: the frames waiting for the loop are bounded, in messages and in bytes, and what is
 * beyond is refused and reported lost by the sender, never queued. Before, every frame the endpoint read was queued to
 * the node's context: the endpoint answers receipts as soon as it reads a frame, so nothing held the sender back, and
 * the queue grew with whatever was sent.
 */
class GrpcInboxBoundTest {

    private Vertx vertx;
    private GrpcTransport sender;
    private GrpcTransport receiver;
    private Context senderContext;
    /** The context node 2 registered from: a worker, so that holding it holds neither the server nor the sender. */
    private Context nodeContext;
    private final CountDownLatch released = new CountDownLatch(1);
    /** Messages the node took (a count: a list copied on every add was too slow for 65,536 of them). */
    private final AtomicInteger received = new AtomicInteger();
    private final List<String> drops = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // The node's worker is held on purpose: no blocked-thread warnings.
        vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setBlockedThreadCheckInterval(1)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.HOURS));
        // Messages of at most 256 KiB: 2 MiB of data may wait for the node.
        GrpcTransport.Options options = new GrpcTransport.Options(256, 60_000, 60_000, 64 * 1024, 1_000, 256 * 1024,
                64L << 20);
        receiver = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { }, id -> Optional.empty(),
                Set.of(1, 2), options);
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(options.maxMessageBytes()))
                .addService(receiver.service(2));
        HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(grpc).listen());
        SocketAddress address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
        sender = new GrpcTransport(vertx, new NetworkConditioner(1),
                (m, reason) -> drops.add(m.getClass().getSimpleName() + ":" + reason),
                id -> id == 2 ? Optional.of(address) : Optional.empty(), Set.of(1, 2), options);
        senderContext = vertx.getOrCreateContext();
        Context[] registeredOn = new Context[1];
        await(vertx.deployVerticle(new VerticleBase() {
            @Override
            public Future<?> start() {
                registeredOn[0] = context;
                return receiver.register(2, m -> received.incrementAndGet());
            }
        }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
        nodeContext = registeredOn[0];
    }

    @AfterEach
    void stop() throws Exception {
        released.countDown();
        await(sender.close());
        await(receiver.close());
        await(vertx.close());
    }

    /** Holds the node's context until the test releases it. */
    private void holdNode() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        nodeContext.runOnContext(v -> {
            held.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(held.await(10, TimeUnit.SECONDS)).as("the node held").isTrue();
    }

    private void send(List<Message> frame) throws InterruptedException {
        OnContext.run(senderContext, () -> sender.sendAll(frame));
    }

    /**
     * Sends one frame once every earlier one has been read by the receiver (waiting for the node) or reported lost:
     * a frame sent before then could find the sender's own stream queue full and be lost there as {@code overflow}
     * (so it did on a busy CI run, 2026-12-05), and the bound under test is the receiver's.
     */
    private void sendAfterTheOthers(List<Message> frame, int sentBefore) throws InterruptedException {
        eventually("the frames before it read or lost", () -> receiver.queues(2).inbox() + drops.size() >= sentBefore);
        send(frame);
    }

    @Test
    void messagesWaitingForAHeldNodeAreBoundedInNumber() throws Exception {
        holdNode();
        // Frames of 2,000 heartbeats (about 40 KiB, within one HTTP/2 stream window), 100,000 in all.
        int frames = 50;
        int perFrame = 2_000;
        int total = frames * perFrame;
        long heartbeat = 0;
        for (int f = 0; f < frames; f++) {
            List<Message> frame = new ArrayList<>(perFrame);
            for (int i = 0; i < perFrame; i++) {
                frame.add(new Heartbeat(1, 2, 1, 0, ++heartbeat));
            }
            sendAfterTheOthers(frame, f * perFrame);
        }
        eventually("every message waiting for the node or reported lost",
                () -> receiver.queues(2).inbox() + drops.size() == total);
        int waiting = receiver.queues(2).inbox();
        assertThat(waiting).as("messages waiting for the node").isLessThanOrEqualTo(GrpcTransport.MAX_WAITING_MESSAGES);
        assertThat(drops).as("what was refused is reported lost by the sender")
                .isNotEmpty().containsOnly("Heartbeat:rejected (RESOURCE_EXHAUSTED)");

        released.countDown();
        eventually("what waited reaches the node", () -> received.get() == waiting);
        assertThat(receiver.queues(2).inbox()).isZero();
        send(List.of(new Heartbeat(1, 2, 1, 0, ++heartbeat)));
        eventually("a frame sent once the node caught up arrives", () -> received.get() == waiting + 1);
    }

    @Test
    void bytesWaitingForAHeldNodeAreBounded() throws Exception {
        holdNode();
        int total = 60;
        for (int i = 1; i <= total; i++) {
            // 200 KiB of entry data each, a frame each: 12 MiB in all, six times the bound.
            sendAfterTheOthers(List.of(new AppendRequest(1, 2, 1, i - 1, i == 1 ? 0 : 1, List.of(Entry.normal(i, 1,
                    new byte[200 * 1024])), 0)), i - 1);
        }
        eventually("every message waiting for the node or reported lost",
                () -> receiver.queues(2).inbox() + drops.size() == total);
        int waiting = receiver.queues(2).inbox();
        // 2 MiB of data, and the frame that crossed it.
        assertThat(waiting).as("frames of 200 KiB waiting for the node").isBetween(1, 11);
        assertThat(drops).as("reported lost by the sender").isNotEmpty()
                .containsOnly("AppendRequest:rejected (RESOURCE_EXHAUSTED)");
        released.countDown();
        eventually("what waited reaches the node", () -> received.get() == waiting);
    }
}
