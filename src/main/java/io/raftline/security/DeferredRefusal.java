package io.raftline.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Holds back the answer to a call refused before its request was read (a gRPC call without a client certificate, or
 * without the client token) until the client has finished sending that request, for at most {@link #GRACE_MS}.
 *
 * <p>It exists because an answer that ends the stream while the client is still uploading is legal HTTP/2 but not
 * handled by every client: curl 7.88 (Debian 12's), when the complete answer arrives between the request's head and
 * its body, sends the body and then waits for an end it never notices until its own timeout; and if the server also
 * resets the stream with {@code NO_ERROR} (RFC 9113 section 8.1), it drops the answer it already has and fails. A
 * refusal that comes after the request's end is the ordinary order of an HTTP exchange, which every client handles.
 * What arrives meanwhile is discarded unread (the caller's data handler); nothing of it is decoded or kept.
 *
 * <p>The bound is for clients that never end their request before they hear an answer (a bidirectional gRPC stream):
 * they are answered after {@link #GRACE_MS} anyway, and the port then resets the stream as RFC 9113 allows
 * ({@code io.raftline.server.HttpServerVerticle}). A client that resets its request meanwhile is not answered.
 * Everything runs on the request's event loop (its handlers, futures and this timer all run there).
 */
public final class DeferredRefusal {

    /** How long a refusal waits at most for the end of the request it answers, in milliseconds. */
    public static final long GRACE_MS = 2_000;

    private final Vertx vertx;
    private final Runnable answer;
    private long timer;
    private boolean done;

    private DeferredRefusal(Vertx vertx, Runnable answer) {
        this.vertx = vertx;
        this.answer = answer;
    }

    /**
     * Answers once the request has ended, or after {@link #GRACE_MS}, whichever comes first; not at all if the
     * request fails (the client reset it) or {@link #abandon()} is called first. The caller has already set a handler
     * that discards the request's data: data nobody reads would stall the client's upload once the stream's
     * flow-control window is full, and the end would never come.
     *
     * @param vertx      the Vert.x instance (for the timer)
     * @param requestEnd completes when the request has fully arrived ({@code end()} of the HTTP or gRPC request)
     * @param answer     writes the refusal and ends the response; runs at most once
     * @return the pending refusal
     */
    public static DeferredRefusal afterRequest(Vertx vertx, Future<Void> requestEnd, Runnable answer) {
        DeferredRefusal refusal = new DeferredRefusal(vertx, answer);
        refusal.timer = vertx.setTimer(GRACE_MS, t -> refusal.answer());
        requestEnd.onComplete(ar -> {
            if (ar.succeeded()) {
                refusal.answer();
            } else {
                refusal.abandon();
            }
        });
        return refusal;
    }

    /** Gives up the answer: the client reset the stream, nobody is left to hear it. */
    public void abandon() {
        finish();
    }

    private void answer() {
        if (finish()) {
            answer.run();
        }
    }

    private boolean finish() {
        if (done) {
            return false;
        }
        done = true;
        vertx.cancelTimer(timer);
        return true;
    }
}
