package io.raftline.transport;

import java.util.Map;

/**
 * What one node's messages wait for inside a transport, where the node cannot see them: the messages delivered to
 * the node's address (or port) that its event loop has not taken yet, and, on a transport with calls or streams, the
 * messages to each peer that have left the node but not the transport (a stream not open yet, writes not completed).
 * The live view shows them beside the node's own queues (see {@code QueueStats}), so that a user sees work pile up in
 * the transport under load or in front of a peer that does not answer, not only in the node.
 *
 * @param inbox    messages for the node that the transport delivered and its event loop has not taken yet
 * @param inflight peer → messages to it still in the transport (empty on a transport that hands messages over at once)
 */
public record TransportQueues(int inbox, Map<Integer, Integer> inflight) {

    /** Nothing waits (a transport that does not count). */
    public static final TransportQueues EMPTY = new TransportQueues(0, Map.of());

    /**
     * Freezes the per-peer figures.
     *
     * @param inbox    waiting for the node's loop
     * @param inflight per peer
     */
    public TransportQueues {
        inflight = Map.copyOf(inflight);
    }

    /** @return the messages to every peer still in the transport */
    public int inflightTotal() {
        return inflight.values().stream().mapToInt(Integer::intValue).sum();
    }
}
