package io.raftline.transport.grpc;

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
        Object[] first = new Object[1];
        boolean[] refused = {false};
        call.handler(msg -> {
            if (refused[0]) {
                return;
            }
            if (first[0] == null) {
                first[0] = msg;
                return;
            }
            refused[0] = true;
            first[0] = null;
            refuse.accept(true);
        });
        call.endHandler(v -> {
            if (refused[0]) {
                return;
            }
            if (first[0] == null) {
                refuse.accept(false);
                return;
            }
            @SuppressWarnings("unchecked")
            Req msg = (Req) first[0];
            run.accept(msg);
        });
    }
}
