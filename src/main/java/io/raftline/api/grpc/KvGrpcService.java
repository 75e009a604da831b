package io.raftline.api.grpc;

import com.google.protobuf.ByteString;
import io.raftline.api.AnswerBudget;
import io.raftline.api.ContextWatchSink;
import io.raftline.api.WatchBudget;
import io.raftline.api.WatchCursor;
import io.raftline.api.WatchPacer;
import io.raftline.api.KvRequests;
import io.raftline.api.RangeResult;
import io.raftline.api.http.KvApi;
import io.raftline.api.http.PeerDirectory;
import io.raftline.api.http.WatchApi;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.TxnCompare;
import io.raftline.kv.TxnOp;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.node.WatchCompactedException;
import io.raftline.node.WatchPosition;
import io.raftline.proto.kv.CompareAndSetRequest;
import io.raftline.proto.kv.Consistency;
import io.raftline.proto.kv.DeleteRequest;
import io.raftline.proto.kv.DeleteResponse;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.GetResponse;
import io.raftline.proto.kv.KeyValue;
import io.raftline.proto.kv.KvServiceGrpcService;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.kv.PutResponse;
import io.raftline.proto.kv.RangeRequest;
import io.raftline.proto.kv.RangeResponse;
import io.raftline.proto.kv.TxnOpResult;
import io.raftline.proto.kv.TxnRequest;
import io.raftline.proto.kv.TxnResponse;
import io.raftline.proto.kv.WatchEvent;
import io.raftline.proto.kv.WatchRequest;
import io.raftline.proto.kv.WatchResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.raftline.transport.grpc.OneMessageCall;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * {@code kv.proto}'s KvService on one node's client port, next to its HTTP API and with the same semantics:
 * Put, Get (LINEARIZABLE, LEASE or STALE), Delete (optionally compare-and-delete), Range by prefix with a cursor,
 * CompareAndSet, each write with an optional idempotency key, and Txn (comparisons, then one branch of puts, deletes
 * and gets, atomically).
 *
 * <h2>Followers forward</h2>
 * Like the HTTP API, and through the same {@link KvRequests} layer, a follower forwards writes and
 * linearizable or lease reads to the leader it knows and answers with the leader's result, error code and
 * leader hint; stale reads are served by whichever node is asked. The {@value #SERVED_BY} header names the
 * node that served the call.
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>NOT_FOUND: Get of a missing key.</li>
 *   <li>FAILED_PRECONDITION: CompareAndSet whose expected revision is not the key's; the message names the
 *       actual revision, also in the trailer {@value #ACTUAL_REVISION} (0 = the key does not exist).</li>
 *   <li>INVALID_ARGUMENT: empty or oversized key, value or idempotency key, a prefix longer than any key, unknown
 *       consistency, bad limit.</li>
 *   <li>UNAVAILABLE: no leader, leader unreachable, node down or paused, leadership lost, proposal dropped;
 *       the message carries the leader hint, and so do the trailers {@value #LEADER_HINT} (0 = none known) and,
 *       when known, {@value #LEADER_ADDRESS} ({@code host:port} of the leader's client port).</li>
 *   <li>RESOURCE_EXHAUSTED: too many pending proposals (back off and retry); a Watch beyond the node's
 *       {@value #MAX_WATCHES} open ones ({@code overloaded}), or one whose client read more than
 *       {@value #MAX_WATCH_BEHIND_BYTES} bytes of events waiting behind what it has not read, or that reads
 *       nothing of a blocked stream for {@value #WATCH_STALL_MS} ms ({@code too_slow}: watch again from the last
 *       revision and position to resume), as the HTTP watch bounds them.</li>
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
    /** Response header: the node that served the call. */
    public static final String SERVED_BY = "raft-served-by";

    /** Default {@code limit} of Range. */
    public static final int DEFAULT_LIMIT = KvRequests.DEFAULT_LIMIT;
    /** Largest {@code limit} of Range. */
    public static final int MAX_LIMIT = KvRequests.MAX_LIMIT;
    /** Most watches one node serves at once, Watch streams and HTTP watches together ({@link WatchBudget}). */
    public static final int MAX_WATCHES = WatchApi.MAX_WATCHES;
    /**
     * Most bytes of events that may wait behind what a Watch's client has not read yet (batches that came while earlier
     * ones were still being written): beyond, the stream ends rather than the node buffering a slow client's backlog
     * without bound. A batch that finds nothing waiting is not counted, whatever its size: it is written as the client
     * reads it, and {@link #WATCH_STALL_MS} cuts off a client that reads none of it.
     */
    public static final long MAX_WATCH_BEHIND_BYTES = WatchPacer.MAX_BEHIND_BYTES;
    /**
     * Most bytes of events in one Watch response (one event alone may be more): a batch of changes beyond it, such as a
     * resumed watch's backlog, goes as several responses, within what gRPC clients take by default (Vert.x's 256 KiB,
     * grpc-java's and grpc-go's 4 MiB), each written when the stream's write queue takes it ({@link WatchPacer}).
     */
    public static final int MAX_WATCH_RESPONSE_BYTES = 256 * 1024;
    /**
     * How long a Watch's stream may stay blocked (its write queue full, changes waiting) without the client reading any
     * of it before it ends {@code too_slow}: what cuts off a client that reads nothing of one large batch.
     */
    public static final long WATCH_STALL_MS = WatchPacer.STALL_MS;

    /** How often a Watch asks its node how far it got, to move a quiet stream's cursor on. */
    private static final long WATCH_PROGRESS_MS = 15_000;

    private final RaftNode node;
    private final KvRequests requests;
    private final PeerDirectory peers;
    private final long maxValueBytes;
    private final WatchBudget watchBudget;
    /** The port's read answers not written out yet (shared with its HTTP API). */
    private AnswerBudget answers = new AnswerBudget(AnswerBudget.DEFAULT_BYTES,
            io.raftline.config.LimitsConfig.DEFAULT.requestTimeoutMs());

    /**
     * Creates the service of one node.
     *
     * @param node          the node
     * @param requests      the key-value request layer of the node (serves or forwards)
     * @param peers         where each node's client port is (for the leader-address trailer)
     * @param maxValueBytes largest value accepted
     */
    public KvGrpcService(RaftNode node, KvRequests requests, PeerDirectory peers, long maxValueBytes) {
        this(node, requests, peers, maxValueBytes, new WatchBudget(WatchBudget.DEFAULT_BYTES));
    }

    /**
     * Creates the service of one node whose watches share with the port's HTTP watches the bytes they may hold for
     * slow readers.
     *
     * @param node          the node
     * @param requests      the key-value request layer of the node (serves or forwards)
     * @param peers         where each node's client port is (for the leader-address trailer)
     * @param maxValueBytes largest value accepted
     * @param watchBudget   the port's budget for slow watches
     */
    public KvGrpcService(RaftNode node, KvRequests requests, PeerDirectory peers, long maxValueBytes,
            WatchBudget watchBudget) {
        this.node = node;
        this.requests = requests;
        this.peers = peers;
        this.maxValueBytes = Math.min(maxValueBytes, KvCommand.MAX_VALUE_BYTES);
        this.watchBudget = watchBudget;
    }

    /**
     * Counts this service's read answers (Get, Range) in the port's budget of answers not yet written out, with the
     * port's HTTP API (by default the service has a budget of its own).
     *
     * @param budget the port's budget
     * @return this
     */
    public KvGrpcService answersWithin(AnswerBudget budget) {
        this.answers = budget;
        return this;
    }

    /**
     * Binds the six methods to a gRPC server.
     *
     * @param server the server of this node's client port
     * @return the server
     */
    public GrpcServer bind(GrpcServer server) {
        oneRequest(server, KvServiceGrpcService.Put, this::put);
        oneRequest(server, KvServiceGrpcService.CompareAndSet, this::compareAndSet);
        oneRequest(server, KvServiceGrpcService.Delete, this::delete);
        oneRequest(server, KvServiceGrpcService.Get, this::get);
        oneRequest(server, KvServiceGrpcService.Range, this::range);
        oneRequest(server, KvServiceGrpcService.Txn, this::txn);
        oneRequest(server, KvServiceGrpcService.Watch, this::watch);
        return server;
    }

    /**
     * Runs a method on its call's one request message once the client has half-closed the call
     * ({@link OneMessageCall}); a second message, or none, or one that does not decode as the method's request, is
     * refused INVALID_ARGUMENT before anything runs.
     */
    private <Req, Resp> void oneRequest(GrpcServer server, ServiceMethod<Req, Resp> spec,
            BiConsumer<GrpcServerRequest<Req, Resp>, Req> run) {
        server.callHandler(spec, call -> oneRequest(call, spec, run));
    }

    private <Req, Resp> void oneRequest(GrpcServerRequest<Req, Resp> call, ServiceMethod<Req, Resp> spec,
            BiConsumer<GrpcServerRequest<Req, Resp>, Req> run) {
        String method = spec.methodName();
        OneMessageCall.bind(call, spec.decoder(), msg -> run.accept(call, msg), more -> invalid(call, more
                ? method + " takes one request message per call, and this call sent more: nothing was done"
                        + " (send each request on a call of its own)"
                : method + " takes one request message per call, and this call sent none"),
                why -> invalid(call, method + ": " + why + " (nothing was done)"));
    }

    // ---------------------------------------------------------------- methods

    private void put(GrpcServerRequest<PutRequest, PutResponse> call, PutRequest msg) {
        put(call, msg.getKey(), msg.getValue(), KvCommand.UNCONDITIONAL, msg.getIdempotencyKey());
    }

    private void compareAndSet(GrpcServerRequest<CompareAndSetRequest, PutResponse> call, CompareAndSetRequest msg) {
        if (msg.getExpectedRevision() < 0) {
            invalid(call, "expected_revision out of range: " + Long.toUnsignedString(msg.getExpectedRevision()));
            return;
        }
        put(call, msg.getKey(), msg.getValue(), msg.getExpectedRevision(), msg.getIdempotencyKey());
    }

    /** Put and CompareAndSet: the same command, unconditional or not. */
    private void put(GrpcServerRequest<?, PutResponse> call, String key, ByteString value, long expectedRevision,
            String idempotencyKey) {
        KvCommand command;
        try {
            command = KvCommand.Put.taking(key, value(value), expectedRevision, idempotencyKey(idempotencyKey));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        write(call, command, KvResult.Written.class, r -> PutResponse.newBuilder().setRevision(r.revision()).build());
    }

    private void delete(GrpcServerRequest<DeleteRequest, DeleteResponse> call, DeleteRequest msg) {
        KvCommand command;
        try {
            if (msg.hasExpectedRevision() && msg.getExpectedRevision() < 0) {
                throw new IllegalArgumentException("expected_revision out of range: "
                        + Long.toUnsignedString(msg.getExpectedRevision()));
            }
            command = new KvCommand.Delete(msg.getKey(), msg.hasExpectedRevision() ? msg.getExpectedRevision()
                    : KvCommand.UNCONDITIONAL, idempotencyKey(msg.getIdempotencyKey()));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        write(call, command, KvResult.Deleted.class,
                d -> DeleteResponse.newBuilder().setDeleted(d.deleted()).setRevision(d.revision()).build());
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
        requests.get(msg.getKey(), consistency, false).onComplete(ar -> {
            if (ar.failed()) {
                onFailure(call, ar.cause());
                return;
            }
            Optional<KvEntry> e = ar.result().value().entry();
            if (e.isEmpty()) {
                fail(call, ar.result().servedBy(), GrpcStatus.NOT_FOUND, "not_found", "no such key: " + msg.getKey(),
                        null);
                return;
            }
            answer(call, ar.result().servedBy(), GetResponse.newBuilder().setKv(keyValue(e.get())).build());
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
        try {
            KvCommand.validatePrefix(msg.getPrefix());
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        if (!msg.getStartAfter().isEmpty()) {
            try {
                KvCommand.validateKey(msg.getStartAfter());
            } catch (IllegalArgumentException e) {
                invalid(call, "start_after: " + e.getMessage());
                return;
            }
        }
        requests.range(msg.getPrefix(), msg.getStartAfter(), limit, consistency, false).onComplete(ar -> {
            if (ar.failed()) {
                onFailure(call, ar.cause());
                return;
            }
            RangeResult r = ar.result().value();
            RangeResponse.Builder out = RangeResponse.newBuilder().setMore(r.more())
                    .setAppliedIndex(r.appliedIndex());
            for (KvEntry e : r.entries()) {
                out.addKvs(keyValue(e));
            }
            if (r.more()) {
                out.setNext(r.entries().get(r.entries().size() - 1).key());
            }
            answer(call, ar.result().servedBy(), out.build());
        });
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Proposes a write and answers its result: {@code ok} builds the response from a result of the {@code success}
     * type; any other result is an error status, never a cast that fails on the event loop (the call would be left
     * unanswered until its deadline).
     */
    private <R extends KvResult, Resp> void write(GrpcServerRequest<?, Resp> call, KvCommand command,
            Class<R> success, Function<R, Resp> ok) {
        requests.write(command, false).onComplete(ar -> {
            if (ar.failed()) {
                onFailure(call, ar.cause());
                return;
            }
            KvResult r = ar.result().value();
            if (r instanceof KvResult.PreconditionFailed p) {
                KvCommand.SingleKey single = (KvCommand.SingleKey) command;
                long expected = single.expectedRevision();
                MultiMap extra = MultiMap.caseInsensitiveMultiMap()
                        .set(ACTUAL_REVISION, String.valueOf(p.actualRevision()));
                fail(call, ar.result().servedBy(), GrpcStatus.FAILED_PRECONDITION, "precondition_failed", "key '"
                        + single.key() + "' is at revision " + p.actualRevision()
                        + (p.actualRevision() == 0 ? " (absent)" : "") + ", not the expected " + expected, extra);
            } else if (r instanceof KvResult.IdempotencyKeyReused reused) {
                fail(call, ar.result().servedBy(), GrpcStatus.FAILED_PRECONDITION, KvApi.IDEMPOTENCY_KEY_REUSED,
                        reused.message(command.idempotencyKey(), command instanceof KvCommand.Delete ? "delete" : "put"),
                        null);
            } else if (r instanceof KvResult.Rejected rej) {
                fail(call, ar.result().servedBy(), GrpcStatus.INTERNAL, "rejected", rej.reason(), null);
            } else if (success.isInstance(r)) {
                succeed(call, ar.result().servedBy(), ok.apply(success.cast(r)));
            } else {
                fail(call, ar.result().servedBy(), GrpcStatus.INTERNAL, "internal", "unexpected result " + r
                        + " for a " + command.getClass().getSimpleName(), null);
            }
        });
    }

    private void onFailure(GrpcServerRequest<?, ?> call, Throwable t) {
        if (t instanceof NodeRequestException e) {
            nodeFailure(call, e);
        } else if (t instanceof IllegalArgumentException e) {
            invalid(call, e.getMessage());
        } else {
            fail(call, node.id(), GrpcStatus.INTERNAL, "internal", String.valueOf(t.getMessage()), null);
        }
    }

    private void nodeFailure(GrpcServerRequest<?, ?> call, NodeRequestException e) {
        switch (e.reason()) {
            case TIMEOUT -> fail(call, node.id(), GrpcStatus.DEADLINE_EXCEEDED, e.reason().code(), e.getMessage(),
                    leaderTrailers(e.leaderHint()));
            case OVERLOADED, QUOTA_EXCEEDED -> fail(call, node.id(), GrpcStatus.RESOURCE_EXHAUSTED, e.reason().code(),
                    e.getMessage(), leaderTrailers(e.leaderHint()));
            case CROSS_GROUP -> fail(call, node.id(), GrpcStatus.INVALID_ARGUMENT, e.reason().code(), e.getMessage(),
                    null);
            case PAYLOAD_TOO_LARGE -> fail(call, node.id(), GrpcStatus.RESOURCE_EXHAUSTED, e.reason().code(),
                    e.getMessage(), null);
            case LEADER_REFUSED -> fail(call, node.id(), GrpcStatus.INTERNAL, e.reason().code(), e.getMessage(), null);
            case RELEASE_MISMATCH -> fail(call, node.id(), GrpcStatus.FAILED_PRECONDITION, e.reason().code(),
                    e.getMessage(), null);
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
        fail(call, node.id(), GrpcStatus.UNAVAILABLE, code, message + hint, trailers);
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
        fail(call, node.id(), GrpcStatus.INVALID_ARGUMENT, "bad_request", message, null);
    }

    /**
     * Answers a read, counted in the port's budget of answers not yet written out until it is (or the call is gone);
     * beyond the budget, RESOURCE_EXHAUSTED {@code overloaded} instead ({@link AnswerBudget}).
     */
    private <Resp extends com.google.protobuf.MessageLite> void answer(GrpcServerRequest<?, Resp> call, int servedBy,
            Resp response) {
        answer(call, servedBy, response, true);
    }

    /**
     * As {@link #answer(GrpcServerRequest, int, com.google.protobuf.MessageLite)}; {@code mayRefuse} false for the
     * answer of a write that also read (a transaction's), counted but never refused ({@link AnswerBudget#takeAlways}).
     */
    private <Resp extends com.google.protobuf.MessageLite> void answer(GrpcServerRequest<?, Resp> call, int servedBy,
            Resp response, boolean mayRefuse) {
        GrpcServerResponse<?, Resp> out = call.response();
        AnswerBudget.Unsent unsent = mayRefuse ? answers.take(response.getSerializedSize(), out::cancel)
                : answers.takeAlways(response.getSerializedSize(), out::cancel);
        if (unsent == null) {
            fail(call, servedBy, GrpcStatus.RESOURCE_EXHAUSTED, "overloaded", answers.refusal(), null);
            return;
        }
        try {
            out.headers().set(SERVED_BY, String.valueOf(servedBy));
            out.end(response).onComplete(ar -> unsent.written());
        } catch (IllegalStateException e) {
            unsent.written(); // the call was cancelled or its deadline passed: nothing was written
        }
    }

    private static <Resp> void succeed(GrpcServerRequest<?, Resp> call, int servedBy, Resp response) {
        GrpcServerResponse<?, Resp> out = call.response();
        try {
            out.headers().set(SERVED_BY, String.valueOf(servedBy));
            out.end(response);
        } catch (IllegalStateException e) {
            // The call was cancelled or its deadline passed: the client is gone.
        }
    }

    private static void fail(GrpcServerRequest<?, ?> call, int servedBy, GrpcStatus status, String code, String message,
            MultiMap extra) {
        MultiMap trailers = MultiMap.caseInsensitiveMultiMap().set(ERROR_CODE, code);
        if (extra != null) {
            trailers.addAll(extra);
        }
        try {
            call.response().headers().set(SERVED_BY, String.valueOf(servedBy));
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

    private void txn(GrpcServerRequest<TxnRequest, TxnResponse> call, TxnRequest msg) {
        KvCommand.Txn txn;
        try {
            List<TxnCompare> compares = new ArrayList<>();
            for (int i = 0; i < msg.getCompareCount(); i++) {
                io.raftline.proto.kv.Compare c = msg.getCompare(i);
                String at = "compare[" + i + "]: ";
                try {
                    TxnCompare.Op op = switch (c.getOp()) {
                        case EQUAL -> TxnCompare.Op.EQUAL;
                        case NOT_EQUAL -> TxnCompare.Op.NOT_EQUAL;
                        case LESS -> TxnCompare.Op.LESS;
                        case GREATER -> TxnCompare.Op.GREATER;
                        default -> throw new IllegalArgumentException("unknown op " + c.getOpValue());
                    };
                    TxnCompare.Target target = switch (c.getTarget()) {
                        case VALUE -> TxnCompare.Target.VALUE;
                        case MOD_REVISION -> TxnCompare.Target.MOD_REVISION;
                        case CREATE_REVISION -> TxnCompare.Target.CREATE_REVISION;
                        case VERSION -> TxnCompare.Target.VERSION;
                        default -> throw new IllegalArgumentException("unknown target " + c.getTargetValue());
                    };
                    if (c.getNumber() < 0) {
                        throw new IllegalArgumentException("number out of range: "
                                + Long.toUnsignedString(c.getNumber()) + " (at most " + Long.MAX_VALUE + ")");
                    }
                    // Both operands go to the comparison, which refuses the one its target does not take: a value
                    // beside a revision (or a number beside a value) would otherwise be ignored without a word.
                    compares.add(new TxnCompare(c.getKey(), target, op, value(c.getValue()), c.getNumber()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(at + e.getMessage(), e);
                }
            }
            txn = new KvCommand.Txn(compares, txnOps(msg.getSuccessList(), "success"),
                    txnOps(msg.getFailureList(), "failure"));
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        requests.write(txn, false).onComplete(ar -> {
            if (ar.failed()) {
                onFailure(call, ar.cause());
                return;
            }
            if (!(ar.result().value() instanceof KvResult.TxnResult r)) {
                fail(call, ar.result().servedBy(), GrpcStatus.INTERNAL, "rejected", String.valueOf(ar.result().value()),
                        null);
                return;
            }
            TxnResponse.Builder out = TxnResponse.newBuilder().setSucceeded(r.succeeded()).setRevision(r.revision());
            for (KvResult.OpResult op : r.results()) {
                TxnOpResult.Builder one = TxnOpResult.newBuilder();
                if (op instanceof KvResult.PutDone) {
                    one.setPut(PutResponse.newBuilder().setRevision(r.revision()));
                } else if (op instanceof KvResult.DeleteDone d) {
                    one.setDelete(DeleteResponse.newBuilder().setDeleted(d.deleted()).setRevision(r.revision()));
                } else if (op instanceof KvResult.GetDone get) {
                    GetResponse.Builder g = GetResponse.newBuilder();
                    get.entry().ifPresent(e -> g.setKv(keyValue(e)));
                    one.setGet(g);
                } else {
                    // Only the Redis port's MULTI builds increments, conditional puts and edits, and a transaction's
                    // result goes to its caller.
                    throw new IllegalStateException("a transaction of the gRPC API has no increment, conditional put"
                            + " or edit: " + op);
                }
                out.addResults(one);
            }
            // Counted in the answers' budget, never refused: the write was applied (AnswerBudget.takeAlways).
            answer(call, ar.result().servedBy(), out.build(), false);
        });
    }

    /** Trailer of an OUT_OF_RANGE Watch: the oldest revision the node holds. */
    public static final String OLDEST_REVISION = "raft-oldest-revision";

    /** Trailer of an OUT_OF_RANGE Watch on a sharded node: the group whose history no longer holds the revision. */
    public static final String COMPACTED_GROUP = "raft-group";

    private void watch(GrpcServerRequest<WatchRequest, WatchResponse> call, WatchRequest msg) {
        if (msg.getFromRevision() < 0 || msg.getSkip() < 0) {
            invalid(call, "from_revision and skip must be >= 0");
            return;
        }
        List<WatchPosition> resumeAt = null;
        if (!msg.getCursor().isEmpty()) {
            if (msg.getFromRevision() != 0 || msg.getSkip() != 0) {
                invalid(call, "cursor: resumes by itself; leave from_revision and skip 0");
                return;
            }
            try {
                resumeAt = WatchCursor.parse(msg.getCursor());
            } catch (IllegalArgumentException e) {
                invalid(call, "cursor: " + e.getMessage());
                return;
            }
        }
        try {
            KvCommand.validatePrefix(msg.getPrefix());
        } catch (IllegalArgumentException e) {
            invalid(call, e.getMessage());
            return;
        }
        if (!watchBudget.open()) {
            fail(call, node.id(), GrpcStatus.RESOURCE_EXHAUSTED, "overloaded", "node " + node.id() + " serves "
                    + MAX_WATCHES + " watches already; retry later or watch another node", null);
            return;
        }
        GrpcServerResponse<WatchRequest, WatchResponse> out = call.response();
        Context here = Vertx.currentContext();
        ContextWatchSink sink = new ContextWatchSink(here) {
            /**
             * Writes the changes a response at a time as the stream's write queue takes them, and bounds what waits
             * behind what the client has not read ({@link WatchPacer}: the same pacing as the HTTP watch).
             */
            private final WatchPacer pacer = new WatchPacer(here.owner(), watchBudget, out, this::writeResponse,
                    this::tooSlow);

            private long progressTimer = -1;

            /** The first message: where the stream starts, before any event. */
            @Override
            protected void started() {
                write(WatchResponse.newBuilder().setCursor(cursor().id()).build());
                progressTimer = here.owner().setPeriodic(WATCH_PROGRESS_MS, t -> requestProgress());
            }

            /** A quiet watch passed more of the log: a message without events moves the client's cursor on. */
            @Override
            protected void progressed() {
                if (!out.writeQueueFull()) {
                    write(WatchResponse.newBuilder().setCursor(cursor().id()).build());
                }
            }

            /** Changes wait in the outbox: the node's progress is not taken (the cursor would pass them unwritten). */
            @Override
            protected boolean holdsUnwritten() {
                return pacer.holdsUnwritten();
            }

            /**
             * Hands the changes to the pacer, which writes what the stream takes now and the rest as it drains. A batch
             * that comes while earlier changes still wait (the client has not read them) counts against
             * {@link #MAX_WATCH_BEHIND_BYTES} and the port's budget for slow watches: beyond either, the stream ends
             * {@code too_slow}. A batch that finds nothing waiting is not counted, however large (a resumed watch's
             * backlog, up to 64 MiB): it is written as the client reads it. Before 2026-12-07, every batch was written
             * whole in one task, so a large one filled the write queue at once and its rest counted as unread: a client
             * reading as fast as it could was cut off after 8 MiB.
             */
            @Override
            protected void deliver(int group, List<KvChange> changes) {
                pacer.offer(group, changes);
            }

            /**
             * Writes one response of at most {@link #MAX_WATCH_RESPONSE_BYTES} of events from {@code from} on (one
             * event alone may be larger), with the cursor after its last event.
             */
            private int writeResponse(int group, List<KvChange> changes, int from) {
                WatchResponse.Builder batch = WatchResponse.newBuilder();
                long bytes = 0;
                int next = from;
                while (next < changes.size()) {
                    KvChange c = changes.get(next);
                    WatchEvent.Builder e = WatchEvent.newBuilder().setRevision(c.revision()).setPosition(c.seq());
                    if (c.deleted()) {
                        e.setType(WatchEvent.Type.DELETE).setKv(KeyValue.newBuilder().setKey(c.key()));
                    } else {
                        e.setType(WatchEvent.Type.PUT).setKv(keyValue(c.entry()));
                    }
                    WatchEvent event = e.build();
                    int size = event.getSerializedSize();
                    if (batch.getEventsCount() > 0 && bytes + size > MAX_WATCH_RESPONSE_BYTES) {
                        break;
                    }
                    cursor().passed(group, c);
                    batch.addEvents(event);
                    bytes += size;
                    next++;
                }
                write(batch.setCursor(cursor().id()).build());
                return next;
            }

            private void tooSlow() {
                sendError(out, GrpcStatus.RESOURCE_EXHAUSTED, "the client left more than " + MAX_WATCH_BEHIND_BYTES
                        + " bytes of events unread, or read none for " + watchBudget.stallMs() + " ms (or the node"
                        + " holds too much for slow watches); watch again from the last cursor received to resume",
                        MultiMap.caseInsensitiveMultiMap().set(ERROR_CODE, "too_slow"));
                finish();
            }

            private void write(WatchResponse message) {
                try {
                    out.write(message);
                } catch (IllegalStateException e) {
                    finish();
                }
            }

            @Override
            protected void closed() {
                if (progressTimer >= 0) {
                    here.owner().cancelTimer(progressTimer);
                    progressTimer = -1;
                }
                pacer.close();
                watchBudget.closed();
            }

            @Override
            protected void endedByNode(NodeRequestException why) {
                sendError(out, GrpcStatus.UNAVAILABLE, why.getMessage(), MultiMap.caseInsensitiveMultiMap()
                        .set(ERROR_CODE, why.reason().code()));
            }
        };
        call.exceptionHandler(e -> sink.ended(new NodeRequestException(NodeRequestException.Reason.NODE_DOWN, 0,
                "the call failed: " + e.getMessage())));
        // A client that cancels its call resets the stream, which Vert.x reports here and not as an exception: the
        // watch ends at once, rather than when a change next fails to be written (never, under a quiet prefix).
        call.errorHandler(error -> sink.finish());
        // A connection that closes under an open stream is reported on the response.
        out.exceptionHandler(e -> sink.finish());
        // A call with a deadline (grpc-timeout) is answered DEADLINE_EXCEEDED by the port's server itself, which tells
        // none of the handlers above: the watch stayed registered, holding one of the node's places, until a change
        // under its prefix failed to be written into the ended call (never, on a quiet cluster).
        io.vertx.core.Timer deadline = call.deadline();
        if (deadline != null) {
            deadline.onSuccess(v -> sink.onContext(sink::finish));
        }
        out.headers().set(SERVED_BY, String.valueOf(node.id()));
        Future<NodeHost.Watch> registered = resumeAt != null ? node.watch(msg.getPrefix(), resumeAt, sink)
                : node.watch(msg.getPrefix(), msg.getFromRevision(), msg.getSkip(), sink);
        registered.onComplete(ar -> sink.onContext(() -> {
            if (ar.failed()) {
                sink.finish();
                if (ar.cause() instanceof WatchCompactedException c) {
                    MultiMap trailers = MultiMap.caseInsensitiveMultiMap()
                            .set(OLDEST_REVISION, String.valueOf(c.oldestRevision()));
                    if (c.group() >= 0) {
                        trailers.set(COMPACTED_GROUP, String.valueOf(c.group()));
                    }
                    fail(call, node.id(), GrpcStatus.OUT_OF_RANGE, "compacted", c.getMessage(), trailers);
                } else {
                    onFailure(call, ar.cause());
                }
                return;
            }
            sink.registered(ar.result());
        }));
    }

    private List<TxnOp> txnOps(List<io.raftline.proto.kv.TxnOp> ops, String branch) {
        List<TxnOp> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            io.raftline.proto.kv.TxnOp op = ops.get(i);
            try {
                // A transaction's operations reuse the single-key messages, whose other fields have no meaning here:
                // refused rather than ignored (a delete the client meant as conditional would run unconditionally).
                out.add(switch (op.getOpCase()) {
                    case PUT -> {
                        if (!op.getPut().getIdempotencyKey().isEmpty()) {
                            throw new IllegalArgumentException("put.idempotency_key: a transaction's operations have"
                                    + " none; compare what the first attempt would have changed to make a retry safe");
                        }
                        yield TxnOp.Put.taking(op.getPut().getKey(), value(op.getPut().getValue()));
                    }
                    case DELETE -> {
                        if (op.getDelete().hasExpectedRevision()) {
                            throw new IllegalArgumentException("delete.expected_revision: a transaction's delete is"
                                    + " unconditional; add a MOD_REVISION comparison of the key instead");
                        }
                        if (!op.getDelete().getIdempotencyKey().isEmpty()) {
                            throw new IllegalArgumentException("delete.idempotency_key: a transaction's operations"
                                    + " have none; compare what the first attempt would have changed to make a retry"
                                    + " safe");
                        }
                        yield new TxnOp.Delete(op.getDelete().getKey());
                    }
                    case GET -> new TxnOp.Get(op.getGet().getKey());
                    default -> throw new IllegalArgumentException("no operation set (put, delete or get)");
                });
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(branch + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return out;
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

}
