package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A node behind a membership change takes what a leader it has not heard of sends (an audit's finding: the gRPC
 * receiver refused every message from a sender outside the ids its process had seen, so a follower that was down
 * while node 5 was added, with 5 leading since, or a joining node whose configuration did not list 5, never caught
 * up: it learns of 5 only from the log 5 sends). Answers from such an id are still refused.
 */
class GrpcUnknownSenderTest {

    @Test
    void aFollowerBehindAChangeTakesTheLeaderThatChangeAddedButNotAnswersFromIt() throws Exception {
        Vertx vertx = Vertx.vertx();
        Map<Integer, SocketAddress> addresses = new ConcurrentHashMap<>();
        List<String> drops = new CopyOnWriteArrayList<>();
        List<Message> delivered = new CopyOnWriteArrayList<>();
        GrpcTransport.Options options = GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(1000)
                .withSnapshotChunkBytes(4096);
        // Node 5's process knows everyone: 5 was added at runtime and leads.
        GrpcTransport leader5 = new GrpcTransport(vertx, new NetworkConditioner(1), (m, reason) -> drops.add(
                m.getClass().getSimpleName() + ":" + reason), id -> Optional.ofNullable(addresses.get(id)),
                new ConcurrentSkipListSet<>(Set.of(1, 2, 3, 5)), options);
        // Node 2's process was configured with 1, 2, 3 and was down while "add 5" committed.
        GrpcTransport node2 = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { },
                id -> Optional.empty(), new ConcurrentSkipListSet<>(Set.of(1, 2, 3)), options);
        try {
            GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(
                    options.maxMessageBytes())).addService(node2.service(2));
            HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1")
                    .setPort(0)).requestHandler(grpc).listen());
            addresses.put(2, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"));
            await(node2.register(2, delivered::add));

            Promise<Void> sent = Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> {
                leader5.sendAll(List.of(new Heartbeat(5, 2, 9, 0, 1),
                        new AppendRequest(5, 2, 9, 10, 8, List.of(Entry.normal(11, 9, new byte[] {1})), 10)));
                leader5.send(new SnapshotRequest(5, 2, 9, new Snapshot(new SnapshotMetadata(20, 9,
                        List.of(1, 2, 3, 5), List.of(), Map.of()), new byte[100])));
                leader5.send(AppendResponse.accepted(5, 2, 9, 11));
                sent.complete();
            });
            await(sent.future());
            eventually("the leader's three messages delivered and the answer refused",
                    () -> delivered.size() == 3 && drops.size() == 1);
            assertThat(delivered).extracting(m -> m.getClass().getSimpleName())
                    .containsExactlyInAnyOrder("Heartbeat", "AppendRequest", "SnapshotRequest");
            assertThat(drops).singleElement().asString().startsWith("AppendResponse:");
        } finally {
            await(leader5.close());
            await(node2.close());
            await(vertx.close());
        }
    }
}
