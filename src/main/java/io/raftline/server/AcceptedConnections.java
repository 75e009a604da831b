package io.raftline.server;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Every connection a Vert.x HTTP server has accepted, as Netty channels, including those it has not shown to its
 * connection handler yet; {@link HttpServerVerticle} uses it to hold those to the request head's deadline too.
 *
 * <p>Why it exists: with h2c on (the client ports, for gRPC without TLS), Vert.x 5.0.7 keeps a new plain-text
 * connection inside Netty until its first request head is complete ({@code Http1xOrH2CHandler} waits for the first
 * bytes to tell the HTTP/2 preface from HTTP/1.x, then {@code Http1xUpgradeToH2CHandler} waits for the head to see
 * whether it asks for an upgrade) and calls {@link HttpServer#connectionHandler} only then; an HTTP/2 connection
 * (h2c or TLS) is shown once its first SETTINGS frame has been read. Until then no public API sees it, so a client
 * that trickles that first head one byte at a time is bounded only by the idle timeout, which every byte resets.
 * Vert.x has no hook for the accepted channel: no option adds a handler to its pipeline and the HTTP server's
 * {@code NetServerImpl} is private to it. It does keep every accepted channel in a Netty {@link ChannelGroup} (for its
 * graceful shutdown), added when the channel is accepted and removed by Netty when it closes. This class reads that
 * group, by reflection on two private fields ({@code HttpServerImpl.tcpServer}, {@code NetServerImpl.channelGroup});
 * and tells a shown connection by a channel attribute set from the connection handler, whose connections implement
 * the internal interface {@link io.vertx.core.http.impl.HttpServerConnection} (the channel of each). Nothing of it is
 * on a request's path: it is read by a periodic sweep. The same channel gives Netty's count of an HTTP/2 connection's
 * streams ({@link #http2}), which Vert.x's API does not show either.
 *
 * <p>If a Vert.x upgrade renames those fields, {@link #of} returns null and the server keeps every other limit (the
 * listener logs a warning); {@code ListenerLimitsTest} fails then, so the upgrade cannot pass unnoticed.
 */
final class AcceptedConnections {

    /** Set on a channel once the server's connection handler has been given its connection. */
    private static final AttributeKey<Boolean> SHOWN = AttributeKey.valueOf(AcceptedConnections.class, "shown");
    /** When a sweep first found a channel not shown yet (nanoTime). */
    private static final AttributeKey<Long> UNSHOWN_SINCE =
            AttributeKey.valueOf(AcceptedConnections.class, "unshownSince");

    private final ChannelGroup channels;

    private AcceptedConnections(ChannelGroup channels) {
        this.channels = channels;
    }

    /**
     * Finds the accepted channels of a listening server.
     *
     * @param server a server whose {@code listen} has completed
     * @return its channels, or null if this Vert.x does not keep them where 5.0.7 does
     */
    static AcceptedConnections of(HttpServer server) {
        try {
            if (!(server instanceof io.vertx.core.http.impl.HttpServerImpl)) {
                return null;
            }
            Object tcp = field(io.vertx.core.http.impl.HttpServerImpl.class, "tcpServer").get(server);
            if (!(tcp instanceof io.vertx.core.net.impl.NetServerImpl)) {
                return null;
            }
            Object group = field(io.vertx.core.net.impl.NetServerImpl.class, "channelGroup").get(tcp);
            return group instanceof ChannelGroup g ? new AcceptedConnections(g) : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /**
     * Marks a connection as shown to the server (its connection handler got it): from now on the listener's own
     * bookkeeping bounds it. Once per connection.
     *
     * @param connection a connection the HTTP server gave its connection handler
     */
    static void shown(HttpConnection connection) {
        if (connection instanceof io.vertx.core.http.impl.HttpServerConnection c) {
            c.channelHandlerContext().channel().attr(SHOWN).set(Boolean.TRUE);
        }
    }

    /**
     * The streams of an HTTP/2 connection, as Netty counts them (Vert.x's public API does not: a stream is seen only
     * once its request arrives, never while its header block is still coming).
     *
     * @param connection a connection the HTTP server gave its connection handler
     * @return Netty's view of its streams (read it on the connection's event loop), or null for HTTP/1.x
     */
    static Http2Connection http2(HttpConnection connection) {
        if (connection instanceof io.vertx.core.http.impl.HttpServerConnection c) {
            Http2ConnectionHandler handler = c.channelHandlerContext().pipeline().get(Http2ConnectionHandler.class);
            return handler == null ? null : handler.connection();
        }
        return null;
    }

    /**
     * The open channels not shown to the server within {@code deadlineNanos} of when a sweep first found them (the
     * caller closes them).
     *
     * @param now           the time of this sweep (nanoTime)
     * @param deadlineNanos how long a channel may stay unshown
     * @return those channels (usually none: an empty list, not allocated)
     */
    List<Channel> lateUnshown(long now, long deadlineNanos) {
        List<Channel> late = List.of();
        for (Channel ch : channels) {
            if (ch.hasAttr(SHOWN) || !ch.isOpen()) {
                continue;
            }
            Attribute<Long> since = ch.attr(UNSHOWN_SINCE);
            Long first = since.get();
            if (first == null) {
                since.set(now);
            } else if (now - first >= deadlineNanos) {
                if (late.isEmpty()) {
                    late = new ArrayList<>();
                }
                late.add(ch);
            }
        }
        return late;
    }
}
