package io.raftline.ui;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live-view connection as the event-bus bridge sees it: every frame the client sends (each SockJS message, whatever
 * it is) is counted against the connection's {@link FrameRateLimit} before the bridge reads it. It exists because the
 * bridge tells its hook about commands, subscriptions and pings only after parsing a frame, and about a frame it cannot
 * use (not JSON, no {@code type}, no {@code address}, an unknown type) not at all: it answers an error frame itself. So
 * a limit applied in the hook let a client flood the bridge with pings or malformed frames, each parsed and most
 * answered, without ever being cut. Here a frame beyond the limit is dropped unread (answered by {@code rate_limited}),
 * and a connection that keeps on is closed (code 4029). The size of a frame is bounded before it gets here (the
 * listener's {@code limits.max_ws_frame_bytes}, the HTTP fallback's body limit).
 *
 * <p>It also bounds what the server holds for a client that does not read: every frame written to the connection
 * (the event feed's, and the bridge's own answers: replies, refusals, error frames) counts until the connection took
 * it, and a write that would leave more than {@code maxUnreadBytes} waiting closes the connection (code 4008) instead
 * of being queued. The event feed bounds itself ({@link SocketFeed}), but the bridge answers every frame a client
 * sends and never asks whether the last answer was read: a client that sent its 50 frames a second and read nothing
 * (no token needed: each refusal is an answer) had them all kept, without bound, until the server ran out of memory.
 *
 * <p>It is a {@code SockJSSocketBase}, not only a {@link SockJSSocket}, because the bridge casts its socket to that class
 * when a client stops pinging ({@code closeAfterSessionExpired}): a plain wrapper made that cast fail every ping
 * timeout, so a client that never pinged was never closed, and each of its timeouts logged a
 * {@code ClassCastException}.
 *
 * <p>Everything else is passed to the SockJS socket underneath. Frames arrive on the connection's own context; the
 * count of unread bytes may be changed from any thread.
 */
