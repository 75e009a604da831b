package io.raftline.transport.grpc;

import com.google.protobuf.Descriptors;
import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.RaftServiceGrpcService;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.proto.raft.VoteRequest;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Message;
import io.raftline.security.DeferredRefusal;
import io.raftline.security.PeerGuard;
import io.raftline.security.PeerIdentity;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import io.vertx.grpc.server.StatusException;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The RaftService of one node's client port: decodes each call into the core's messages and gives them to
 * {@link GrpcTransport#deliverAll}. Answers are only receipts (an empty Ack); Raft's own responses travel as
 * separate calls the other way. Bad input is INVALID_ARGUMENT, a node not served here NOT_FOUND, a node that is
 * not running UNAVAILABLE.
 *
 * <p>With peer authentication on ({@link GrpcTransport.PeerTls}), every call is checked against the client
 * certificate of the connection it arrived on before anything is decoded for the node: a call on a connection without
 * one is UNAUTHENTICATED (the port also serves KV clients, which need none, so the TLS handshake only asks for it),
 * answered once the caller has finished sending ({@link DeferredRefusal}); a
 * message whose sender is not a node the certificate names is PERMISSION_DENIED ({@link PeerGuard}). That is why this
 * endpoint binds its handlers itself rather than through the generated service class: only the call, not the
 * decoded message, knows its connection.
 *
 * <p>Each call's messages go to the Raft group it names (raft.proto: {@code RaftBatch.group}, {@code
 * RaftEnvelope.group}, {@code VoteRequest.group}, {@code SnapshotHeader.group}; absent means group 0), that is to the
 * replica of {@link #servedNode} registered through {@link GrpcTransport#group}; a group without one is UNAVAILABLE.
 * The certificate check comes first and is the same for every group: a peer may speak for its node in all of them.
 *
 * <p>On Stream, each frame is checked whole before any of it is delivered, and the same refusals travel back as a
 * {@link StreamRefusal} naming the frame; the stream stays open for the next one. A frame that asks for a receipt and
 * is delivered is answered by one ({@code StreamRefusal.receipt}): the sender holds its frames until a reply tells it
 * their fate. No reply is ever left out, since the sender reports a refused frame's messages lost by it: while the
 * reply stream's write queue is full, the endpoint stops reading the stream, so its memory stays bounded and the
 * sender's writes back up (HTTP/2 flow control) instead.
 */
final class RaftEndpoint implements Service {

    /**
     * The response header by which a Stream's receiver says it answers receipts ({@code RaftBatch.receipt}); a
     * receiver of an earlier release sends no such header, and its senders ask it for none.
     */
    static final String RECEIPTS_HEADER = "raftline-receipts";

    /**
     * The request header in which every call a {@link GrpcTransport} opens states its process's number of Raft groups
     * ({@code "groups"}): a call that states another than this process's has its messages refused
     * (FAILED_PRECONDITION, each reported dropped; {@link io.raftline.transport.GroupCountCheck}). A call without it
     * (a client of the documented RPCs that is not a Raftline transport) is not checked.
     */
    static final String GROUPS_HEADER = "raftline-groups";

    private final GrpcTransport transport;
    private final int servedNode;

    RaftEndpoint(GrpcTransport transport, int servedNode) {
        this.transport = transport;
        this.servedNode = servedNode;
    }

    @Override
    public ServiceName name() {
        return RaftServiceGrpcService.SERVICE_NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
        return RaftServiceGrpcService.SERVICE_DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
        server.callHandler(RaftServiceGrpcService.RequestVote, this::requestVote);
        server.callHandler(RaftServiceGrpcService.AppendEntries, this::appendEntries);
        server.callHandler(RaftServiceGrpcService.InstallSnapshot, this::installSnapshot);
        server.callHandler(RaftServiceGrpcService.Stream, this::stream);
    }

    /** The authenticated peer of a call; refuses the call and returns null if there is none. */
    private Peer authenticate(GrpcServerRequest<?, ?> request) {
        PeerGuard guard = transport.guard();
        String remote = remote(request.connection());
        int groups = statedGroups(request.headers().get(GROUPS_HEADER));
        if (guard == null) {
            return new Peer(remote, null, groups);
        }
        PeerIdentity identity = GrpcTransport.callerIdentity(guard, request.connection());
        if (identity == null) {
            PeerGuard.Refusal r = guard.checkSenders(null, List.of());
            guard.refused(remote, r);
            // Answered once the caller has sent its request (DeferredRefusal says why); its messages are dropped
            // as raw frames, never decoded.
            GrpcServerResponse<?, ?> response = request.response();
            request.messageHandler(m -> { });
            DeferredRefusal refusal = DeferredRefusal.afterRequest(transport.vertx(), request.end(),
                    () -> response.status(GrpcStatus.UNAUTHENTICATED).statusMessage(r.message()).end());
            request.errorHandler(e -> refusal.abandon());
            return null;
        }
        return new Peer(remote, identity, groups);
    }

    /**
     * The number of groups a call states: {@link #UNSTATED} without the header, 0 for one that is not a number in
     * range (refused as another count).
     */
    private static int statedGroups(String header) {
        if (header == null) {
            return UNSTATED;
        }
        try {
            int n = Integer.parseInt(header.trim());
            return n >= 1 && n <= io.raftline.transport.GroupCountCheck.MAX ? n : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A call with no {@link #GROUPS_HEADER}: not from a Raftline transport, not checked. */
    private static final int UNSTATED = -1;

    private static String remote(HttpConnection c) {
        return c.remoteAddress() == null ? "unknown" : String.valueOf(c.remoteAddress().hostAddress());
    }

    private void requestVote(GrpcServerRequest<VoteRequest, Ack> request) {
        unary(request, RaftServiceGrpcService.RequestVote.decoder(), VoteRequest::getGroup,
                msg -> () -> ProtoMapping.fromProto(msg));
    }

    private void appendEntries(GrpcServerRequest<RaftEnvelope, Ack> request) {
        unary(request, RaftServiceGrpcService.AppendEntries.decoder(), RaftEnvelope::getGroup,
                msg -> () -> ProtoMapping.fromEnvelope(msg));
    }

    /**
     * Why a message the service decodes itself does not decode. Vert.x's own decoding reset the call's stream with
     * CANCEL and no status, so the sending peer could not tell a malformed message from a lost connection.
     */
    private static String undecodable(String method, RuntimeException e) {
        Throwable why = e.getCause() != null ? e.getCause() : e;
        return method + ": the request message does not decode: " + why.getMessage();
    }

    private <T> void unary(GrpcServerRequest<T, Ack> request, GrpcMessageDecoder<T> decoder,
            ToIntFunction<T> group,
            java.util.function.Function<T, Supplier<Message>> decode) {
        Peer peer = authenticate(request);
        if (peer == null) {
            return;
        }
        // One message per call, run once the caller has half-closed it, as gRPC's own servers run a unary method.
        // Each message used to be delivered as a call of its own: the first answer ended the response, so every later
        // message of the call was delivered with no answer at all (a refusal of one reached nobody, and its sender
        // was never told it was lost), and a call that never ended was a stream with neither receipts nor flow
        // control. A second message, or none, is refused before anything is delivered.
        String method = request.methodName();
        OneMessageCall.bind(request, decoder, msg -> answer(request.response(), deliver(peer, group.applyAsInt(msg),
                decode.apply(msg))), more -> answer(request.response(), Future.failedFuture(invalid(more
                        ? method + " takes one request message per call, and this call sent more: nothing was delivered"
                        : method + " takes one request message per call, and this call sent none"))),
                why -> answer(request.response(), Future.failedFuture(invalid(method + ": " + why
                        + " (nothing was delivered)"))));
    }

    /**
     * Reassembles an InstallSnapshot stream and delivers it once it ended. Everything the header decides is decided at
     * the first chunk, before any of the snapshot's bytes are kept: the peer's certificate, its number of groups
     * ({@link io.raftline.transport.GroupCountCheck}, FAILED_PRECONDITION), the node, whether the group has a replica
     * here (UNAVAILABLE: it used to be buffered whole, up to 2 GiB, and only then refused), and a place
     * among the streams the process receives at once ({@link SnapshotIntake}, RESOURCE_EXHAUSTED). A refused stream's
     * further chunks are discarded undecoded. A stream that brings no chunk for {@link
     * GrpcTransport.Options#snapshotTimeoutMs()} (the sender gives up after as long) is ended DEADLINE_EXCEEDED, so that a
     * stream held open frees its place. A snapshot of several pieces is joined on a worker ({@link
     * SnapshotAssembler#joinsPieces()}): a copy of up to 2 GiB has no place on the event loop.
     */
    private void installSnapshot(GrpcServerRequest<SnapshotChunk, Ack> request) {
        Peer peer = authenticate(request);
        if (peer == null) {
            return;
        }
        Promise<Ack> answer = Promise.promise();
        SnapshotAssembler assembler = transport.assembler();
        boolean[] refused = {false};
        Runnable[] place = {null};
        long[] lastChunk = {System.nanoTime()};
        long timeoutMs = transport.options().snapshotTimeoutMs();
        GrpcMessageDecoder<SnapshotChunk> decoder = RaftServiceGrpcService.InstallSnapshot.decoder();
        request.messageHandler(raw -> {
            if (refused[0] || answer.future().isComplete()) {
                return;
            }
            lastChunk[0] = System.nanoTime();
            SnapshotChunk chunk;
            try {
                chunk = decoder.decode(raw);
            } catch (RuntimeException e) { // CodecException: bytes that are not a SnapshotChunk
                answer.tryFail(invalid(undecodable("InstallSnapshot", e) + " (the snapshot is not installed)"));
                return;
            }
            boolean first = assembler.sender() < 0;
            if (first && chunk.hasHeader()) {
                // Checked before the first chunk's bytes are kept: a refused header keeps nothing.
                io.raftline.proto.raft.SnapshotHeader h = chunk.getHeader();
                StatusException refusal = refusalAtHeader(peer, h);
                if (refusal != null) {
                    if (refusal.status() == GrpcStatus.PERMISSION_DENIED) {
                        // The answer waits for the end of the request as every refusal before a request is read does
                        // (DeferredRefusal).
                        refused[0] = true;
                        DeferredRefusal deferred = DeferredRefusal.afterRequest(transport.vertx(), request.end(),
                                () -> answer.tryFail(refusal));
                        request.errorHandler(e -> deferred.abandon());
                    } else {
                        answer.tryFail(refusal);
                    }
                    return;
                }
            }
            try {
                assembler.add(chunk);
            } catch (SerializationException e) {
                answer.tryFail(invalid(e.getMessage()));
                return;
            }
            if (first) {
                // A place among the streams being received, once the header proved well formed (its size within
                // the limit); refused, the assembler and the first chunk's bytes go with the call.
                try {
                    place[0] = transport.snapshotIntake().admit(servedNode, assembler.group(), assembler.sender(),
                            request.connection(), chunk.getHeader().getTotalBytes());
                } catch (StatusException e) {
                    answer.tryFail(e);
                }
            }
        });
        request.exceptionHandler(e -> answer.tryFail(e));
        // The sender reset the stream (it gave up, or a partition cut it) or its connection closed: the place is freed.
        request.errorHandler(e -> answer.tryFail(new StatusException(GrpcStatus.CANCELLED, "the sender cancelled")));
        request.response().exceptionHandler(e -> answer.tryFail(e));
        request.endHandler(v -> {
            if (refused[0] || answer.future().isComplete()) {
                return;
            }
            if (!assembler.joinsPieces()) {
                deliver(peer, assembler.group(), assembler::finish).onComplete(answer);
                return;
            }
            transport.vertx().executeBlocking(assembler::finish, false).transform(ar -> {
                if (ar.failed()) {
                    return Future.<Ack>failedFuture(ar.cause() instanceof SerializationException
                            || ar.cause() instanceof IllegalArgumentException ? invalid(ar.cause().getMessage())
                            : ar.cause());
                }
                return check(peer, assembler.group(), List.<Message>of(ar.result()));
            }).onComplete(answer);
        });
        io.vertx.core.Vertx vertx = transport.vertx();
        long[] timer = {-1};
        io.vertx.core.Handler<Long> stall = new io.vertx.core.Handler<>() {
            @Override
            public void handle(Long id) {
                if (answer.future().isComplete() || refused[0]) {
                    return;
                }
                long quietMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastChunk[0]);
                if (quietMs >= timeoutMs) {
                    answer.tryFail(new StatusException(GrpcStatus.DEADLINE_EXCEEDED, "no snapshot chunk for " + quietMs
                            + " ms: the stream is given up (the snapshot is not installed)"));
                } else {
                    timer[0] = vertx.setTimer(timeoutMs - quietMs, this);
                }
            }
        };
        timer[0] = vertx.setTimer(timeoutMs, stall);
        answer.future().onComplete(ar -> {
            vertx.cancelTimer(timer[0]);
            if (place[0] != null) {
                place[0].run();
            }
            try {
                answer(request.response(), ar.succeeded() ? Future.succeededFuture(ar.result())
                        : Future.failedFuture(ar.cause()));
            } catch (IllegalStateException gone) {
                // The stream was reset or its connection closed: nobody to answer.
            }
        });
    }

    /**
     * What refuses a snapshot stream at its header, or null: a peer that may not speak for its sender
     * (PERMISSION_DENIED), another node (NOT_FOUND), a group without a replica here (UNAVAILABLE).
     */
    private StatusException refusalAtHeader(Peer peer, io.raftline.proto.raft.SnapshotHeader h) {
        PeerGuard guard = transport.guard();
        PeerGuard.Refusal r = guard != null ? guard.checkSenders(peer.identity(), List.of(h.getFrom())) : null;
        if (r != null) {
            // The header names the sender: a peer that may not speak for it is refused at the first chunk, and the
            // rest of the stream is discarded unread rather than buffered up to the snapshot size limit.
            guard.refused(peer.remote() + " (" + peer.identity() + ")", r);
            return new StatusException(GrpcStatus.PERMISSION_DENIED, r.message());
        }
        if (otherGroups(peer)) {
            // Refused at the header, as every message of such a process is, rather than once the whole snapshot was
            // buffered (and again at each of the sender's retries). The report names the snapshot by its header,
            // without its bytes, which were never kept.
            Message named;
            try {
                named = ProtoMapping.snapshotRequest(h.toBuilder().setTotalBytes(0).build(), new byte[0]);
            } catch (SerializationException e) {
                return invalid(e.getMessage() + " (the snapshot is not installed)");
            }
            return groupsRefusal(peer, List.of(named));
        }
        if (h.getTo() != servedNode) {
            // Refused at the header, like a malformed stream, rather than once the whole snapshot (up to the size
            // limit, 2 GiB) was buffered only to be refused by deliverAll for the same reason.
            return notFound("node " + h.getTo() + " is not served on this port (it serves node " + servedNode
                    + "): the snapshot is not installed");
        }
        if (!transport.hasReplica(h.getGroup(), servedNode)) {
            return unavailable(GrpcTransport.notRunning(h.getGroup(), servedNode) + ": the snapshot is not installed");
        }
        return null;
    }

    private static void answer(GrpcServerResponse<?, Ack> response, Future<Ack> result) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                response.end(ar.result());
            } else {
                response.fail(ar.cause());
            }
        });
    }

    private void stream(GrpcServerRequest<RaftBatch, StreamRefusal> request) {
        Peer peer = authenticate(request);
        if (peer == null) {
            return;
        }
        GrpcServerResponse<RaftBatch, StreamRefusal> response = request.response();
        // Says at once that this release answers receipts: the sender asks for them (and holds its frames to their
        // bounds) only then, so a sender of this release still works with a receiver of an earlier one.
        response.headers().set(RECEIPTS_HEADER, "1");
        response.writeHead();
        GrpcMessageDecoder<RaftBatch> decoder = RaftServiceGrpcService.Stream.decoder();
        boolean[] ended = {false};
        request.messageHandler(raw -> {
            if (ended[0]) {
                return;
            }
            RaftBatch batch;
            try {
                batch = decoder.decode(raw);
            } catch (RuntimeException e) { // CodecException: bytes that are not a RaftBatch
                // Its seq cannot be read, so no StreamRefusal can name it: the stream ends with the reason, and the
                // sender reports what it had in flight lost, as for any stream that fails.
                ended[0] = true;
                response.status(GrpcStatus.INVALID_ARGUMENT).statusMessage(undecodable("Stream", e)
                        + " (the stream is ended: the frame's seq cannot be read)").end();
                return;
            }
            Future<Ack> delivered;
            try {
                delivered = check(peer, batch.getGroup(), ProtoMapping.fromBatch(batch));
            } catch (SerializationException | IllegalArgumentException e) {
                delivered = Future.failedFuture(invalid(e.getMessage()));
            }
            if (delivered.failed()) {
                Throwable cause = delivered.cause();
                GrpcStatus status = cause instanceof StatusException se ? se.status() : GrpcStatus.INTERNAL;
                String message = cause instanceof StatusException se ? se.message() : cause.getMessage();
                response.write(StreamRefusal.newBuilder().setSeq(batch.getSeq()).setStatus(status.code)
                        .setMessage(String.valueOf(message)).build());
            } else if (batch.getReceipt()) {
                response.write(StreamRefusal.newBuilder().setSeq(batch.getSeq()).setReceipt(true).build());
            }
            if (response.writeQueueFull()) {
                // The sender must get every reply (it reports a refused frame's messages lost by it), so rather than
                // leave one out, stop reading until the replies drain: the sender's own write queue then fills and it
                // drops what it cannot write (overflow), which it reports.
                request.pause();
                response.drainHandler(v -> {
                    response.drainHandler(null);
                    request.resume();
                });
            }
        });
        // The sender reset the stream (it closed, or gave up on it): nothing to answer.
        request.exceptionHandler(e -> { });
        request.endHandler(v -> {
            if (!ended[0]) {
                response.end();
            }
        });
    }

    private Future<Ack> deliver(Peer peer, int group, Supplier<Message> decode) {
        Message m;
        try {
            m = decode.get();
        } catch (SerializationException | IllegalArgumentException e) {
            return Future.failedFuture(invalid(e.getMessage()));
        }
        return check(peer, group, List.of(m));
    }

    /**
     * Refuses the whole frame if the peer may not send one of its messages (whatever the group); delivers it to the
     * group's replica otherwise.
     */
    private Future<Ack> check(Peer peer, int group, List<Message> messages) {
        PeerGuard guard = transport.guard();
        if (guard != null) {
            PeerGuard.Refusal r = guard.checkSenders(peer.identity(), messages.stream().map(Message::from).toList());
            if (r != null) {
                guard.refused(peer.remote() + " (" + peer.identity() + ")", r);
                return Future.failedFuture(new StatusException(GrpcStatus.PERMISSION_DENIED, r.message()));
            }
        }
        if (otherGroups(peer)) {
            return Future.failedFuture(groupsRefusal(peer, messages));
        }
        return transport.deliverAll(servedNode, group, messages);
    }

    /**
     * Whether the peer's call states another number of groups than this process has: such a process maps keys to
     * groups otherwise, and none of its messages may reach a replica, whatever the group (docs/sharding.md).
     */
    private boolean otherGroups(Peer peer) {
        return peer.groups() != UNSTATED && !transport.groupCount().accepts(peer.groups());
    }

    /** FAILED_PRECONDITION for such a call's messages, each reported dropped ({@link GrpcTransport#refuseGroups}). */
    private StatusException groupsRefusal(Peer peer, List<Message> messages) {
        return new StatusException(GrpcStatus.FAILED_PRECONDITION, transport.refuseGroups(peer.groups(), "gRPC from "
                + peer.remote(), messages));
    }

    /**
     * The peer of a call: its address (for logs), the identity of its certificate (null without TLS) and the number of
     * groups its call states ({@link #statedGroups}).
     */
    private record Peer(String remote, PeerIdentity identity, int groups) {
    }

    static StatusException invalid(String message) {
        return new StatusException(GrpcStatus.INVALID_ARGUMENT, message);
    }

    static StatusException notFound(String message) {
        return new StatusException(GrpcStatus.NOT_FOUND, message);
    }

    static StatusException exhausted(String message) {
        return new StatusException(GrpcStatus.RESOURCE_EXHAUSTED, message);
    }

    static StatusException unavailable(String message) {
        return new StatusException(GrpcStatus.UNAVAILABLE, message);
    }
}
