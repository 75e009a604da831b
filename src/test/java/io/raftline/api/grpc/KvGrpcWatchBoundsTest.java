package io.raftline.api.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.KvRequests;
import io.raftline.api.StandInNode;
import io.raftline.api.WatchBudget;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvEntry;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.WatchEvent;
import io.raftline.proto.kv.WatchRequest;
import io.raftline.proto.kv.WatchResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Watch stream is bounded as the HTTP watch is: a node serves at most {@link KvGrpcService#MAX_WATCHES} at once,
 * and a client that does not read its events is cut off after {@link KvGrpcService#MAX_WATCH_BEHIND_BYTES} rather
 * than the node buffering them without bound. The node is a stand-in whose watches the test feeds by hand, so what
 * the stream holds is exactly what the test wrote.
 */
class KvGrpcWatchBoundsTest {

    private Vertx vertx;
    private HttpServer server;
    private SocketAddress address;
    private final StandInNode standIn = new StandInNode();
    private final List<NodeHost.WatchSink> sinks = standIn.sinks;
    private final AtomicInteger cancelled = standIn.cancelled;
    private final List<GrpcClient> clients = new ArrayList<>();
    /** The port's budget for slow watches: more than one watch's bound, less than two. */
    private WatchBudget budget = new WatchBudget(10L * 1024 * 1024);
    /** The stall time of the test that waits it out, instead of the default's 15 s. */
    private static final long SHORT_STALL_MS = 2_000;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        KvGrpcService service = new KvGrpcService(node, new KvRequests(node, null), id -> Optional.empty(), 1 << 20,
                budget);
        GrpcServer grpc = service.bind(GrpcServer.server(vertx));
        // Room for every watch of the bound and one more on one connection.
        server = await(vertx.createHttpServer(new HttpServerOptions().setInitialSettings(new Http2Settings()
                .setMaxConcurrentStreams(4 * KvGrpcService.MAX_WATCHES))).requestHandler(grpc).listen(0, "127.0.0.1"));
        address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private GrpcClient client() {
        GrpcClient c = GrpcClient.client(vertx);
        clients.add(c);
        return c;
    }

    /** Opens a watch and returns its response once the head arrived (the server registered the watch first). */
    private GrpcClientResponse<WatchRequest, WatchResponse> watch(GrpcClient client) throws Exception {
        return await(open(client).compose(GrpcClientRequest::response));
    }

    /** Opens a watch: the call, whose response comes once the server answered. */
    private Future<GrpcClientRequest<WatchRequest, WatchResponse>> open(GrpcClient client) {
        return client.request(address, KvServiceGrpcClient.Watch).map(req -> {
            req.end(WatchRequest.newBuilder().setPrefix("").build());
            return req;
        });
    }

    private static KvChange change(long revision, int valueBytes) {
        return new KvChange(revision, 0, "k" + revision, new KvEntry("k" + revision, new byte[valueBytes], revision,
                revision, 1));
    }

    /**
     * The watches of a port share one budget for what their slow clients have not read (an audit ran a node out of
     * heap with 200 watches that did not read, each within its own 8 MiB): a second slow watch is cut off once the
     * two together would pass it, although it is within its own bound, and the first one goes on. What a watch held
     * is given back when it ends.
     */
    @Test
    void slowWatchesShareThePortsBudget() throws Exception {
        GrpcClient first = client();
        GrpcClientResponse<WatchRequest, WatchResponse> a = watch(first);
        a.pause();
        eventually("the first watch registered", () -> sinks.size() == 1);
        GrpcClientResponse<WatchRequest, WatchResponse> b = watch(client());
        b.pause();
        Future<GrpcStatus> bStatus = b.end().transform(ar -> Future.succeededFuture(b.status()));
        eventually("the second watch registered", () -> sinks.size() == 2);
        int sevenMiB = 7 * 16;
        for (int i = 1; i <= sevenMiB; i++) {
            sinks.get(0).changes(List.of(change(i, 64 * 1024)));
        }
        // All but what the stream's window and queue took before they filled (about 1 MiB here).
        eventually("the first watch holds what its client did not read", () -> budget.held() > 5L * 1024 * 1024);
        for (int i = 1; i <= sevenMiB; i++) {
            sinks.get(1).changes(List.of(change(i, 64 * 1024)));
        }
        eventually("the second watch cancelled", Duration.ofSeconds(20), () -> cancelled.get() == 1);
        b.resume();
        assertThat(await(bStatus, Duration.ofSeconds(20))).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(b.trailers().get(KvGrpcService.ERROR_CODE)).isEqualTo("too_slow");
        assertThat(cancelled.get()).as("the first watch goes on").isEqualTo(1);
        await(first.close());
        eventually("what the first watch held is given back", Duration.ofSeconds(20), () -> budget.held() == 0);
    }

    @Test
    void aClientThatDoesNotReadIsCutOffOnceItIsTooFarBehind() throws Exception {
        GrpcClientResponse<WatchRequest, WatchResponse> response = watch(client());
        response.pause(); // reads nothing: the stream's flow-control window fills and the server's queue with it
        List<Long> received = new CopyOnWriteArrayList<>();
        response.handler(batch -> batch.getEventsList().forEach(e -> received.add(e.getRevision())));
        Future<GrpcStatus> status = response.end().transform(ar -> Future.succeededFuture(response.status()));
        eventually("the watch registered", () -> sinks.size() == 1);
        NodeHost.WatchSink sink = sinks.get(0);
        // Far more than the bound, 64 KiB a change: the server ends the stream and cancels the node's watch.
        int changes = (int) (3 * KvGrpcService.MAX_WATCH_BEHIND_BYTES / (64 * 1024));
        for (int i = 1; i <= changes; i++) {
            sink.changes(List.of(change(i, 64 * 1024)));
        }
        eventually("the node's watch cancelled", Duration.ofSeconds(20), () -> cancelled.get() == 1);
        response.resume();
        assertThat(await(status, Duration.ofSeconds(20))).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(response.trailers().get(KvGrpcService.ERROR_CODE)).isEqualTo("too_slow");
        // What did arrive is the start of the changes, in order, and less than all of them.
        assertThat(received).isNotEmpty().hasSizeLessThan(changes);
        for (int i = 0; i < received.size(); i++) {
            assertThat(received.get(i)).isEqualTo(i + 1L);
        }
    }

    /**
     * A batch of changes larger than a client takes in one message (a resumed watch's backlog is one batch, up to the
     * node's 64 MiB of history) comes as several responses, each within what a gRPC client takes by default (here
     * grpc-java's 4 MiB), in order, each with the cursor after its last event. As one response, the client refused it,
     * and resuming from the same cursor brought the same response again.
     */
    @Test
    void aBatchLargerThanAClientTakesComesAsSeveralResponsesInOrder() throws Exception {
        GrpcClient fourMiB = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(4 << 20));
        clients.add(fourMiB);
        GrpcClientResponse<WatchRequest, WatchResponse> response = watch(fourMiB);
        List<WatchResponse> received = new CopyOnWriteArrayList<>();
        response.handler(received::add);
        Future<GrpcStatus> status = response.end().transform(ar -> Future.succeededFuture(response.status()));
        eventually("the watch registered", () -> sinks.size() == 1);
        int changes = 100; // 6.4 MiB in one batch
        List<KvChange> batch = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            batch.add(change(i, 64 * 1024));
        }
        sinks.get(0).changes(batch);
        eventually("every change arrived", Duration.ofSeconds(20), () -> status.isComplete()
                || received.stream().mapToInt(WatchResponse::getEventsCount).sum() == changes);
        assertThat(status.isComplete()).as("the stream is still open (ended with %s)",
                status.isComplete() ? status.result() : null).isFalse();
        List<Long> revisions = new ArrayList<>();
        for (WatchResponse r : received) {
            assertThat(r.getSerializedSize()).isLessThanOrEqualTo(KvGrpcService.MAX_WATCH_RESPONSE_BYTES + 128 * 1024);
            r.getEventsList().forEach(e -> revisions.add(e.getRevision()));
            if (r.getEventsCount() > 0) {
                assertThat(r.getCursor()).isEqualTo(r.getEvents(r.getEventsCount() - 1).getRevision() + ":0");
            }
        }
        for (int i = 0; i < changes; i++) {
            assertThat(revisions.get(i)).isEqualTo(i + 1L);
        }
    }

    /**
     * A client that reads nothing of one large batch (a resumed watch's backlog), with nothing more coming, is cut off
     * once its stream stayed blocked for the stall time (here {@link #SHORT_STALL_MS}; 15 s by default,
     * {@link KvGrpcService#WATCH_STALL_MS}), rather than the node holding the batch
     * for it for as long as the connection lasts. (Until 2026-12-07 the batch was written whole in one task and counted
     * as unread once the write queue filled, which also cut off clients that read as fast as they could.)
     */
    @Test
    void aClientThatDoesNotReadALargeBatchIsCutOffOnceItReadsNothingForTheStallTime() throws Exception {
        stop();
        budget = new WatchBudget(10L * 1024 * 1024, SHORT_STALL_MS);
        start();
        // A client that would take the whole batch as one message: what cuts it off is the node's bound alone.
        GrpcClient large = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64 << 20));
        clients.add(large);
        GrpcClientResponse<WatchRequest, WatchResponse> response = watch(large);
        response.pause();
        Future<GrpcStatus> status = response.end().transform(ar -> Future.succeededFuture(response.status()));
        eventually("the watch registered", () -> sinks.size() == 1);
        int changes = (int) (3 * KvGrpcService.MAX_WATCH_BEHIND_BYTES / (64 * 1024));
        List<KvChange> batch = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            batch.add(change(i, 64 * 1024));
        }
        sinks.get(0).changes(batch);
        eventually("the node's watch cancelled", Duration.ofMillis(SHORT_STALL_MS + 20_000),
                () -> cancelled.get() == 1);
        response.resume();
        assertThat(await(status, Duration.ofSeconds(20))).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(response.trailers().get(KvGrpcService.ERROR_CODE)).isEqualTo("too_slow");
        assertThat(budget.held()).as("a batch that found nothing waiting is not counted").isZero();
    }

    /**
     * A batch three times the bound, to a client that reads as it comes, arrives whole and the stream stays open: it is
     * written a response at a time as the stream's write queue takes it. It used to be written in one task, so the
     * queue filled at once and the rest counted as unread: the client was cut off as too slow after about 8 MiB, and
     * resuming brought the next 8 MiB and the same cut.
     */
    @Test
    void aClientThatReadsGetsABatchFarLargerThanTheBoundWhole() throws Exception {
        GrpcClient fourMiB = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(4 << 20));
        clients.add(fourMiB);
        GrpcClientResponse<WatchRequest, WatchResponse> response = watch(fourMiB);
        List<Long> revisions = new CopyOnWriteArrayList<>();
        response.handler(r -> r.getEventsList().forEach(e -> revisions.add(e.getRevision())));
        Future<GrpcStatus> status = response.end().transform(ar -> Future.succeededFuture(response.status()));
        eventually("the watch registered", () -> sinks.size() == 1);
        int changes = (int) (3 * KvGrpcService.MAX_WATCH_BEHIND_BYTES / (64 * 1024));
        List<KvChange> batch = new ArrayList<>();
        for (int i = 1; i <= changes; i++) {
            batch.add(change(i, 64 * 1024));
        }
        sinks.get(0).changes(batch);
        eventually("every change arrived, or the stream ended", Duration.ofSeconds(30),
                () -> status.isComplete() || revisions.size() == changes);
        assertThat(status.isComplete()).as("the stream is still open (ended with %s: %s)",
                status.isComplete() ? status.result() : null, response.statusMessage()).isFalse();
        for (int i = 0; i < changes; i++) {
            assertThat(revisions.get(i)).isEqualTo(i + 1L);
        }
        // And the stream goes on with the next change.
        sinks.get(0).changes(List.of(change(changes + 1, 10)));
        eventually("the next change arrived", () -> revisions.size() == changes + 1);
        assertThat(cancelled.get()).isZero();
    }

    @Test
    void aNodeServesABoundedNumberOfWatchesAndAWatchThatEndsFreesItsPlace() throws Exception {
        GrpcClient first = client();
        List<GrpcClientRequest<WatchRequest, WatchResponse>> calls = new ArrayList<>();
        for (int i = 0; i < KvGrpcService.MAX_WATCHES; i++) {
            GrpcClientRequest<WatchRequest, WatchResponse> call = await(open(first));
            await(call.response());
            calls.add(call);
        }
        eventually("every watch registered", () -> sinks.size() == KvGrpcService.MAX_WATCHES);
        GrpcClientResponse<WatchRequest, WatchResponse> refused = watch(client());
        await(refused.end().otherwiseEmpty());
        assertThat(refused.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        // A refusal before any message is "trailers-only": its trailers arrive as the response's headers.
        assertThat(refused.headers().get(KvGrpcService.ERROR_CODE)).isEqualTo("overloaded");
        assertThat(refused.statusMessage()).contains("serves " + KvGrpcService.MAX_WATCHES + " watches already");
        // A client that cancels its watch frees its place.
        calls.get(0).cancel();
        eventually("the cancelled watch ended", () -> cancelled.get() == 1);
        GrpcClientResponse<WatchRequest, WatchResponse> accepted = watch(client());
        eventually("the new watch registered", () -> sinks.size() == KvGrpcService.MAX_WATCHES + 1);
        NodeHost.WatchSink newest = sinks.get(KvGrpcService.MAX_WATCHES);
        List<WatchEvent> events = new CopyOnWriteArrayList<>();
        accepted.handler(batch -> events.addAll(batch.getEventsList()));
        newest.changes(List.of(change(7, 1)));
        eventually("the new watch streams", () -> events.size() == 1);
        // A client that goes away with its connection frees every place it held.
        await(first.close());
        eventually("the closed connection's watches ended", () -> cancelled.get() == KvGrpcService.MAX_WATCHES);
        List<GrpcClientResponse<WatchRequest, WatchResponse>> again = new ArrayList<>();
        GrpcClient second = client();
        for (int i = 0; i < KvGrpcService.MAX_WATCHES - 1; i++) {
            again.add(watch(second));
        }
        eventually("the watches registered again", () -> sinks.size() == 2 * KvGrpcService.MAX_WATCHES);
        assertThat(again).hasSize(KvGrpcService.MAX_WATCHES - 1);
    }
}
