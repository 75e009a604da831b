package io.raftline.ui;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
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
 * <p>Everything else is passed to the SockJS socket underneath. Not thread-safe: one connection's frames arrive on
 * its own context.
 *
 * <p>It extends Vert.x's {@link SockJSSocketBase} rather than only implementing {@link SockJSSocket} because the
 * bridge's ping timeout closes an idle socket through a cast to that class: a plain {@code SockJSSocket} made that
 * cast throw a {@link ClassCastException} on a timer, every 15 s, so a client that went away without closing (a
 * sleeping laptop, a cut network, a killed browser) was never dropped and kept its feed of events. The base class is
 * given no write handler (as the SockJS handler is configured) and every method it implements is overridden here.
 */
final class RateLimitedSocket extends SockJSSocketBase {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitedSocket.class);

    /** The close code of a flooding connection. */
    static final int FLOOD_CLOSE_CODE = 4029;

    private final SockJSSocket socket;
    private final FrameRateLimit limit;
    private final int perSecond;

    /**
     * Wraps a socket.
     *
     * @param vertx     the Vert.x instance (kept by the base class; no write handler is registered)
     * @param socket    the SockJS socket
     * @param perSecond frames the client may send per second, at least 1
     */
    RateLimitedSocket(Vertx vertx, SockJSSocket socket, int perSecond) {
        super(vertx, socket.routingContext(), new SockJSHandlerOptions().setRegisterWriteHandler(false));
        this.socket = socket;
        this.perSecond = perSecond;
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
        return socket.write(data);
    }

    @Override
    public Future<Void> write(String data) {
        return socket.write(data);
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