final class RateLimitedSocket extends io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitedSocket.class);

    /** The close code of a flooding connection. */
    static final int FLOOD_CLOSE_CODE = 4029;

    /** The close code of a connection that left more than its bound of frames unread. */
    static final int UNREAD_CLOSE_CODE = 4008;

    private final SockJSSocket socket;
    private final FrameRateLimit limit;
    private final int perSecond;
    private final long maxUnreadBytes;
    /** Bytes written and not yet taken by the connection. */
    private final java.util.concurrent.atomic.AtomicLong unread = new java.util.concurrent.atomic.AtomicLong();
    /** Set once the bound was passed: nothing more is written. */
    private volatile boolean unreadClosed;

    /**
     * Wraps a socket.
     *
     * @param vertx          the Vert.x instance
     * @param socket         the SockJS socket
     * @param perSecond      frames the client may send per second, at least 1
     * @param maxUnreadBytes bytes written to the client and not yet taken by its connection, at most; a write beyond
     *                       closes the connection
     */
    RateLimitedSocket(io.vertx.core.Vertx vertx, SockJSSocket socket, int perSecond, long maxUnreadBytes) {
        // No write handler of its own (the socket underneath has what its options asked for).
        super(vertx, socket.routingContext(), new io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions()
                .setRegisterWriteHandler(false));
        if (maxUnreadBytes < 1) {
            throw new IllegalArgumentException("maxUnreadBytes must be >= 1, got " + maxUnreadBytes);
        }
        this.socket = socket;
        this.perSecond = perSecond;
        this.maxUnreadBytes = maxUnreadBytes;
        this.limit = new FrameRateLimit(perSecond);
    }

    @Override
    public SockJSSocket handler(Handler<Buffer> handler) {
        socket.handler(handler == null ? null : data -> {
            FrameRateLimit.Verdict v = limit.admit(System.nanoTime());
            if (v == FrameRateLimit.Verdict.ADMIT) {
                handler.handle(data);
            } else if (v == FrameRateLimit.Verdict.CLOSE) {
                LOG.warn("closed a live-view connection from {}: a flood of frames", socket.remoteAddress());
                socket.close(FLOOD_CLOSE_CODE, "too many frames");
            } else {
                refuse(data);
            }
        });
        return this;
    }

    /**
     * Answers a frame refused for the rate: on its reply address if it is a command that has one (so the sender's
     * request ends with a reason instead of a timeout), else with an error frame. Reading it for that costs at most
     * {@link FrameRateLimit#FLOOD_REFUSALS} parses a second before the connection is closed.
     */
    private void refuse(Buffer data) {
        String message = "more than " + perSecond + " frames a second on this connection";
        JsonObject raw = null;
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(data);
            raw = parsed instanceof JsonObject o ? o : null;
        } catch (RuntimeException notJson) {
            // Refused all the same; answered without an address.
        }
        Object replyAddress = raw == null ? null : raw.getValue("replyAddress");
        Object address = raw == null ? null : raw.getValue("address");
        if (raw != null && "send".equals(raw.getValue("type")) && replyAddress instanceof String reply) {
            socket.write(Buffer.buffer(new JsonObject().put("type", "rec").put("address", reply)
                    .put("body", new JsonObject().put("ok", false).put("error", "rate_limited").put("message", message))
                    .encode()));
        } else {
            socket.write(Buffer.buffer(new JsonObject().put("type", "err")
                    .put("address", address instanceof String a ? a : null).put("body", "rate_limited")
                    .put("message", message).encode()));
        }
    }

    @Override
    public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
        socket.exceptionHandler(handler);
        return this;
    }

    @Override
    public SockJSSocket pause() {
        socket.pause();
        return this;
    }

    @Override
    public SockJSSocket resume() {
        socket.resume();
        return this;
    }

    @Override
    public SockJSSocket fetch(long amount) {
        socket.fetch(amount);
        return this;
    }

    @Override
    public SockJSSocket endHandler(Handler<Void> handler) {
        socket.endHandler(handler);
        return this;
    }

    @Override
    public SockJSSocket closeHandler(Handler<Void> handler) {
        socket.closeHandler(handler);
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        return counted(data.length(), () -> socket.write(data));
    }

    @Override
    public Future<Void> write(String data) {
        // Characters, not bytes: the bound is a memory bound, and a char takes at least a byte.
        return counted(data.length(), () -> socket.write(data));
    }

    /**
     * Writes a frame if the client has not left too much unread, else closes the connection: the frames already
     * waiting go with it, and nothing more is kept for a client that does not read.
     */
    private Future<Void> counted(long bytes, java.util.function.Supplier<Future<Void>> write) {
        if (unreadClosed) {
            return Future.failedFuture("the live-view connection was closed: its client did not read");
        }
        if (unread.addAndGet(bytes) > maxUnreadBytes) {
            unread.addAndGet(-bytes);
            unreadClosed = true;
            LOG.warn("closed a live-view connection from {}: it left more than {} bytes unread",
                    socket.remoteAddress(), maxUnreadBytes);
            socket.close(UNREAD_CLOSE_CODE, "not reading");
            return Future.failedFuture("the live-view connection was closed: its client did not read");
        }
        return write.get().andThen(ar -> unread.addAndGet(-bytes));
    }

    @Override
    public SockJSSocket setWriteQueueMaxSize(int maxSize) {
        socket.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    @Override
    public SockJSSocket drainHandler(Handler<Void> handler) {
        socket.drainHandler(handler);
        return this;
    }

    @Override
    public String writeHandlerID() {
        return socket.writeHandlerID();
    }

    @Override
    public Future<Void> end() {
        return socket.end();
    }

    @Override
    public Future<Void> end(Buffer data) {
        return socket.end(data);
    }

    @Override
    public void close() {
        socket.close();
    }

    @Override
    public void close(int statusCode, String reason) {
        socket.close(statusCode, reason);
    }

    /** What the bridge calls when the client stopped pinging: the transport's own way of closing for that. */
    @Override
    public void closeAfterSessionExpired() {
        if (socket instanceof io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase base) {
            base.closeAfterSessionExpired();
        } else {
            socket.close();
        }
    }

    @Override
    public SocketAddress remoteAddress() {
        return socket.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public MultiMap headers() {
        return socket.headers();
    }

    @Override
    public String uri() {
        return socket.uri();
    }

    @Override
    public RoutingContext routingContext() {
        return socket.routingContext();
    }

    @Override
    public Session webSession() {
        return socket.webSession();
    }

    @Override
    public User webUser() {
        return socket.webUser();
    }
}
