package io.raftline.transport.grpc;

import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Bounds the InstallSnapshot streams a process receives at once. Each stream is buffered whole before it is installed
 * (up to {@link GrpcTransport.Options#maxSnapshotBytes()}, 2 GiB by default), and nothing bounded how many were open:
 * one connection could open as many as HTTP/2 let it, each announcing the largest size. A stream is admitted at its
 * header, before any of its bytes are kept, and refused {@code RESOURCE_EXHAUSTED} (the sender reports the snapshot
 * lost and Raft sends it again after an election timeout) when:
 * <ul>
 *   <li>a snapshot of the same group from the same sender to the same node is already being received (a sender has
 *       one at a time: a second means the first was given up on, and the first's end frees the place);</li>
 *   <li>its connection has {@value #MAX_PER_CONNECTION} open already, or the process {@value #MAX_STREAMS};</li>
 *   <li>the sizes announced by the open streams and this one would pass {@code maxBytes} (a stream is always admitted
 *       when no other is open, so a snapshot as large as allowed always goes).</li>
 * </ul>
 * Thread-safe: the streams of different connections arrive on different event loops; every call is short.
 */
final class SnapshotIntake {

    /** Most InstallSnapshot streams open at once on one connection. */
    static final int MAX_PER_CONNECTION = 4;
    /** Most InstallSnapshot streams open at once in the process, every port and connection together. */
    static final int MAX_STREAMS = 16;

    private final long maxBytes;
    private final Set<Key> open = new HashSet<>();
    private final Map<HttpConnection, Integer> perConnection = new HashMap<>();
    private long announced;

    /**
     * Creates the bound of one process.
     *
     * @param maxBytes most bytes the open streams may announce together (one stream alone may announce more)
     */
    SnapshotIntake(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A stream's place: the node it is for, its group and its sender. */
    private record Key(int node, int group, int from) {
    }

    /**
     * Admits a stream whose header just arrived, or refuses it.
     *
     * @param node       the node it is for
     * @param group      its group as it came off the wire
     * @param from       its sender
     * @param connection the connection it arrived on
     * @param bytes      the size its header announces
     * @return what frees its place once the stream is done (idempotent)
     * @throws StatusException RESOURCE_EXHAUSTED, saying which bound it met
     */
    synchronized Runnable admit(int node, int group, int from, HttpConnection connection, long bytes) {
        Key key = new Key(node, group, from);
        String why = null;
        if (open.contains(key)) {
            why = "a snapshot of group " + Integer.toUnsignedString(group) + " from node " + from + " to node " + node
                    + " is already being received: one at a time";
        } else if (perConnection.getOrDefault(connection, 0) >= MAX_PER_CONNECTION) {
            why = MAX_PER_CONNECTION + " snapshot streams are open on this connection already";
        } else if (open.size() >= MAX_STREAMS) {
            why = "this process receives " + MAX_STREAMS + " snapshot streams already";
        } else if (!open.isEmpty() && announced + bytes > maxBytes) {
            why = "the snapshots being received announce " + announced + " bytes, and " + bytes + " more would pass "
                    + maxBytes;
        }
        if (why != null) {
            throw new StatusException(GrpcStatus.RESOURCE_EXHAUSTED, why + " (the snapshot is not installed; retry"
                    + " once one has ended)");
        }
        open.add(key);
        perConnection.merge(connection, 1, Integer::sum);
        announced += bytes;
        boolean[] released = {false};
        return () -> {
            synchronized (this) {
                if (released[0]) {
                    return;
                }
                released[0] = true;
                open.remove(key);
                perConnection.computeIfPresent(connection, (c, n) -> n == 1 ? null : n - 1);
                announced -= bytes;
            }
        };
    }
}
