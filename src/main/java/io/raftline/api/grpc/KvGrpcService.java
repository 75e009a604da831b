package io.raftline.api.grpc;

import com.google.protobuf.ByteString;
import io.raftline.api.http.PeerDirectory;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.node.KvView;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.proto.kv.CompareAndSetRequest;
import io.raftline.proto.kv.Consistency;
import io.raftline.proto.kv.DeleteRequest;
import io.raftline.proto.kv.DeleteResponse;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.GetResponse;
import io.raftline.proto.kv.KeyValue;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.KvServiceGrpcService;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.kv.PutResponse;
import io.raftline.proto.kv.RangeRequest;
import io.raftline.proto.kv.RangeResponse;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code kv.proto}'s KvService on one node's client port, next to its HTTP API and with the same semantics:
 * Put, Get (LINEARIZABLE, LEASE or STALE), Delete, Range by prefix and CompareAndSet, each with an optional
 * idempotency key.
 *
 * <h2>Followers forward</h2>
 * Like the HTTP API, a follower forwards writes and linearizable or lease reads to the leader it knows, as a
 * gRPC call marked with {@value #FORWARDED_BY}, and relays the leader's answer (status, message and
 * {@code raft-*} trailers included); stale reads are served by whichever node is asked. A forwarded call is
 * never forwarded again: a node that is not the leader answers it UNAVAILABLE with its leader hint.
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>NOT_FOUND: Get of a missing key.</li>
 *   <li>FAILED_PRECONDITION: CompareAndSet whose expected revision is not the key's; the message names the
 *       actual revision, also in the trailer {@value #ACTUAL_REVISION} (0 = the key does not exist).</li>
 *   <li>INVALID_ARGUMENT: empty or oversized key, value or idempotency key, unknown consistency, bad limit.</li>
 *   <li>UNAVAILABLE: no leader, leader unreachable, node down or paused, leadership lost, proposal dropped;
 *       the message carries the leader hint, and so do the trailers {@value #LEADER_HINT} (0 = none known) and,
 *       when known, {@value #LEADER_ADDRESS} ({@code host:port} of the leader's client port).</li>
 *   <li>RESOURCE_EXHAUSTED: too many pending proposals (back off and retry).</li>
 *   <li>DEADLINE_EXCEEDED: no outcome within the node's request timeout or the call's deadline; a write may
 *       still be applied later (retry with the same idempotency key).</li>
 * </ul>
 * Every error also carries the trailer {@value #ERROR_CODE} with the same code as the HTTP API's
 * {@code "error"} field.
 */
public final class KvGrpcService {

    /** Trailer: the leader this node knows of (0 = none). */
    public static final String LEADER_HINT = "raft-leader-hint";
    /** Trailer: {@code host:port} of the leader's client port, when known. */
    public static final String LEADER_ADDRESS = "raft-leader-address";
    /** Trailer: the machine-readable error code (as the HTTP API's {@code "error"}). */
    public static final String ERROR_CODE = "raft-error";
    /** Trailer of a failed CompareAndSet: the key's actual revision (0 = absent). */
    public static final String ACTUAL_REVISION = "raft-actual-revision";
    /** Request header a forwarding node adds, with its id. */
    public static final String FORWARDED_BY = "raft-forwarded-by";
    /** Response header: the node that served the call. */
    public static final String SERVED_BY = "raft-served-by";

    /** Default {@code limit} of Range. */
    public static final int DEFAULT_LIMIT = 100;
    /** Largest {@code limit} of Range. */
    public static final int MAX_LIMIT = 10_000;

    private final RaftNode node;
    private final GrpcClient forwardClient;
    private final PeerDirectory peers;
    private final long forwardTimeoutMs;
    private final long maxValueBytes;

    /**
     * Creates the service of one node.
     *
     * @param node             the node
     * @param forwardClient    gRPC client for forwarding to the leader (owned and closed by the caller)
     * @param peers            where each node's client port is
     * @param forwardTimeoutMs deadline of a forwarded call
     * @param maxValueBytes    largest value accepted
     */
    public KvGrpcService(RaftNode node, GrpcClient forwardClient, PeerDirectory peers, long forwardTimeoutMs,
            long maxValueBytes) {
        this.node = node;
        this.forwardClient = forwardClient;
        this.peers = peers;
        this.forwardTimeoutMs = forwardTimeoutMs;
        this.maxValueBytes = Math.min(maxValueBytes, KvCommand.MAX_VALUE_BYTES);
    }

    /**
     * Binds the five methods to a gRPC server.
     *
     * @param server the server of this node's client port
     * @return the server
     */
    public GrpcServer bind(GrpcServer server) {
        server.callHandler(KvServiceGrpcService.Put, call -> call.handler(msg -> put(call, msg)));
        server.callHandler(KvServiceGrpcService.CompareAndSet, call -> call.handler(msg -> compareAndSet(call, msg)));
        server.callHandler(KvServiceGrpcService.Delete, call -> call.handler(msg -> delete(call, msg)));
        server.callHandler(KvServiceGrpcService.Get, call -> call.handler(msg -> get(call, msg)));
        server.callHandler(KvServiceGrpcService.Range, call -> call.handler(msg -> range(call, msg)));
        return server;
    }

    // ---------------------------------------------------------------- methods

    private void put(GrpcServerRequest<PutRequest, PutResponse> call, PutRequest msg) {
        KvCommand command;
        try {
            command = new KvCommand.Put(msg.getKey(), value(msg.getValue()), KvCommand.UNCONDITIONAL,
                    idempotencyKey(msg.getIdempotencyKey()));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        write(call, msg, KvServiceGrpcClient.Put, command,
                r -> PutResponse.newBuilder().setRevision(r.revision()).build());
    }

    private void compareAndSet(GrpcServerRequest<CompareAndSetRequest, PutResponse> call, CompareAndSetRequest msg) {
        KvCommand command;
        try {
            if (msg.getExpectedRevision() < 0) {
                throw new IllegalArgumentException("expected_revision out of range: "
                        + Long.toUnsignedString(msg.getExpectedRevision()));
            }
            command = new KvCommand.Put(msg.getKey(), value(msg.getValue()), msg.getExpectedRevision(),
                    idempotencyKey(msg.getIdempotencyKey()));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        write(call, msg, KvServiceGrpcClient.CompareAndSet, command,
                r -> PutResponse.newBuilder().setRevision(r.revision()).build());
    }

    private void delete(GrpcServerRequest<DeleteRequest, DeleteResponse> call, DeleteRequest msg) {
        KvCommand command;
        try {
            command = new KvCommand.Delete(msg.getKey(), idempotencyKey(msg.getIdempotencyKey()));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        write(call, msg, KvServiceGrpcClient.Delete, command, r -> {
            KvResult.Deleted d = (KvResult.Deleted) r;
            return DeleteResponse.newBuilder().setDeleted(d.deleted()).setRevision(d.revision()).build();
        });
    }

    private void get(GrpcServerRequest<GetRequest, GetResponse> call, GetRequest msg) {
        ReadConsistency consistency;
        try {
            KvCommand.validateKey(msg.getKey());
            consistency = consistency(msg.getConsistency());
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        read(call, msg, KvServiceGrpcClient.Get, consistency, view -> {
            Optional<KvEntry> e = view.get(msg.getKey());
            if (e.isEmpty()) {
                fail(call, GrpcStatus.NOT_FOUND, "not_found", "no such key: " + msg.getKey(), null);
                return;
            }
            succeed(call, GetResponse.newBuilder().setKv(keyValue(e.get())).build());
        });
    }

    private void range(GrpcServerRequest<RangeRequest, RangeResponse> call, RangeRequest msg) {
        ReadConsistency consistency;
        int limit;
        try {
            consistency = consistency(msg.getConsistency());
            limit = msg.getLimit() == 0 ? DEFAULT_LIMIT : msg.getLimit();
            if (limit < 0 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be in 1.." + MAX_LIMIT + " (0 = " + DEFAULT_LIMIT
                        + "), got " + Integer.toUnsignedString(msg.getLimit()));
            }
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        int max = limit;
        read(call, msg, KvServiceGrpcClient.Range, consistency, view -> {
            RangeResponse.Builder out = RangeResponse.newBuilder();
            List<KvEntry> entries = view.range(msg.getPrefix(), max);
            for (KvEntry e : entries) {
                out.addKvs(keyValue(e));
            }
            succeed(call, out.build());
        });
    }

    // ---------------------------------------------------------------- plumbing

    private <Req, Resp> void write(GrpcServerRequest<Req, Resp> call, Req msg, ServiceMethod<Resp, Req> method,
            KvCommand command, Function<KvResult, Resp> ok) {
        if (forwardToLeader(call, msg, method)) {
            return;
        }
        node.propose(command).onComplete(ar -> {
            if (ar.failed()) {
                onNodeFailure(call, msg, method, ar.cause());
                return;
            }
            KvResult r = ar.result();
            if (r instanceof KvResult.PreconditionFailed p) {
                long expected = ((KvCommand.Put) command).expectedRevision();
                MultiMap extra = MultiMap.caseInsensitiveMultiMap()
                        .set(ACTUAL_REVISION, String.valueOf(p.actualRevision()));
                fail(call, GrpcStatus.FAILED_PRECONDITION, "precondition_failed", "key '" + command.key()
                        + "' is at revision " + p.actualRevision() + (p.actualRevision() == 0 ? " (absent)" : "")
                        + ", not the expected " + expected, extra);
            } else if (r instanceof KvResult.Rejected rej) {
                fail(call, GrpcStatus.INTERNAL, "rejected", rej.reason(), null);
            } else {
                succeed(call, ok.apply(r));
            }
        });
    }

    private <Req, Resp> void read(GrpcServerRequest<Req, Resp> call, Req msg, ServiceMethod<Resp, Req> method,
            ReadConsistency consistency, java.util.function.Consumer<KvView> serve) {
        if (consistency != ReadConsistency.STALE && forwardToLeader(call, msg, method)) {
            return;
        }
        node.read(consistency).onComplete(ar -> {
            if (ar.failed()) {
                onNodeFailure(call, msg, method, ar.cause());
            } else {
                serve.accept(ar.result());
            }
        });
    }

    /** Forwards to the leader when this node knows another node leads; returns true if it did. */
    private <Req, Resp> boolean forwardToLeader(GrpcServerRequest<Req, Resp> call, Req msg,
            ServiceMethod<Resp, Req> method) {
        int leader = node.knownLeader();
        if (leader == node.id() || leader == 0 || wasForwarded(call) || forwardClient == null) {
            // Serve here: the node answers with the precise reason if it cannot (no leader, paused, down).
            return false;
        }
        forward(call, msg, method, leader);
        return true;
    }

    private <Req, Resp> void onNodeFailure(GrpcServerRequest<Req, Resp> call, Req msg,
            ServiceMethod<Resp, Req> method, Throwable t) {
        if (t instanceof NodeRequestException e && e.reason() == NodeRequestException.Reason.NOT_LEADER
                && e.leaderHint() > 0 && e.leaderHint() != node.id() && !wasForwarded(call)
                && forwardClient != null) {
            forward(call, msg, method, e.leaderHint());
            return;
        }
        if (t instanceof NodeRequestException e) {
            nodeFailure(call, e);
        } else {
            fail(call, GrpcStatus.INTERNAL, "internal", String.valueOf(t.getMessage()), null);
        }
    }

    private static boolean wasForwarded(GrpcServerRequest<?, ?> call) {
        return call.headers().get(FORWARDED_BY) != null;
    }

    private <Req, Resp> void forward(GrpcServerRequest<Req, Resp> call, Req msg, ServiceMethod<Resp, Req> method,
            int leader) {
        Optional<PeerDirectory.Address> address = peers.httpAddress(leader).filter(a -> a.port() > 0);
        if (address.isEmpty()) {
            unavailable(call, "no_leader", "the leader (node " + leader + ") has no known address", leader);
            return;
        }
        long incoming = call.timeout();
        long deadline = incoming > 0 ? Math.min(incoming, forwardTimeoutMs) : forwardTimeoutMs;
        forwardClient.request(SocketAddress.inetSocketAddress(address.get().port(), address.get().host()), method)
                .compose(out -> {
                    out.headers().set(FORWARDED_BY, String.valueOf(node.id()));
                    out.timeout(deadline, TimeUnit.MILLISECONDS);
                    return out.send(msg);
                })
                .compose(resp -> resp.last().transform(ar -> Future.succeededFuture(
                        new Relayed<>(resp, ar.succeeded() ? ar.result() : null))))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        relay(call, ar.result(), leader);
                        return;
                    }
                    String text = String.valueOf(ar.cause().getMessage()).toLowerCase(Locale.ROOT);
                    if (text.contains("timeout") || text.contains("timed out") || text.contains("deadline")) {
                        fail(call, GrpcStatus.DEADLINE_EXCEEDED, "timeout", "the leader (node " + leader
                                + ") did not answer within " + deadline + " ms", leaderTrailers(leader));
                    } else {
                        unavailable(call, "leader_unreachable", "cannot reach the leader (node " + leader + "): "
                                + ar.cause().getMessage(), leader);
                    }
                });
    }

    private <Req, Resp> void relay(GrpcServerRequest<Req, Resp> call, Relayed<Req, Resp> r, int leader) {
        GrpcServerResponse<Req, Resp> out = call.response();
        String servedBy = r.response.headers().get(SERVED_BY);
        try {
            out.headers().set(SERVED_BY, servedBy != null ? servedBy : String.valueOf(leader));
            if (r.response.status() == GrpcStatus.OK && r.result != null) {
                out.end(r.result);
                return;
            }
        } catch (IllegalStateException e) {
            // Already answered: the call's deadline passed or it was cancelled.
            return;
        }
        MultiMap extra = MultiMap.caseInsensitiveMultiMap();
        for (MultiMap source : new MultiMap[] {r.response.headers(), r.response.trailers()}) {
            if (source == null) {
                continue;
            }
            for (var h : source) {
                if (h.getKey().toLowerCase(Locale.ROOT).startsWith("raft-") && !h.getKey().equalsIgnoreCase(SERVED_BY)) {
                    extra.set(h.getKey(), h.getValue());
                }
            }
        }
        GrpcStatus status = r.response.status() == null ? GrpcStatus.UNKNOWN : r.response.status();
        String message = r.response.statusMessage() == null ? "" : r.response.statusMessage();
        sendError(out, status, message, extra);
    }

    private void nodeFailure(GrpcServerRequest<?, ?> call, NodeRequestException e) {
        switch (e.reason()) {
            case TIMEOUT -> fail(call, GrpcStatus.DEADLINE_EXCEEDED, e.reason().code(), e.getMessage(),
                    leaderTrailers(e.leaderHint()));
            case OVERLOADED -> fail(call, GrpcStatus.RESOURCE_EXHAUSTED, e.reason().code(), e.getMessage(),
                    leaderTrailers(e.leaderHint()));
            default -> unavailable(call, e.reason().code(), e.getMessage(),
                    e.leaderHint() > 0 ? e.leaderHint() : otherLeader());
        }
    }

    /** The leader this node believes in, unless it is itself (then it is not a useful hint). */
    private int otherLeader() {
        int leader = node.knownLeader();
        return leader == node.id() ? 0 : leader;
    }

    private void unavailable(GrpcServerRequest<?, ?> call, String code, String message, int leader) {
        MultiMap trailers = leaderTrailers(leader);
        String where = trailers.get(LEADER_ADDRESS);
        String hint = leader > 0 ? " (leader hint: node " + leader + (where == null ? "" : " at " + where) + ")"
                : " (leader hint: none known)";
        fail(call, GrpcStatus.UNAVAILABLE, code, message + hint, trailers);
    }

    private MultiMap leaderTrailers(int leader) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap().set(LEADER_HINT, String.valueOf(Math.max(leader, 0)));
        if (leader > 0) {
            peers.httpAddress(leader).filter(a -> a.port() > 0)
                    .ifPresent(a -> m.set(LEADER_ADDRESS, a.host() + ":" + a.port()));
        }
        return m;
    }

    private void invalid(GrpcServerRequest<?, ?> call, String message) {
        fail(call, GrpcStatus.INVALID_ARGUMENT, "bad_request", message, null);
    }

    private <Resp> void succeed(GrpcServerRequest<?, Resp> call, Resp response) {
        GrpcServerResponse<?, Resp> out = call.response();
        try {
            out.headers().set(SERVED_BY, String.valueOf(node.id()));
            out.end(response);
        } catch (IllegalStateException e) {
            // The call was cancelled or its deadline passed: the client is gone.
        }
    }

    private void fail(GrpcServerRequest<?, ?> call, GrpcStatus status, String code, String message, MultiMap extra) {
        MultiMap trailers = MultiMap.caseInsensitiveMultiMap().set(ERROR_CODE, code);
        if (extra != null) {
            trailers.addAll(extra);
        }
        try {
            call.response().headers().set(SERVED_BY, String.valueOf(node.id()));
        } catch (IllegalStateException e) {
            // Already answered: the call's deadline passed (DEADLINE_EXCEEDED went out) or it was cancelled.
            return;
        }
        sendError(call.response(), status, message, trailers);
    }

    private static void sendError(GrpcServerResponse<?, ?> out, GrpcStatus status, String message, MultiMap trailers) {
        try {
            out.status(status).statusMessage(message);
            out.trailers().addAll(trailers);
            out.end();
        } catch (IllegalStateException e) {
            // The call was cancelled or its deadline passed: the client is gone.
        }
    }

    private byte[] value(ByteString v) {
        if (v.size() > maxValueBytes) {
            throw new IllegalArgumentException("value is " + v.size() + " bytes, more than the maximum " + maxValueBytes);
        }
        return v.toByteArray();
    }

    private static String idempotencyKey(String k) {
        return k.isEmpty() ? null : k;
    }

    private static ReadConsistency consistency(Consistency c) {
        return switch (c) {
            case LINEARIZABLE -> ReadConsistency.LINEARIZABLE;
            case LEASE -> ReadConsistency.LEASE;
            case STALE -> ReadConsistency.STALE;
            default -> throw new IllegalArgumentException("unknown consistency " + c);
        };
    }

    private static KeyValue keyValue(KvEntry e) {
        return KeyValue.newBuilder().setKey(e.key()).setValue(ByteString.copyFrom(e.value()))
                .setCreateRevision(e.createRevision()).setModRevision(e.modRevision()).setVersion(e.version()).build();
    }

    private record Relayed<Req, Resp>(GrpcClientResponse<Req, Resp> response, Resp result) {
    }
}
