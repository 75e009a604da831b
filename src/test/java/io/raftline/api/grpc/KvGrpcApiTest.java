package io.raftline.api.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.raftline.RawHttp;
import io.raftline.api.ForwardCodec;
import io.raftline.api.http.HttpLeaderLink;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.proto.kv.CompareAndSetRequest;
import io.raftline.proto.kv.Consistency;
import io.raftline.proto.kv.DeleteRequest;
import io.raftline.proto.kv.DeleteResponse;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.GetResponse;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.kv.PutResponse;
import io.raftline.proto.kv.RangeRequest;
import io.raftline.proto.kv.RangeResponse;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.WebClient;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gRPC KV API of a real 3-node cluster in one JVM (Raft over gRPC too, so each node port serves HTTP, the
 * KV service and RaftService), called with the generated Vert.x client: every method, forwarding from
 * followers, the three read consistencies, and every error status with its trailers.
 */
@ExtendWith(VertxExtension.class)
@Tag("slow") // a 3-node gRPC cluster per test, ~1 s each
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class KvGrpcApiTest {

    private static final long REQUEST_TIMEOUT_MS = 3000;
    /** How long a call is retried: a few elections, and a few calls that run into the request timeout. */
    private static final Duration RETRY_WAIT = Duration.ofSeconds(20);

    private InJvmCluster harness;
    private ClusterVerticle cluster;
    private GrpcClient client;
    /** Where the watches are opened from (see watch). */
    private io.vertx.core.Context asking;
    private WebClient web;

    /** What a call ended with: status, message, headers, trailers and the response if OK. */
    record Outcome<T>(GrpcStatus status, String message, MultiMap headers, MultiMap trailers, T value) {
        String trailer(String name) {
            String v = trailers == null ? null : trailers.get(name);
            return v != null ? v : headers == null ? null : headers.get(name);
        }
    }

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 7, REQUEST_TIMEOUT_MS).put("transport", "grpc"))
                .start();
        cluster = harness.verticle();
        client = GrpcClient.client(vertx);
        asking = vertx.getOrCreateContext();
        web = WebClient.create(vertx);
        awaitStableLeader();
    }

    /**
     * Waits until every node follows the same leader in the same term for half a second. A fresh JVM runs its
     * first gRPC calls slowly (class loading, interpreted code), which can cost the first leader its term with
     * these short test timeouts; tests that pick "a follower" need the cluster settled.
     */
    private void awaitStableLeader() throws InterruptedException {
        String[] last = {""};
        long[] since = {System.nanoTime()};
        eventually("a stable leader", () -> {
            JsonObject c = clusterState();
            JsonArray nodes = c.getJsonArray("nodes");
            boolean agree = c.getInteger("leader") != 0 && nodes.stream().map(JsonObject.class::cast)
                    .allMatch(n -> n.getInteger("leader").equals(c.getInteger("leader"))
                            && n.getLong("term").equals(c.getLong("term")));
            String now = c.getInteger("leader") + "@" + c.getLong("term");
            if (!agree || !now.equals(last[0])) {
                last[0] = agree ? now : "";
                since[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - since[0] > TimeUnit.MILLISECONDS.toNanos(500);
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            await(client.close());
            web.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private SocketAddress address(int node) {
        URI u = URI.create(cluster.nodeUrl(node));
        return SocketAddress.inetSocketAddress(u.getPort(), u.getHost());
    }

    private <Req, Resp> Outcome<Resp> call(int node, ServiceMethod<Resp, Req> method, Req msg, MultiMap headers,
            long deadlineMs) throws InterruptedException {
        return await(client.request(address(node), method).compose(req -> {
            if (headers != null) {
                req.headers().addAll(headers);
            }
            if (deadlineMs > 0) {
                // Sent as grpc-timeout; the server enforces it (this client schedules no deadline of its own).
                req.timeout(deadlineMs, TimeUnit.MILLISECONDS);
            }
            return req.send(msg);
        }).compose(resp -> resp.last().transform(ar -> Future.succeededFuture(new Outcome<>(resp.status(),
                resp.statusMessage(), resp.headers(), resp.trailers(), ar.succeeded() ? ar.result() : null)))));
    }

    private <Req, Resp> Outcome<Resp> call(int node, ServiceMethod<Resp, Req> method, Req msg)
            throws InterruptedException {
        return call(node, method, msg, null, 0);
    }

    /**
     * A call retried while it is UNAVAILABLE or DEADLINE_EXCEEDED, as a client should: on this shared 2-core
     * machine with 150-300 ms election timeouts a leader change can happen mid-test. Writes passed here carry an
     * idempotency key, so a retry of an applied write answers the original result.
     */
    private <Req, Resp> Outcome<Resp> retried(int node, ServiceMethod<Resp, Req> method, Req msg)
            throws InterruptedException {
        AtomicReference<Outcome<Resp>> last = new AtomicReference<>();
        eventually("a call to node " + node + " answered other than UNAVAILABLE or DEADLINE_EXCEEDED", RETRY_WAIT,
                () -> {
                    Outcome<Resp> o = call(node, method, msg);
                    last.set(o);
                    return o.status() != GrpcStatus.UNAVAILABLE && o.status() != GrpcStatus.DEADLINE_EXCEEDED;
                });
        return last.get();
    }

    private static PutRequest put(String key, String value) {
        return PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value))
                .setIdempotencyKey("put-" + key + "-" + value).build();
    }

    private static GetRequest get(String key, Consistency c) {
        return GetRequest.newBuilder().setKey(key).setConsistency(c).build();
    }

    private JsonObject clusterState() throws InterruptedException {
        return await(web.getAbs(cluster.adminUrl() + "/v1/cluster").send()).bodyAsJsonObject();
    }

    private int leader() throws InterruptedException {
        return clusterState().getInteger("leader");
    }

    private static int aFollower(int leader) {
        return leader == 1 ? 2 : 1;
    }

    private static String text(ByteString b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- tests

    @Test
    void putGetRangeAndDeleteWorkFromAnyNodeAtEveryConsistency() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        Outcome<PutResponse> w = retried(follower, KvServiceGrpcClient.Put, put("greeting", "hello"));
        assertThat(w.status()).isEqualTo(GrpcStatus.OK);
        long revision = w.value().getRevision();
        assertThat(revision).isPositive();
        assertThat(w.headers().get(KvGrpcService.SERVED_BY)).as("forwarded to the leader")
                .isEqualTo(String.valueOf(leader()));

        for (int id = 1; id <= 3; id++) {
            Outcome<GetResponse> r = retried(id, KvServiceGrpcClient.Get, get("greeting", Consistency.LINEARIZABLE));
            assertThat(r.status()).as("linearizable read on node %d", id).isEqualTo(GrpcStatus.OK);
            assertThat(text(r.value().getKv().getValue())).isEqualTo("hello");
            assertThat(r.value().getKv().getModRevision()).isEqualTo(revision);
            assertThat(r.value().getKv().getCreateRevision()).isEqualTo(revision);
            assertThat(r.value().getKv().getVersion()).isEqualTo(1);
            int node = id;
            eventually("stale read on node " + id, () -> {
                Outcome<GetResponse> s = call(node, KvServiceGrpcClient.Get, get("greeting", Consistency.STALE));
                return s.status() == GrpcStatus.OK
                        && text(s.value().getKv().getValue()).equals("hello")
                        && s.headers().get(KvGrpcService.SERVED_BY).equals(String.valueOf(node));
            });
        }
        Outcome<GetResponse> lease = retried(follower, KvServiceGrpcClient.Get, get("greeting", Consistency.LEASE));
        assertThat(lease.status()).isEqualTo(GrpcStatus.OK);
        assertThat(text(lease.value().getKv().getValue())).isEqualTo("hello");

        // A second put bumps the revision and the version; binary values survive.
        long r2 = retried(leader, KvServiceGrpcClient.Put, put("greeting", "hi")).value().getRevision();
        assertThat(r2).isGreaterThan(revision);
        retried(leader, KvServiceGrpcClient.Put, PutRequest.newBuilder().setKey("greet/bin")
                .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, 0})).setIdempotencyKey("bin").build());
        retried(leader, KvServiceGrpcClient.Put, put("greet/x", "1"));
        retried(leader, KvServiceGrpcClient.Put, put("other", "2"));
        Outcome<GetResponse> v2 = retried(follower, KvServiceGrpcClient.Get, get("greeting", Consistency.LINEARIZABLE));
        assertThat(v2.value().getKv().getVersion()).isEqualTo(2);
        assertThat(v2.value().getKv().getCreateRevision()).isEqualTo(revision);

        Outcome<RangeResponse> all = retried(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder().setPrefix("greet")
                .build());
        assertThat(all.status()).isEqualTo(GrpcStatus.OK);
        assertThat(all.value().getKvsList()).extracting(kv -> kv.getKey()).containsExactly("greet/bin", "greet/x", "greeting");
        assertThat(all.value().getKvs(0).getValue().toByteArray()).containsExactly((byte) 0xff, 0);
        Outcome<RangeResponse> two = call(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder().setPrefix("")
                .setLimit(2).setConsistency(Consistency.STALE).build());
        assertThat(two.value().getKvsCount()).isEqualTo(2);
        assertThat(two.value().getMore()).isTrue();
        assertThat(two.value().getNext()).isEqualTo(two.value().getKvs(1).getKey());
        Outcome<RangeResponse> rest = call(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder().setPrefix("")
                .setStartAfter(two.value().getNext()).setConsistency(Consistency.STALE).build());
        assertThat(rest.value().getKvsList()).extracting(kv -> kv.getKey())
                .doesNotContainAnyElementsOf(two.value().getKvsList().stream().map(kv -> kv.getKey()).toList());
        Outcome<RangeResponse> everything = call(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder()
                .setPrefix("").setConsistency(Consistency.STALE).build());
        assertThat(rest.value().getKvsCount() + 2).isEqualTo(everything.value().getKvsCount());
        assertThat(rest.value().getMore()).isFalse();

        Outcome<DeleteResponse> notYet = call(follower, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder()
                .setKey("greeting").setExpectedRevision(r2 - 1).build());
        assertThat(notYet.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        Outcome<DeleteResponse> d = retried(follower, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder()
                .setKey("greeting").setExpectedRevision(r2).setIdempotencyKey("del-1").build());
        assertThat(d.status()).isEqualTo(GrpcStatus.OK);
        assertThat(d.value().getDeleted()).isEqualTo(1);
        assertThat(d.value().getRevision()).isGreaterThan(r2);
        Outcome<DeleteResponse> again = retried(follower, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder()
                .setKey("greeting").setIdempotencyKey("del-2").build());
        assertThat(again.value().getDeleted()).isZero();

        Outcome<GetResponse> gone = retried(follower, KvServiceGrpcClient.Get, get("greeting", Consistency.LINEARIZABLE));
        assertThat(gone.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(gone.message()).contains("greeting");
        assertThat(gone.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("not_found");

        // The HTTP API on the same port sees the same data.
        assertThat(await(web.getAbs(cluster.nodeUrl(follower) + "/v1/kv/other").send()).bodyAsString()).isEqualTo("2");
    }

    @Test
    void compareAndSetFailsWithFailedPreconditionNamingTheActualRevision() throws Exception {
        int node = aFollower(leader());
        CompareAndSetRequest create = CompareAndSetRequest.newBuilder().setKey("lock")
                .setValue(ByteString.copyFromUtf8("a")).setExpectedRevision(0).build();
        Outcome<PutResponse> created = retried(node, KvServiceGrpcClient.CompareAndSet, create.toBuilder()
                .setIdempotencyKey("cas-create").build());
        assertThat(created.status()).isEqualTo(GrpcStatus.OK);
        long r1 = created.value().getRevision();

        Outcome<PutResponse> exists = retried(node, KvServiceGrpcClient.CompareAndSet, create);
        assertThat(exists.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(exists.message()).contains("revision " + r1);
        assertThat(exists.trailer(KvGrpcService.ACTUAL_REVISION)).isEqualTo(String.valueOf(r1));
        assertThat(exists.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("precondition_failed");

        Outcome<PutResponse> swapped = retried(node, KvServiceGrpcClient.CompareAndSet, create.toBuilder()
                .setExpectedRevision(r1).setValue(ByteString.copyFromUtf8("c")).setIdempotencyKey("cas-swap").build());
        assertThat(swapped.status()).isEqualTo(GrpcStatus.OK);
        long r2 = swapped.value().getRevision();

        Outcome<PutResponse> stale = retried(node, KvServiceGrpcClient.CompareAndSet, create.toBuilder()
                .setExpectedRevision(r1).build());
        assertThat(stale.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(stale.trailer(KvGrpcService.ACTUAL_REVISION)).isEqualTo(String.valueOf(r2));

        Outcome<PutResponse> absent = retried(node, KvServiceGrpcClient.CompareAndSet, CompareAndSetRequest.newBuilder()
                .setKey("nothing").setExpectedRevision(5).build());
        assertThat(absent.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(absent.trailer(KvGrpcService.ACTUAL_REVISION)).isEqualTo("0");
        assertThat(text(retried(node, KvServiceGrpcClient.Get, get("lock", Consistency.LINEARIZABLE)).value().getKv()
                .getValue())).isEqualTo("c");
    }

    @Test
    void aRetriedWriteWithTheSameIdempotencyKeyAppliesOnce() throws Exception {
        int leader = leader();
        PutRequest first = put("counter", "1").toBuilder().setIdempotencyKey("req-1").build();
        long revision = retried(aFollower(leader), KvServiceGrpcClient.Put, first).value().getRevision();
        Outcome<PutResponse> retry = retried(leader, KvServiceGrpcClient.Put, first);
        assertThat(retry.value().getRevision()).isEqualTo(revision);
        // Not a retry: another value, or another key, under the same idempotency key.
        for (PutRequest other : List.of(first.toBuilder().setValue(ByteString.copyFromUtf8("2")).build(),
                first.toBuilder().setKey("counter-2").build())) {
            Outcome<PutResponse> refused = call(leader, KvServiceGrpcClient.Put, other, null, 5000);
            assertThat(refused.status()).as("%s %s", refused.status(), refused.message())
                    .isEqualTo(GrpcStatus.FAILED_PRECONDITION);
            assertThat(refused.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("idempotency_key_reused");
        }
        assertThat(retried(leader, KvServiceGrpcClient.Get, get("counter-2", Consistency.LINEARIZABLE)).status())
                .isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(text(retried(leader, KvServiceGrpcClient.Get, get("counter", Consistency.LINEARIZABLE)).value().getKv()
                .getValue())).isEqualTo("1");
        Outcome<DeleteResponse> del = retried(leader, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder().setKey("counter")
                .setIdempotencyKey("req-2").build());
        Outcome<DeleteResponse> delAgain = retried(aFollower(leader), KvServiceGrpcClient.Delete, DeleteRequest.newBuilder()
                .setKey("counter").setIdempotencyKey("req-2").build());
        assertThat(delAgain.value()).isEqualTo(del.value());
        assertThat(delAgain.value().getDeleted()).isEqualTo(1);
    }

    @Test
    void anEmptyIdempotencyKeyIsNoKeyEachWriteIsApplied() throws Exception {
        // proto3 does not send an empty string: the server cannot tell it from an unset field, so it is a write
        // without a key (HTTP refuses an empty Idempotency-Key header, which it can tell from none).
        // Retried on UNAVAILABLE: without a key a retry may apply twice, which nothing below depends on.
        int leader = leader();
        PutRequest first = PutRequest.newBuilder().setKey("empty-idem").setValue(ByteString.copyFromUtf8("1"))
                .setIdempotencyKey("").build();
        Outcome<PutResponse> one = retried(leader, KvServiceGrpcClient.Put, first);
        assertThat(one.status()).as(one.message()).isEqualTo(GrpcStatus.OK);
        Outcome<PutResponse> two = retried(leader, KvServiceGrpcClient.Put, first.toBuilder()
                .setValue(ByteString.copyFromUtf8("2")).build());
        assertThat(two.status()).as(two.message()).isEqualTo(GrpcStatus.OK);
        assertThat(two.value().getRevision()).isGreaterThan(one.value().getRevision());
        assertThat(text(retried(leader, KvServiceGrpcClient.Get, get("empty-idem", Consistency.LINEARIZABLE)).value()
                .getKv().getValue())).isEqualTo("2");
        Outcome<DeleteResponse> del = retried(leader, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder()
                .setKey("empty-idem").setIdempotencyKey("").build());
        assertThat(del.status()).as(del.message()).isEqualTo(GrpcStatus.OK);
        assertThat(retried(leader, KvServiceGrpcClient.Get, get("empty-idem", Consistency.LINEARIZABLE)).status())
                .isEqualTo(GrpcStatus.NOT_FOUND);
    }

    /**
     * An idempotency key beyond ASCII names the same record over HTTP, where it is a header sent in UTF-8, and over
     * gRPC: the retry of a write through the other API is answered with the first revision (HTTP's header was read a
     * byte a character, so it named another record and the retry was applied again). A header that is not UTF-8 is
     * refused.
     */
    @Test
    void aNonAsciiIdempotencyKeyNamesTheSameWriteOverHttpAndGrpc() throws Exception {
        int leader = leader();
        URI node = URI.create(cluster.nodeUrl(leader));
        String key = "ключ-Ω";
        String header = new String(key.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        RawHttp.Answer put = RawHttp.send(node, "PUT /v1/kv/idem-utf8 HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: text/plain\r\nIdempotency-Key: " + header, "v".getBytes(StandardCharsets.UTF_8));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        long revision = new JsonObject(put.body()).getLong("revision");
        Outcome<PutResponse> retry = retried(aFollower(leader), KvServiceGrpcClient.Put, PutRequest.newBuilder()
                .setKey("idem-utf8").setValue(ByteString.copyFromUtf8("v")).setIdempotencyKey(key).build());
        assertThat(retry.status()).as(retry.message()).isEqualTo(GrpcStatus.OK);
        assertThat(retry.value().getRevision()).as("the first write's revision").isEqualTo(revision);

        RawHttp.Answer notUtf8 = RawHttp.send(node, "PUT /v1/kv/idem-latin1 HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: text/plain\r\nIdempotency-Key: caf\u00e9", "v".getBytes(StandardCharsets.UTF_8));
        assertThat(notUtf8.status()).as(notUtf8.body()).isEqualTo(400);
        assertThat(notUtf8.body()).contains("the Idempotency-Key header is not valid UTF-8");
    }

    @Test
    void aWriteReusingTheIdempotencyKeyOfAnotherKindOfWriteIsFailedPreconditionAndChangesNothing() throws Exception {
        int leader = leader();
        PutRequest p = PutRequest.newBuilder().setKey("idem/k").setValue(ByteString.copyFromUtf8("v"))
                .setIdempotencyKey("same-key").build();
        long written = retried(leader, KvServiceGrpcClient.Put, p).value().getRevision();
        // Through a follower: the leader's answer is forwarded.
        DeleteRequest d = DeleteRequest.newBuilder().setKey("idem/k").setIdempotencyKey("same-key").build();
        Outcome<DeleteResponse> refused = call(aFollower(leader), KvServiceGrpcClient.Delete, d, null, 5000);
        assertThat(refused.status()).as("%s %s", refused.status(), refused.message())
                .isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(refused.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("idempotency_key_reused");
        assertThat(refused.message()).contains("'same-key'", "put", "revision " + written);
        Outcome<GetResponse> still = retried(leader, KvServiceGrpcClient.Get, get("idem/k", Consistency.LINEARIZABLE));
        assertThat(still.value().getKv().getModRevision()).isEqualTo(written);

        DeleteRequest del = DeleteRequest.newBuilder().setKey("idem/k").setIdempotencyKey("del-key").build();
        assertThat(retried(leader, KvServiceGrpcClient.Delete, del).value().getDeleted()).isEqualTo(1);
        Outcome<PutResponse> cas = call(leader, KvServiceGrpcClient.CompareAndSet, CompareAndSetRequest.newBuilder()
                .setKey("idem/k").setValue(ByteString.copyFromUtf8("w")).setExpectedRevision(0)
                .setIdempotencyKey("del-key").build(), null, 5000);
        assertThat(cas.status()).as("%s %s", cas.status(), cas.message()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
        assertThat(cas.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("idempotency_key_reused");
        assertThat(retried(leader, KvServiceGrpcClient.Get, get("idem/k", Consistency.LINEARIZABLE)).status())
                .isEqualTo(GrpcStatus.NOT_FOUND);
    }

    @Test
    void invalidInputIsInvalidArgumentAndChangesNothing() throws Exception {
        int node = aFollower(leader());
        List<Outcome<?>> bad = new ArrayList<>();
        bad.add(call(node, KvServiceGrpcClient.Put, put("", "x")));
        bad.add(call(node, KvServiceGrpcClient.Put, put("k".repeat(KvCommand.MAX_KEY_BYTES + 1), "x")));
        bad.add(call(node, KvServiceGrpcClient.Put, put("k", "x").toBuilder()
                .setIdempotencyKey("i".repeat(KvCommand.MAX_IDEMPOTENCY_KEY_BYTES + 1)).build()));
        bad.add(call(node, KvServiceGrpcClient.Put, PutRequest.newBuilder().setKey("big")
                .setValue(ByteString.copyFrom(new byte[1024 * 1024 + 1])).build()));
        bad.add(call(node, KvServiceGrpcClient.Get, get("", Consistency.STALE)));
        bad.add(call(node, KvServiceGrpcClient.Get, GetRequest.newBuilder().setKey("k").setConsistencyValue(7).build()));
        bad.add(call(node, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder().build()));
        bad.add(call(node, KvServiceGrpcClient.Range, RangeRequest.newBuilder().setLimit(KvGrpcService.MAX_LIMIT + 1)
                .build()));
        bad.add(call(node, KvServiceGrpcClient.CompareAndSet, CompareAndSetRequest.newBuilder().setKey("k")
                .setExpectedRevision(-1L).build()));
        for (Outcome<?> o : bad) {
            assertThat(o.status()).as(o.message()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(o.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("bad_request");
            assertThat(o.message()).isNotBlank();
        }
        assertThat(bad.get(3).message()).contains("more than the maximum");
        // Larger than any KV message may be: refused by the gRPC layer before it is read whole.
        Outcome<PutResponse> huge = call(node, KvServiceGrpcClient.Put, PutRequest.newBuilder().setKey("huge")
                .setValue(ByteString.copyFrom(new byte[3 * 1024 * 1024])).build());
        assertThat(huge.status()).as(huge.message()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(call(node, KvServiceGrpcClient.Range, RangeRequest.getDefaultInstance()).value().getKvsCount()).isZero();
    }

    @Test
    void aPrefixLongerThanTheLongestKeyIsInvalidArgumentNamingTheRule() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        // 512 characters, 1,024 bytes: the longest key there can be. The limit counts bytes, not characters.
        String longest = "\u00e9".repeat(KvCommand.MAX_KEY_BYTES / 2);
        assertThat(retried(leader, KvServiceGrpcClient.Put, PutRequest.newBuilder().setKey(longest)
                .setValue(ByteString.copyFromUtf8("v")).setIdempotencyKey("put-longest").build()).status())
                .isEqualTo(GrpcStatus.OK);
        Outcome<RangeResponse> fits = retried(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder()
                .setPrefix(longest).build());
        assertThat(fits.value().getKvsList()).extracting(io.raftline.proto.kv.KeyValue::getKey).containsExactly(longest);
        // One byte more can match no key: it was answered OK with nothing, hiding the client's mistake.
        String expected = "prefix is " + (KvCommand.MAX_KEY_BYTES + 1) + " bytes in UTF-8, more than the longest key ("
                + KvCommand.MAX_KEY_BYTES + " bytes): it can match no key";
        Outcome<RangeResponse> range = call(follower, KvServiceGrpcClient.Range, RangeRequest.newBuilder()
                .setPrefix(longest + "x").build());
        assertThat(range.status()).as(range.message()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(range.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("bad_request");
        assertThat(range.message()).isEqualTo(expected);
        // A watch of it would never see a change.
        Outcome<io.raftline.proto.kv.WatchResponse> watch = call(follower, KvServiceGrpcClient.Watch,
                io.raftline.proto.kv.WatchRequest.newBuilder().setPrefix(longest + "x").build());
        assertThat(watch.status()).as(watch.message()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(watch.message()).isEqualTo(expected);
    }

    @Test
    void aTransactionRunsOneBranchAtomicallyThroughAFollower() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        long r1 = retried(leader, KvServiceGrpcClient.Put, put("lock", "free")).value().getRevision();
        io.raftline.proto.kv.TxnRequest take = io.raftline.proto.kv.TxnRequest.newBuilder()
                .addCompare(io.raftline.proto.kv.Compare.newBuilder().setKey("lock")
                        .setTarget(io.raftline.proto.kv.Compare.Target.VALUE)
                        .setOp(io.raftline.proto.kv.Compare.Op.EQUAL).setValue(ByteString.copyFromUtf8("free")))
                .addCompare(io.raftline.proto.kv.Compare.newBuilder().setKey("lock")
                        .setTarget(io.raftline.proto.kv.Compare.Target.MOD_REVISION)
                        .setOp(io.raftline.proto.kv.Compare.Op.EQUAL).setNumber(r1))
                .addSuccess(io.raftline.proto.kv.TxnOp.newBuilder().setPut(put("lock", "taken").toBuilder()
                        .clearIdempotencyKey()))
                .addSuccess(io.raftline.proto.kv.TxnOp.newBuilder().setGet(GetRequest.newBuilder().setKey("lock")))
                .addFailure(io.raftline.proto.kv.TxnOp.newBuilder().setGet(GetRequest.newBuilder().setKey("lock")))
                .build();
        Outcome<io.raftline.proto.kv.TxnResponse> first = retried(follower, KvServiceGrpcClient.Txn, take);
        assertThat(first.status()).as(first.message()).isEqualTo(GrpcStatus.OK);
        assertThat(first.value().getSucceeded()).isTrue();
        assertThat(first.value().getResults(0).getPut().getRevision()).isEqualTo(first.value().getRevision());
        assertThat(first.value().getResults(1).getGet().getKv().getValue().toStringUtf8()).isEqualTo("taken");
        Outcome<io.raftline.proto.kv.TxnResponse> second = call(follower, KvServiceGrpcClient.Txn, take);
        assertThat(second.value().getSucceeded()).isFalse();
        assertThat(second.value().getResultsCount()).isEqualTo(1);
        assertThat(second.value().getResults(0).getGet().getKv().getModRevision())
                .isEqualTo(first.value().getRevision());
        Outcome<io.raftline.proto.kv.TxnResponse> bad = call(follower, KvServiceGrpcClient.Txn,
                io.raftline.proto.kv.TxnRequest.newBuilder().addSuccess(io.raftline.proto.kv.TxnOp.newBuilder())
                        .build());
        assertThat(bad.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(bad.message()).contains("success[0]: no operation set");
    }

    @Test
    void aTransactionFieldWithNoMeaningThereIsRefusedNotIgnored() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        long r1 = retried(leader, KvServiceGrpcClient.Put, put("keep", "v")).value().getRevision();
        io.raftline.proto.kv.TxnOp conditionalDelete = io.raftline.proto.kv.TxnOp.newBuilder().setDelete(
                DeleteRequest.newBuilder().setKey("keep").setExpectedRevision(r1 + 1000)).build();
        io.raftline.proto.kv.TxnOp idempotentPut = io.raftline.proto.kv.TxnOp.newBuilder().setPut(
                put("keep", "w").toBuilder().setIdempotencyKey("once")).build();
        io.raftline.proto.kv.Compare revisionWithValue = io.raftline.proto.kv.Compare.newBuilder().setKey("keep")
                .setTarget(io.raftline.proto.kv.Compare.Target.MOD_REVISION).setNumber(r1)
                .setValue(ByteString.copyFromUtf8("v")).build();
        io.raftline.proto.kv.Compare valueWithNumber = io.raftline.proto.kv.Compare.newBuilder().setKey("keep")
                .setTarget(io.raftline.proto.kv.Compare.Target.VALUE).setValue(ByteString.copyFromUtf8("v"))
                .setNumber(r1).build();
        Map<String, io.raftline.proto.kv.TxnRequest> bad = Map.of(
                "success[0]: delete.expected_revision", io.raftline.proto.kv.TxnRequest.newBuilder()
                        .addSuccess(conditionalDelete).build(),
                "failure[0]: put.idempotency_key", io.raftline.proto.kv.TxnRequest.newBuilder()
                        .addFailure(idempotentPut).build(),
                "compare[0]: a MOD_REVISION comparison has no value operand", io.raftline.proto.kv.TxnRequest
                        .newBuilder().addCompare(revisionWithValue).build(),
                "compare[0]: a value comparison has no number operand", io.raftline.proto.kv.TxnRequest.newBuilder()
                        .addCompare(valueWithNumber).build(),
                "compare[0]: number out of range: 18446744073709551615", io.raftline.proto.kv.TxnRequest.newBuilder()
                        .addCompare(revisionWithValue.toBuilder().clearValue().setNumber(-1L)).build());
        for (Map.Entry<String, io.raftline.proto.kv.TxnRequest> e : bad.entrySet()) {
            Outcome<io.raftline.proto.kv.TxnResponse> o = call(follower, KvServiceGrpcClient.Txn, e.getValue());
            assertThat(o.status()).as(e.getKey() + ": " + o.message()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(o.message()).startsWith(e.getKey());
        }
        // The delete the client meant as conditional (on a revision the key does not have) deleted nothing.
        Outcome<GetResponse> kept = call(leader, KvServiceGrpcClient.Get, get("keep", Consistency.LINEARIZABLE));
        assertThat(kept.status()).as(kept.message()).isEqualTo(GrpcStatus.OK);
        assertThat(kept.value().getKv().getModRevision()).isEqualTo(r1);
    }

    /**
     * Opens a Watch whose events go to {@code into}. The Vert.x gRPC client drops a message that arrives before its
     * response has a handler, and a watch that replays history answers at once (the head and the first events in one
     * read): the handler is attached in the response's callback, on the context the call is made from, so that it
     * runs as the head arrives. Asked from this thread, that callback could run after the first events (the race
     * AdminHttp describes), and the replay was lost once under load in a full run.
     */
    private void watch(int node, io.raftline.proto.kv.WatchRequest request,
            List<io.raftline.proto.kv.WatchEvent> into) throws InterruptedException {
        await(io.raftline.transport.OnContext.call(asking, () -> client.request(address(node),
                KvServiceGrpcClient.Watch).compose(req -> {
                    Future<?> ready = req.response().map(resp -> resp.handler(batch -> into.addAll(
                            batch.getEventsList())));
                    req.end(request);
                    return ready;
                })));
    }

    /**
     * A Watch's first response names where it starts (before any change), and every response where the stream is:
     * resuming from that cursor after a break gets the change made in between, as the HTTP watch's ids do.
     */
    @Test
    void aWatchNamesItsStartInItsFirstResponseAndResumesFromACursorWithoutAGap() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        long before = retried(leader, KvServiceGrpcClient.Put, put("elsewhere", "0")).value().getRevision();
        List<io.raftline.proto.kv.WatchResponse> first = new java.util.concurrent.CopyOnWriteArrayList<>();
        await(io.raftline.transport.OnContext.call(asking, () -> client.request(address(leader),
                KvServiceGrpcClient.Watch).compose(req -> {
                    Future<?> ready = req.response().map(resp -> resp.handler(first::add));
                    req.end(io.raftline.proto.kv.WatchRequest.newBuilder().setPrefix("gap/").build());
                    return ready;
                })));
        eventually("the first response", () -> !first.isEmpty());
        assertThat(first.get(0).getEventsList()).isEmpty();
        String start = first.get(0).getCursor();
        assertThat(Long.parseLong(start)).as("the revision before the start").isGreaterThanOrEqualTo(before);
        // The client's stream breaks here, before any change under gap/; a change is made while it is away.
        long missed = retried(leader, KvServiceGrpcClient.Put, put("gap/x", "1")).value().getRevision();
        List<io.raftline.proto.kv.WatchEvent> resumed = new java.util.concurrent.CopyOnWriteArrayList<>();
        watch(follower, io.raftline.proto.kv.WatchRequest.newBuilder().setPrefix("gap/").setCursor(start).build(),
                resumed);
        eventually("the resumed stream has the change made during the break", () -> !resumed.isEmpty());
        assertThat(resumed.get(0).getRevision()).isEqualTo(missed);
        eventually("the first stream's cursor moved past it", () -> first.get(first.size() - 1).getCursor()
                .equals(missed + ":0"));
        Outcome<io.raftline.proto.kv.WatchResponse> both = call(follower, KvServiceGrpcClient.Watch,
                io.raftline.proto.kv.WatchRequest.newBuilder().setCursor(start).setFromRevision(1).build());
        assertThat(both.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    }

    @Test
    void watchStreamsChangesFromAFollowerAndResumesAfterAPosition() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        long first = retried(leader, KvServiceGrpcClient.Put, put("watch/a", "1")).value().getRevision();
        List<io.raftline.proto.kv.WatchEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        watch(follower, io.raftline.proto.kv.WatchRequest.newBuilder().setPrefix("watch/").setFromRevision(first)
                .build(), events);
        retried(leader, KvServiceGrpcClient.Put, put("elsewhere", "x"));
        long second = retried(leader, KvServiceGrpcClient.Delete, DeleteRequest.newBuilder().setKey("watch/a").build())
                .value().getRevision();
        eventually("two events", () -> events.size() >= 2);
        assertThat(events.get(0).getType()).isEqualTo(io.raftline.proto.kv.WatchEvent.Type.PUT);
        assertThat(events.get(0).getKv().getValue().toStringUtf8()).isEqualTo("1");
        assertThat(events.get(0).getRevision()).isEqualTo(first);
        assertThat(events.get(1).getType()).isEqualTo(io.raftline.proto.kv.WatchEvent.Type.DELETE);
        assertThat(events.get(1).getRevision()).isEqualTo(second);
        // Resuming after the first event gives the second only.
        List<io.raftline.proto.kv.WatchEvent> resumed = new java.util.concurrent.CopyOnWriteArrayList<>();
        watch(leader, io.raftline.proto.kv.WatchRequest.newBuilder().setPrefix("watch/").setFromRevision(first)
                .setSkip(events.get(0).getPosition() + 1).build(), resumed);
        eventually("the resumed stream has the delete", () -> !resumed.isEmpty());
        assertThat(resumed).extracting(io.raftline.proto.kv.WatchEvent::getRevision).containsExactly(second);
    }

    @Test
    void aFollowerAnswersUnavailableWithTheLeaderHintAndAddressWhenItCannotForward() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        // A request another node forwarded to this follower (as if it believed the follower led) is never
        // forwarded again: the follower names the leader instead.
        Buffer answer = await(web.postAbs(cluster.nodeUrl(follower) + HttpLeaderLink.PATH)
                .sendBuffer(ForwardCodec.write(new KvCommand.Put("k", "v".getBytes(StandardCharsets.UTF_8))))).body();
        assertThatThrownBy(() -> ForwardCodec.decodeResponse(answer, KvResult.class))
                .isInstanceOfSatisfying(NodeRequestException.class, e -> {
                    assertThat(e.reason()).isEqualTo(NodeRequestException.Reason.NOT_LEADER);
                    assertThat(e.leaderHint()).isEqualTo(leader);
                });
        // A gRPC call to the follower is forwarded and served by the leader, which the header says.
        Outcome<PutResponse> o = call(follower, KvServiceGrpcClient.Put, put("k", "v"), null, 0);
        assertThat(o.status()).isEqualTo(GrpcStatus.OK);
        assertThat(o.headers().get(KvGrpcService.SERVED_BY)).isEqualTo(String.valueOf(leader));
        // A stale read is served by the follower itself.
        eventually("the follower applied the write", () -> call(follower,
                KvServiceGrpcClient.Get, get("k", Consistency.STALE), null, 0).status() == GrpcStatus.OK);
        Outcome<GetResponse> stale = call(follower, KvServiceGrpcClient.Get, get("k", Consistency.STALE), null, 0);
        assertThat(stale.headers().get(KvGrpcService.SERVED_BY)).isEqualTo(String.valueOf(follower));
    }

    @Test
    void aPartitionedMinorityAnswersUnavailableOrDeadlineExceededAndServesOnlyStaleReads() throws Exception {
        int old = leader();
        List<Integer> majority = new ArrayList<>(List.of(1, 2, 3));
        majority.remove(Integer.valueOf(old));
        assertThat(await(web.requestAbs(HttpMethod.PUT, cluster.adminUrl() + "/v1/admin/network")
                .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(new JsonObject().put("partitions", new JsonArray()
                        .add(new JsonArray().add(old)).add(new JsonArray(majority))).encode()))).statusCode())
                .isEqualTo(200);

        // Proposed on the isolated leader before it notices: it cannot commit, and the call's deadline passes.
        Outcome<PutResponse> late = call(old, KvServiceGrpcClient.Put, put("doomed", "x"), null, 100);
        assertThat(late.status()).as(late.message()).isIn(GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.UNAVAILABLE);

        eventually("a new leader in the majority", () -> {
            int l = leader();
            return l != 0 && l != old;
        });
        int next = leader();
        assertThat(retried(majority.get(0), KvServiceGrpcClient.Put, put("majority", "y")).status())
                .isEqualTo(GrpcStatus.OK);
        eventually("old leader steps down", () -> !clusterState().getJsonArray("nodes")
                .getJsonObject(old - 1).getString("role").equals("Leader"));

        Outcome<PutResponse> write = call(old, KvServiceGrpcClient.Put, put("minority", "x"));
        assertThat(write.status()).as(write.message()).isIn(GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED);
        if (write.status() == GrpcStatus.UNAVAILABLE) {
            assertThat(write.trailer(KvGrpcService.LEADER_HINT)).isNotNull();
            assertThat(write.message()).contains("leader hint");
        }
        Outcome<GetResponse> read = call(old, KvServiceGrpcClient.Get, get("majority", Consistency.LINEARIZABLE));
        assertThat(read.status()).isIn(GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED);
        assertThat(call(old, KvServiceGrpcClient.Get, get("majority", Consistency.STALE)).status())
                .isEqualTo(GrpcStatus.NOT_FOUND);
        assertThat(next).isIn(majority.toArray());

        await(web.requestAbs(HttpMethod.DELETE, cluster.adminUrl() + "/v1/admin/network").send());
        eventually("the old leader catches up", () -> call(old, KvServiceGrpcClient.Get,
                get("majority", Consistency.STALE)).status() == GrpcStatus.OK);
    }

    @Test
    void aCrashedNodeAnswersUnavailable() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        await(web.postAbs(cluster.adminUrl() + "/v1/admin/nodes/" + follower + "/crash").send());
        Outcome<GetResponse> o = call(follower, KvServiceGrpcClient.Get, get("x", Consistency.STALE));
        assertThat(o.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
        assertThat(o.trailer(KvGrpcService.ERROR_CODE)).isEqualTo("node_down");
        assertThat(o.trailer(KvGrpcService.LEADER_HINT)).isNotNull();
    }
}
