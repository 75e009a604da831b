package io.raftline.api;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.grpc.KvGrpcService;
import io.raftline.api.http.WatchApi;
import io.raftline.node.RaftNode;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.WatchRequest;
import io.raftline.proto.kv.WatchResponse;
import io.raftline.transport.OnContext;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node serves at most {@link WatchApi#MAX_WATCHES} watches, HTTP and gRPC together, as the documentation says
 * ("watches: 1024 per node"): each protocol counted its own, so a node served 1,024 of each (a review opened 1,024 HTTP
 * watches on a node, then a gRPC Watch, which was accepted). One port, as a node's client port is: gRPC calls to the
 * gRPC service, the rest to the router; the node is a stand-in that records the watches.
 */
class PortWatchCountTest {

    private Vertx vertx;
    private HttpServer server;
    private SocketAddress address;
    private HttpClient http;
    /** Where the HTTP watches are asked from (see httpWatch). */
    private io.vertx.core.Context context;
    private final StandInNode standIn = new StandInNode();
    /** Requests the port handed to the router (not gRPC), for a failure's message. */
    private final java.util.concurrent.atomic.AtomicInteger routed = new java.util.concurrent.atomic.AtomicInteger();
    private WatchBudget budget;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        budget = new WatchBudget(WatchBudget.DEFAULT_BYTES);
        Router router = Router.router(vertx);
        new WatchApi(node, budget).mount(router);
        GrpcServer grpc = new KvGrpcService(node, new KvRequests(node, null), id -> Optional.empty(), 1 << 20, budget)
                .bind(GrpcServer.server(vertx));
        server = await(vertx.createHttpServer(new HttpServerOptions().setInitialSettings(new Http2Settings()
                .setMaxConcurrentStreams(4 * WatchApi.MAX_WATCHES))).requestHandler(request -> {
                    String type = request.getHeader("content-type");
                    if (type != null && type.startsWith("application/grpc")) {
                        grpc.handle(request);
                    } else {
                        routed.incrementAndGet();
                        router.handle(request);
                    }
                }).listen(0, "127.0.0.1"));
        address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
        http = vertx.createHttpClient();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private Future<GrpcClientRequest<WatchRequest, WatchResponse>> grpcWatch(GrpcClient client) {
        return client.request(address, KvServiceGrpcClient.Watch).map(req -> {
            req.end(WatchRequest.newBuilder().setPrefix("").build());
            return req;
        });
    }

    /** An HTTP watch's status, and its body unless it streams (200). */
    private record Answer(int status, String body) {
    }

    private Answer httpWatch() throws Exception {
        int before = routed.get();
        try {
            // From one context: asked from the test's thread, each call got a context of its own, so the response's
            // continuation could run after a short answer (the 503) had already ended, and body() then never
            // completed (the cause of two time-outs here in full runs; the same race timed out GrpcTransportTest).
            return await(OnContext.call(context, () -> http.request(HttpMethod.GET, server.actualPort(), "127.0.0.1",
                    "/v1/watch").compose(req -> req.send())
                    .compose(r -> r.statusCode() == 200 ? Future.succeededFuture(new Answer(200, ""))
                            : r.body().map(b -> new Answer(r.statusCode(), b.toString())))));
        } catch (Waits.TimedOutException e) {
            // Say how far it got, should it time out again.
            throw new AssertionError("an HTTP watch got no answer in time; the port handed it to the router: "
                    + (routed.get() > before) + ", watches open: " + budget.openWatches() + ", registered: "
                    + standIn.sinks.size(), e);
        }
    }

    @Test
    void httpAndGrpcWatchesShareTheNodesBound() throws Exception {
        // Both clients are held until the end and closed there: Vert.x closes a client, and its connections, once the
        // client object is garbage (a Cleaner), which would end the watches this test counts under it (the first
        // client is otherwise unused after the loop).
        GrpcClient grpcClient = GrpcClient.client(vertx);
        GrpcClient secondClient = GrpcClient.client(vertx);
        List<GrpcClientRequest<WatchRequest, WatchResponse>> calls = new ArrayList<>();
        for (int i = 0; i < WatchApi.MAX_WATCHES; i++) {
            GrpcClientRequest<WatchRequest, WatchResponse> call = await(grpcWatch(grpcClient));
            await(call.response());
            calls.add(call);
        }
        eventually("every gRPC watch registered", () -> standIn.sinks.size() == WatchApi.MAX_WATCHES);

        Answer refused = httpWatch();
        assertThat(refused.status()).as("an HTTP watch beyond %d gRPC watches", WatchApi.MAX_WATCHES)
                .isEqualTo(503);
        assertThat(refused.body()).contains("\"error\":\"overloaded\"");
        assertThat(standIn.sinks).hasSize(WatchApi.MAX_WATCHES);

        // A gRPC watch that ends frees its place for an HTTP one, which then counts against gRPC watches.
        calls.get(0).cancel();
        eventually("the cancelled watch ended", () -> standIn.cancelled.get() == 1);
        assertThat(httpWatch().status()).isEqualTo(200);
        eventually("the HTTP watch registered", () -> standIn.sinks.size() == WatchApi.MAX_WATCHES + 1);
        GrpcClientResponse<WatchRequest, WatchResponse> overloaded =
                await(grpcWatch(secondClient).compose(GrpcClientRequest::response));
        await(overloaded.end().otherwiseEmpty());
        assertThat(overloaded.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(overloaded.headers().get(KvGrpcService.ERROR_CODE)).isEqualTo("overloaded");
        await(secondClient.close());
        await(grpcClient.close());
    }
}
