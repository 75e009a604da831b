package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A snapshot whose transfer takes longer than the snapshot deadline, on a link that is slow but moves, still arrives
 * (an audit's finding: the InstallSnapshot call had one deadline for the whole transfer, 60 s, and the watchdog gave a
 * snapshot call the same time from its start, so a snapshot that needed longer on its link, 2 GiB at 30 MB/s, failed
 * every time and started again from its first byte at the core's next retry: the follower never caught up). What
 * gives a snapshot up now is a transfer that makes no progress for that long.
 */
class GrpcSlowSnapshotTest {

    /** Bytes the proxy forwards towards the receiver per tick. */
    private static final int BYTES_PER_TICK = 32 * 1024;
    private static final long TICK_MS = 50;

    @Test
    void aSnapshotSlowerThanItsDeadlineThatKeepsMovingArrives() throws Exception {
        // About 3 s through the link (2 MiB at 640 KiB/s): more than the deadline (1 s) and the watchdog (2.5 s).
        Outcome o = sendSnapshot(Long.MAX_VALUE);
        assertThat(o.drops()).as("snapshots lost on a slow link that moves").isEmpty();
        assertThat(o.received()).singleElement().isInstanceOf(SnapshotRequest.class);
        assertThat(((SnapshotRequest) o.received().get(0)).snapshot().data()).isEqualTo(o.data());
    }

    @Test
    void aSnapshotWhoseLinkStopsMovingIsStillGivenUp() throws Exception {
        // The link stops after 256 KiB: no chunk is written any more, and the watchdog gives the call up.
        Outcome o = sendSnapshot(256 * 1024);
        assertThat(o.received()).isEmpty();
        assertThat(o.drops()).singleElement().asString().startsWith("SnapshotRequest:");
    }

    /** What became of the snapshot: delivered, or reported lost. */
    private record Outcome(byte[] data, List<Message> received, List<String> drops) {
    }

    /**
     * Sends a 2 MiB snapshot from node 1 to node 2 through {@link #slowLink}, which stops forwarding after {@code
     * forwardAtMost} bytes, and waits until it is delivered or reported lost.
     */
    private static Outcome sendSnapshot(long forwardAtMost) throws Exception {
        Vertx vertx = Vertx.vertx();
        List<Message> received = new CopyOnWriteArrayList<>();
        List<String> drops = new CopyOnWriteArrayList<>();
        // A snapshot may go 1 s without progress; the watchdog looks at calls of 2 s (it gives a snapshot call the
        // longer of the two, 2.5 s).
        GrpcTransport.Options options = new GrpcTransport.Options(32, 2_000, 1_000, 64 * 1024, 1_000, 64L << 20,
                64L << 20);
        GrpcTransport receiver = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { },
                id -> Optional.empty(), Set.of(1, 2), options);
        SocketAddress[] proxied = new SocketAddress[1];
        GrpcTransport sender = new GrpcTransport(vertx, new NetworkConditioner(1),
                (m, reason) -> drops.add(m.getClass().getSimpleName() + ":" + reason),
                id -> id == 2 ? Optional.of(proxied[0]) : Optional.empty(), Set.of(1, 2), options);
        try {
            GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(
                    options.maxMessageBytes())).addService(receiver.service(2));
            HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(grpc).listen());
            NetServer proxy = await(vertx.createNetServer().connectHandler(in -> slowLink(vertx, in,
                    server.actualPort(), forwardAtMost)).listen(0, "127.0.0.1"));
            proxied[0] = SocketAddress.inetSocketAddress(proxy.actualPort(), "127.0.0.1");
            Context node2 = vertx.getOrCreateContext();
            await(OnContext.call(node2, () -> receiver.register(2, received::add)));

            byte[] data = new byte[2 << 20];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) i;
            }
            SnapshotRequest snapshot = new SnapshotRequest(1, 2, 3, new Snapshot(new SnapshotMetadata(40, 3,
                    List.of(1, 2), List.of(), Map.of()), data));
            OnContext.run(vertx.getOrCreateContext(), () -> sender.send(snapshot));
            eventually("the snapshot delivered or lost", Duration.ofSeconds(30),
                    () -> !received.isEmpty() || !drops.isEmpty());
            return new Outcome(data, received, drops);
        } finally {
            await(sender.close());
            await(receiver.close());
            await(vertx.close());
        }
    }

    /**
     * Joins {@code in} to the server at {@code port}, passing what comes back at once and what goes to the server at
     * {@link #BYTES_PER_TICK} per {@link #TICK_MS}: a slow link that keeps moving. The client's socket is paused while
     * more than a tick's worth waits, so the client's own flow control backs up as it would on a slow network. After
     * {@code forwardAtMost} bytes towards the server nothing more goes: a link that stopped moving.
     */
    private static void slowLink(Vertx vertx, NetSocket in, int port, long forwardAtMost) {
        in.pause();
        vertx.createNetClient().connect(port, "127.0.0.1").onSuccess(out -> {
            ArrayDeque<Buffer> waiting = new ArrayDeque<>();
            long[] bytes = {0};
            long[] forwarded = {0};
            out.handler(in::write);
            in.handler(b -> {
                waiting.add(b);
                bytes[0] += b.length();
                if (bytes[0] > BYTES_PER_TICK) {
                    in.pause();
                }
            });
            long tick = vertx.setPeriodic(TICK_MS, t -> {
                int budget = (int) Math.min(BYTES_PER_TICK, forwardAtMost - forwarded[0]);
                while (budget > 0 && !waiting.isEmpty()) {
                    Buffer b = waiting.poll();
                    if (b.length() > budget) {
                        waiting.addFirst(b.slice(budget, b.length()).copy());
                        b = b.slice(0, budget);
                    }
                    out.write(b.copy());
                    budget -= b.length();
                    bytes[0] -= b.length();
                    forwarded[0] += b.length();
                }
                if (bytes[0] <= BYTES_PER_TICK) {
                    in.resume();
                }
            });
            in.closeHandler(v -> {
                vertx.cancelTimer(tick);
                out.close();
            });
            out.closeHandler(v -> {
                vertx.cancelTimer(tick);
                in.close();
            });
            in.resume();
        }).onFailure(e -> in.close());
    }
}
