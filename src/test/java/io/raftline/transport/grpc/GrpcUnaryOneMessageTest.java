package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The unary RequestVote and AppendEntries take exactly one request message per call, as gRPC's own servers require of a
 * unary method (an audit's finding, like the one fixed in the KV service): each message of a call used to be delivered
 * as a call of its own, and since the first answer ended the response, every later one was delivered unanswered, its
 * refusal (a message from a non-member, for another node) told to nobody.
 */
class GrpcUnaryOneMessageTest {

    private Vertx vertx;
    private GrpcTransport receiver;
    private SocketAddress address;
    private GrpcClient client;
    /** The node's context: what the transport delivers runs there. */
    private io.vertx.core.Context nodeContext;
    private final List<Message> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        GrpcTransport.Options options = GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(1000);
        receiver = new GrpcTransport(vertx, new NetworkConditioner(2), (m, reason) -> { },
                id -> Optional.empty(), Set.of(1, 2, 3), options);
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(options.maxMessageBytes()))
                .addService(receiver.service(2));
        HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(grpc).listen());
        address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
        nodeContext = vertx.getOrCreateContext();
        await(OnContext.call(nodeContext, () -> receiver.register(2, received::add)));
        client = GrpcClient.client(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        await(client.close());
        await(receiver.close());
        await(vertx.close());
    }

    /** Sends {@code messages} on one call, half-closes it, and gives the status the call ended with. */
    private <Req> GrpcStatus call(GrpcClientRequest<Req, Ack> req, List<Req> messages)
            throws InterruptedException {
        messages.forEach(req::write);
        req.end();
        GrpcClientResponse<Req, Ack> response = await(req.response(), Duration.ofSeconds(20));
        return await(response.last().transform(ar -> Future.succeededFuture(response.status())),
                Duration.ofSeconds(20));
    }

    @Test
    void anAppendEntriesCallCarryingTwoMessagesIsRefusedAndDeliversNothing() throws Exception {
        GrpcClientRequest<RaftEnvelope, Ack> req = await(client.request(address, RaftServiceGrpcClient.AppendEntries));
        // A heartbeat the node would take, then an answer from an id it does not know, which it refuses.
        GrpcStatus status = call(req, List.of(ProtoMapping.toEnvelope(new Heartbeat(1, 2, 1, 0, 0)),
                ProtoMapping.toEnvelope(new HeartbeatResponse(9, 2, 1, 0))));
        assertThat(status).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        // Anything delivered reaches the node's context as a task of its own: one more task on that context runs
        // after it, so an empty list then means nothing was handed over.
        OnContext.run(nodeContext, () -> { });
        assertThat(received).as("messages delivered from a refused call").isEmpty();
    }

    @Test
    void aRequestVoteCallCarryingManyMessagesIsRefusedAndDeliversNothing() throws Exception {
        GrpcClientRequest<io.raftline.proto.raft.VoteRequest, Ack> req =
                await(client.request(address, RaftServiceGrpcClient.RequestVote));
        List<io.raftline.proto.raft.VoteRequest> votes = new java.util.ArrayList<>();
        for (int term = 1; term <= 100; term++) {
            votes.add(ProtoMapping.toProto(new VoteRequest(1, 2, term, 0, 0, false, false)));
        }
        assertThat(call(req, votes)).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        OnContext.run(nodeContext, () -> { });
        assertThat(received).as("messages delivered from a refused call").isEmpty();
    }

    @Test
    void aCallWithoutAMessageIsRefusedAndOneWithOneIsDeliveredAsBefore() throws Exception {
        GrpcClientRequest<RaftEnvelope, Ack> none = await(client.request(address, RaftServiceGrpcClient.AppendEntries));
        assertThat(call(none, List.of())).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        GrpcClientRequest<RaftEnvelope, Ack> one = await(client.request(address, RaftServiceGrpcClient.AppendEntries));
        assertThat(call(one, List.of(ProtoMapping.toEnvelope(new Heartbeat(1, 2, 1, 0, 5))))).isEqualTo(GrpcStatus.OK);
        io.raftline.verify.nemesis.Waits.eventually("the heartbeat delivered", () -> received.size() == 1);
        assertThat(received).containsExactly(new Heartbeat(1, 2, 1, 0, 5));
    }
}
