package io.raftline.transport.grpc;

import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.RaftServiceGrpcService;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.proto.raft.VoteRequest;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.List;
import java.util.function.Supplier;

/**
 * The RaftService of one node's client port: decodes each call into the core's message and gives it to
 * {@link GrpcTransport#deliver}. Answers are only receipts (an empty Ack); Raft's own responses travel as
 * separate calls the other way. Bad input is INVALID_ARGUMENT, a node not served here NOT_FOUND, a node that is
 * not running UNAVAILABLE.
 *
 * <p>On Stream, each frame is checked whole before any of it is delivered, and the same refusals travel back as a
 * {@link StreamRefusal} naming the frame; the stream stays open for the next one. A refusal is dropped rather than
 * queued when the reply stream's write queue is full: the sender then only misses the reason of a loss.
 */
final class RaftEndpoint extends RaftServiceGrpcService {

    private final GrpcTransport transport;
    private final int servedNode;

    RaftEndpoint(GrpcTransport transport, int servedNode) {
        this.transport = transport;
        this.servedNode = servedNode;
    }

    @Override
    public Future<Ack> requestVote(VoteRequest request) {
        return deliver(() -> ProtoMapping.fromProto(request));
    }

    @Override
    public Future<Ack> appendEntries(RaftEnvelope request) {
        return deliver(() -> ProtoMapping.fromEnvelope(request));
    }

    @Override
    public Future<Ack> installSnapshot(ReadStream<SnapshotChunk> request) {
        Promise<Ack> answer = Promise.promise();
        SnapshotAssembler assembler = transport.assembler();
        request.handler(chunk -> {
            if (answer.future().isComplete()) {
                return;
            }
            try {
                assembler.add(chunk);
            } catch (SerializationException e) {
                answer.tryFail(invalid(e.getMessage()));
            }
        });
        request.exceptionHandler(e -> answer.tryFail(e));
        request.endHandler(v -> {
            if (!answer.future().isComplete()) {
                deliver(assembler::finish).onComplete(answer);
            }
        });
        return answer.future();
    }

    @Override
    protected void stream(ReadStream<RaftBatch> request, WriteStream<StreamRefusal> response) {
        request.handler(batch -> {
            Future<Ack> delivered;
            try {
                delivered = transport.deliverAll(servedNode, ProtoMapping.fromBatch(batch));
            } catch (SerializationException | IllegalArgumentException e) {
                delivered = Future.failedFuture(invalid(e.getMessage()));
            }
            if (delivered.failed() && !response.writeQueueFull()) {
                Throwable cause = delivered.cause();
                GrpcStatus status = cause instanceof StatusException se ? se.status() : GrpcStatus.INTERNAL;
                String message = cause instanceof StatusException se ? se.message() : cause.getMessage();
                response.write(StreamRefusal.newBuilder().setSeq(batch.getSeq()).setStatus(status.code)
                        .setMessage(String.valueOf(message)).build());
            }
        });
        // The sender reset the stream (it closed, or gave up on it): nothing to answer.
        request.exceptionHandler(e -> { });
        request.endHandler(v -> response.end());
    }

    private Future<Ack> deliver(Supplier<Message> decode) {
        Message m;
        try {
            m = decode.get();
        } catch (SerializationException | IllegalArgumentException e) {
            return Future.failedFuture(invalid(e.getMessage()));
        }
        return transport.deliver(servedNode, m);
    }

    static StatusException invalid(String message) {
        return new StatusException(GrpcStatus.INVALID_ARGUMENT, message);
    }

    static StatusException notFound(String message) {
        return new StatusException(GrpcStatus.NOT_FOUND, message);
    }

    static StatusException unavailable(String message) {
        return new StatusException(GrpcStatus.UNAVAILABLE, message);
    }
}
