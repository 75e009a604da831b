package io.raftline.ui;

import io.raftline.events.EventPublisher;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.subscribers.DisposableSubscriber;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.rxjava3.RxHelper;

/**
 * Writes one browser's {@link io.raftline.events.ViewerFeed} to its SockJS socket as the bridge's own frames
 * ({@code {"type":"rec","address":"raft.events","body":event}}), so the page's event-bus client reads them as it
 * would read a bridged publication.
 *
 * <p>It is the end of the feed's backpressure: at most {@link #IN_FLIGHT} frames are written and not yet handed to
 * the connection; the next is requested only when one of them is. A browser (or a link) that reads slowly therefore
 * slows its own feed, and the feed then thins and, if need be, resynchronises it, instead of the server buffering
 * without bound. Frames are encoded on the pipeline's scheduler; only the writes happen on the socket's context.
 */
final class SocketFeed extends DisposableSubscriber<Buffer> {

    /** Frames written to the socket and not yet flushed to its connection, at most. */
    static final int IN_FLIGHT = 64;

    private final SockJSSocket socket;

    private SocketFeed(SockJSSocket socket) {
        this.socket = socket;
    }

    /**
     * Starts writing a feed to a socket.
     *
     * @param events    the browser's events (on the pipeline's scheduler)
     * @param socket    the browser's socket
     * @param socketCtx the socket's context, where the writes happen
     * @return disposing it stops the feed
     */
    static Disposable start(Flowable<JsonObject> events, SockJSSocket socket, Context socketCtx) {
        return events
                .map(e -> new JsonObject().put("type", "rec").put("address", EventPublisher.ADDRESS).put("body", e)
                        .toBuffer())
                .observeOn(RxHelper.scheduler(socketCtx), false, IN_FLIGHT)
                .subscribeWith(new SocketFeed(socket));
    }

    @Override
    protected void onStart() {
        request(IN_FLIGHT);
    }

    @Override
    public void onNext(Buffer frame) {
        socket.write(frame).onComplete(ar -> {
            if (ar.succeeded()) {
                request(1);
            } else {
                dispose(); // the socket closed
            }
        });
    }

    @Override
    public void onError(Throwable t) {
        socket.close(1011, "event feed failed: " + t.getMessage());
    }

    @Override
    public void onComplete() {
        socket.close(1001, "event stream ended");
    }
}
