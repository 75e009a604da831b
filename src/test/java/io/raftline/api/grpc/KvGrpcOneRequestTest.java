package io.raftline.api.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.KvRequests;
import io.raftline.api.StandInNode;
import io.raftline.kv.KvCommand;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.kv.PutResponse;
import io.raftline.proto.kv.WatchRequest;
import io.raftline.proto.kv.WatchResponse;
import io.raftline.server.RawGrpcCall;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every KvService method takes exactly one request message (kv.proto has no client streaming), as gRPC's own servers
 * enforce: a call that carries a second one is refused before anything runs, rather than each message running as a
 * request of its own on one call (two writes for one answer, or a second watch on one stream whose cancellation only
 * reaches the last one). The node is a stand-in that counts what reaches it.
 */
class KvGrpcOneRequestTest {

    private Vertx vertx;
    private HttpServer server;
    private SocketAddress address;
    private GrpcClient client;
    private final StandInNode standIn = new StandInNode();
    private final List<NodeHost.WatchSink> sinks = standIn.sinks;
    private final AtomicInteger cancelled = standIn.cancelled;
    private final List<KvCommand> proposed = standIn.proposed;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        KvGrpcService service = new KvGrpcService(node, new KvRequests(node, null), id -> Optional.empty(), 1 << 20);
        GrpcServer grpc = service.bind(GrpcServer.server(vertx));
        server = await(vertx.createHttpServer().requestHandler(grpc).listen(0, "127.0.0.1"));
        address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
        client = GrpcClient.client(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private static PutRequest put(String key, String value) {
        return PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value)).build();
    }

    /** A call's status once it ended, whatever its messages. */
    private static <Resp> GrpcStatus statusOf(GrpcClientResponse<?, Resp> response) throws Exception {
        await(response.end().otherwiseEmpty(), Duration.ofSeconds(20));
        return response.status();
    }

    @Test
    void aPutCallCarryingTwoRequestsIsRefusedAndWritesNothing() throws Exception {
        GrpcClientRequest<PutRequest, PutResponse> call = await(client.request(address, KvServiceGrpcClient.Put));
        call.write(put("a", "1"));
        call.write(put("b", "2"));
        call.end();
        GrpcClientResponse<PutRequest, PutResponse> response = await(call.response(), Duration.ofSeconds(20));
        GrpcStatus status = statusOf(response);
        assertThat(proposed).as("writes that reached the node for one call").isEmpty();
        assertThat(status).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        String message = response.statusMessage() != null ? response.statusMessage()
                : response.headers().get("grpc-message");
        assertThat(message).contains("one request message");
    }

    @Test
    void aPutCallWithOneRequestIsServedAsBefore() throws Exception {
        GrpcClientRequest<PutRequest, PutResponse> call = await(client.request(address, KvServiceGrpcClient.Put));
        call.end(put("a", "1"));
        GrpcClientResponse<PutRequest, PutResponse> response = await(call.response(), Duration.ofSeconds(20));
        PutResponse answer = await(response.last(), Duration.ofSeconds(20));
        assertThat(answer.getRevision()).isEqualTo(1);
        assertThat(response.status()).isEqualTo(GrpcStatus.OK);
        assertThat(proposed).hasSize(1);
    }

    @Test
    void aWatchCallCarryingTwoRequestsLeavesNoWatchBehind() throws Exception {
        GrpcClientRequest<WatchRequest, WatchResponse> call = await(client.request(address, KvServiceGrpcClient.Watch));
        call.write(WatchRequest.newBuilder().setPrefix("a").build());
        call.write(WatchRequest.newBuilder().setPrefix("b").build());
        call.end();
        GrpcClientResponse<WatchRequest, WatchResponse> response = await(call.response(), Duration.ofSeconds(20));
        response.handler(m -> { });
        // Whatever the server did with the call, a client that gives it up must leave no watch registered.
        call.cancel();
        eventually("every watch the call registered is cancelled", Duration.ofSeconds(10),
                () -> cancelled.get() == sinks.size());
        assertThat(sinks).as("watches registered for one call").hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aMessageThatDoesNotDecodeIsRefusedWithItsReason() throws Exception {
        // A GetRequest whose key (field 1, a string) holds the bytes FF FE FD: no UTF-8, so no GetRequest. Vert.x's
        // decoding reset the stream (CANCEL) and the client learnt nothing.
        byte[] message = {0x0a, 0x03, (byte) 0xff, (byte) 0xfe, (byte) 0xfd};
        io.vertx.core.http.HttpClient h2c = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RawGrpcCall.Answer answer = RawGrpcCall.call(h2c, server.actualPort(), "/raftline.kv.v1.KvService/Get",
                io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message),
                Duration.ofSeconds(20));
        assertThat(answer.status()).isEqualTo(String.valueOf(GrpcStatus.INVALID_ARGUMENT.code));
        assertThat(answer.message()).startsWith("Get: the request message does not decode").contains("UTF-8");
    }
}
