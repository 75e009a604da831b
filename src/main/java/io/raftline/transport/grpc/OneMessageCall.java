package io.raftline.transport.grpc;

import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.function.Consumer;

/**
 * Runs a unary or server-streaming gRPC method on its call's one request message, once the client has half-closed the
 * call, as gRPC's own servers do. Vert.x hands a handler every message a call carries: run per message, a call of two
 * Put messages wrote both and answered one, and a RequestVote call of many delivered each with no answer. Both the KV
 * service and the Raft service bind their methods through this one piece.
 */
public final class OneMessageCall {

    private OneMessageCall() {
    }

    /**
     * Keeps the first message, runs {@code run} on it at the end of the request stream, and refuses a call that sends
     * more than one message (at the second, before anything runs) or none.
     *
     * @param call   the call
     * @param run    the method, given the one message
     * @param refuse answers the refusal: true if the call sent more than one message, false if it sent none
     * @param <Req>  the request message type
     */
    public static <Req> void bind(GrpcServerRequest<Req, ?> call, Consumer<Req> run, Consumer<Boolean> refuse) {
        One<Req> one = new One<>(run, refuse);
        call.handler(one::message);
        call.endHandler(v -> one.end());
    }

    /**
     * As {@link #bind(GrpcServerRequest, Consumer, Consumer)}, decoding the message here: a message that is not one of
     * the method's (bytes that are no protobuf message, a string field that is not UTF-8) is refused through
     * {@code invalid} with the decoder's reason. Vert.x's own decoding reset such a call's stream (CANCEL) and told
     * the client nothing: a review's Get of a key of bytes FF FE FD got no status at all.
     *
     * @param call    the call
     * @param decoder the method's request decoder
     * @param run     the method, given the one message
     * @param refuse  answers the refusal: true if the call sent more than one message, false if it sent none
     * @param invalid answers a message that does not decode, given why
     * @param <Req>   the request message type
     */
    public static <Req> void bind(GrpcServerRequest<Req, ?> call, GrpcMessageDecoder<Req> decoder, Consumer<Req> run,
            Consumer<Boolean> refuse, Consumer<String> invalid) {
        One<Req> one = new One<>(run, refuse);
        call.messageHandler(raw -> {
            if (one.refused) {
                return;
            }
            Req msg;
            try {
                msg = decoder.decode(raw);
            } catch (RuntimeException e) { // CodecException, and whatever a decoder of another format throws
                one.refused = true;
                Throwable why = e.getCause() != null ? e.getCause() : e;
                invalid.accept("the request message does not decode: " + why.getMessage());
                return;
            }
            one.message(msg);
        });
        call.endHandler(v -> one.end());
    }

    /** One call's message, kept until the end of its request stream. */
    private static final class One<Req> {

        private final Consumer<Req> run;
        private final Consumer<Boolean> refuse;
        private Req first;
        private boolean refused;

        One(Consumer<Req> run, Consumer<Boolean> refuse) {
            this.run = run;
            this.refuse = refuse;
        }

        void message(Req msg) {
            if (refused) {
                return;
            }
            if (first == null) {
                first = msg;
                return;
            }
            refused = true;
            first = null;
            refuse.accept(true);
        }

        void end() {
            if (refused) {
                return;
            }
            if (first == null) {
                refuse.accept(false);
                return;
            }
            run.accept(first);
        }
    }
}
