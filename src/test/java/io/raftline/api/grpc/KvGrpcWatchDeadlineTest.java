package io.raftline.api.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.KvRequests;
import io.raftline.api.StandInNode;
import io.raftline.api.WatchBudget;
import io.raftline.node.RaftNode;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.WatchRequest;
import io.raftline.proto.kv.WatchResponse;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Watch whose call has a deadline ({@code grpc-timeout}) ends on the node when the deadline passes: the port's gRPC
 * server answers DEADLINE_EXCEEDED by itself (ClientPort schedules deadlines), and the watch must not stay registered,
 * holding one of the node's {@link KvGrpcService#MAX_WATCHES} places, until a change under its prefix happens to be
 * written into the ended call (on a quiet cluster: never).
 */
class KvGrpcWatchDeadlineTest {

    private Vertx vertx;
    private SocketAddress address;
    private final StandInNode standIn = new StandInNode();
    private final WatchBudget budget = new WatchBudget(WatchBudget.DEFAULT_BYTES);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        KvGrpcService service = new KvGrpcService(node, new KvRequests(node, null), id -> Optional.empty(), 1 << 20,
                budget);
        // As the client port builds its KV server: deadlines scheduled by the server.
        GrpcServer grpc = service.bind(GrpcServer.server(vertx, new GrpcServerOptions()
                .setScheduleDeadlineAutomatically(true)));
        HttpServer server = await(vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1"));
        address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    @Test
    void aWatchWhoseDeadlinePassedEndsOnTheNodeAndFreesItsPlace() throws Exception {
        GrpcClient client = GrpcClient.client(vertx);
        GrpcClientRequest<WatchRequest, WatchResponse> call = await(client.request(address, KvServiceGrpcClient.Watch));
        call.timeout(300, TimeUnit.MILLISECONDS);
        call.end(WatchRequest.newBuilder().setPrefix("quiet/").build());
        GrpcClientResponse<WatchRequest, WatchResponse> response = await(call.response());
        response.handler(m -> { });
        await(response.end().otherwiseEmpty());
        assertThat(response.status()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
        assertThat(standIn.sinks).hasSize(1);
        // Nothing is ever written under the prefix: only the deadline can end the watch.
        eventually("the node's watch is cancelled once the call's deadline passed", Duration.ofSeconds(5),
                () -> standIn.cancelled.get() == 1);
        eventually("the watch's place is free again", Duration.ofSeconds(5), () -> budget.openWatches() == 0);
    }
}
