package io.raftline.app;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Keeps Vert.x's "Connection reset" errors out of a node's log (it is installed on the console appender of the
 * shipped {@code logback.xml}).
 *
 * <p>Why: Vert.x logs an exception on a connection that has no handler for it as an ERROR of its own
 * ({@code io.vertx.core.net.impl.ConnectionBase}), with nothing but the exception's message. The clustered event bus
 * keeps a connection to every other process and sets no such handler, so each time a member's process dies
 * ({@code kill -9}, a crash, a host gone) every survivor printed {@code ERROR ConnectionBase Connection reset}: routine
 * for a Raft cluster, whose members crash by design, and indistinguishable from a real fault for whoever reads the
 * log. What the death means is logged already where it matters ({@code NodeClusterManager}: "the process of node N
 * left the clustered event bus", the nodes' elections). The connections Raftline opens itself handle their resets
 * (see {@code PeerHttpClient}). Only a peer's reset or a write into the connection it left ("Broken pipe") is
 * filtered, and only from that logger: any other connection error still comes out.
 */
public final class ConnectionResetFilter extends Filter<ILoggingEvent> {

    /** The logger Vert.x reports unhandled connection exceptions with. */
    static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";

    /** Logback builds it from the configuration. */
    public ConnectionResetFilter() {
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return CONNECTION_LOGGER.equals(event.getLoggerName()) && isPeerGone(event.getMessage())
                ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    /**
     * Whether a connection's exception message says its peer went away: the JDK's "Connection reset", the native
     * transports' "...: Connection reset by peer" and "...: Broken pipe".
     */
    static boolean isPeerGone(String message) {
        return message != null && (message.equals("Connection reset") || message.endsWith("Connection reset by peer")
                || message.endsWith("Broken pipe"));
    }
}
