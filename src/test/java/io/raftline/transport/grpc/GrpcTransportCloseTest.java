package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftServiceGrpcService;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Message;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Closing the transport while a peer accepts its streams and never reads them (a stopped process, a hung one): the
 * HTTP/2 flow-control window and the socket's buffers to it fill, so the END_STREAM of its stream can never be
 * written, and the close must not wait for it (a node's stop, and the process's exit, would wait with it: the
 * launcher's shutdown hook gives Vert.x's close two minutes). Nor must it log an ERROR: the close fails the bytes of
 * frames still waiting for the socket (a write into a closed connection), which the transport has already accounted
 * for.
 */
class GrpcTransportCloseTest {

    private Vertx vertx;
    /** The peer's "process", apart so that closing the node's Vert.x does not close the peer's side of the link. */
    private Vertx peerProcess;

    /** Holds the peer's event loop while counted up: its "process" is stopped. */
    private final CountDownLatch resumed = new CountDownLatch(1);

    /** What Vert.x logs for a connection's exception that nothing handled. */
    private static final String CONNECTION_BASE = "io.vertx.core.net.impl.ConnectionBase";
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(CONNECTION_BASE)).detachAppender(logged);
        resumed.countDown();
        if (vertx != null) {
            try {
                await(vertx.close(), Duration.ofSeconds(30));
            } catch (io.raftline.verify.nemesis.Waits.TimedOutException e) {
                System.err.println("the node's Vert.x did not close within 30 s");
            }
        }
        if (peerProcess != null) {
            await(peerProcess.close(), Duration.ofSeconds(30));
        }
    }

    @Test
    void closeEndsWhileAStoppedPeerHoldsTheStreamsEnd() throws Exception {
        logged.start();
        ((Logger) LoggerFactory.getLogger(CONNECTION_BASE)).addAppender(logged);
        vertx = Vertx.vertx();
        // The peer's event loop is held on purpose: no blocked-thread warnings for it.
        peerProcess = Vertx.vertx(new io.vertx.core.VertxOptions().setBlockedThreadCheckInterval(1)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.HOURS));
        // A peer that reads its stream until its process stops: its event loop is then held, as SIGSTOP holds it.
        GrpcServer peer = GrpcServer.server(peerProcess).addService(new RaftServiceGrpcService() {
            @Override
            protected void stream(ReadStream<RaftBatch> request, WriteStream<StreamRefusal> response) {
                request.handler(b -> { });
            }
        });
        io.vertx.core.Context peerContext = peerProcess.getOrCreateContext();
        HttpServer stuckServer = await(OnContext.call(peerContext, () -> peerProcess.createHttpServer(
                new HttpServerOptions().setHost("127.0.0.1").setPort(0)).requestHandler(peer).listen()));
        SocketAddress address = SocketAddress.inetSocketAddress(stuckServer.actualPort(), "127.0.0.1");
        GrpcTransport sender = new GrpcTransport(vertx, new NetworkConditioner(1), (m, reason) -> { },
                id -> id == 3 ? Optional.of(address) : Optional.empty(), Set.of(1, 3),
                GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(60_000));
        io.vertx.core.Context context = vertx.getOrCreateContext();
        byte[] big = new byte[64 * 1024];
        AtomicInteger index = new AtomicInteger();
        Supplier<List<Message>> next = () -> {
            List<Message> appends = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = index.incrementAndGet();
                appends.add(new AppendRequest(1, 3, 1, n - 1, n == 1 ? 0 : 1, List.of(Entry.normal(n, 1, big)), 0));
            }
            return appends;
        };
        List<Message> first = next.get().subList(0, 4);
        OnContext.run(context, () -> first.forEach(sender::send));
        eventually("the stream open and its first frames written", () -> sender.stats(3).acked() == 4);
        CountDownLatch stopped = new CountDownLatch(1);
        peerContext.runOnContext(v -> {
            stopped.countDown();
            try {
                resumed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(stopped.await(10, TimeUnit.SECONDS)).as("the peer stopped").isTrue();
        // The peer reads nothing more: the flow-control window and the socket's buffers fill, then its write queue.
        eventually("frames dropped for a full write queue", () -> {
            List<Message> more = next.get();
            OnContext.run(context, () -> more.forEach(sender::send));
            return sender.stats(3).overflow() > 0;
        });
        assertThat(sender.stats(3).acked()).as("frames written").isLessThan(sender.stats(3).sent());
        // The stream's END_STREAM can never be written now: the close must not wait for it.
        await(OnContext.call(context, sender::close), Duration.ofSeconds(10));
        // The node's process ends (every task its event loops still had runs first): nothing logged an error.
        Vertx node = vertx;
        vertx = null;
        await(node.close(), Duration.ofSeconds(30));
        assertThat(List.copyOf(logged.list)).as("what the connections logged")
                .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR));
    }
}
