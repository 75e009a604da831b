package io.raftline.node;

import io.raftline.raft.PeerStatus;
import java.util.Map;

/**
 * What waits in one node, as the node itself sees it: the live view draws it so that a user sees where work piles
 * up (a leader whose followers lag, proposals waiting for a quorum, a frozen node's held inputs). Taken on the
 * node's event loop, so its figures are consistent with each other.
 *
 * @param node             the node
 * @param pendingProposals writes accepted and not yet answered (queued, proposed, not applied)
 * @param inbox            inputs (messages, requests) that arrived and wait to be handled: a frozen node holds them
 * @param links            a leader's replication state per follower (empty on other nodes): {@code inflight} is the
 *                         number of AppendEntries sent and not yet acknowledged
 * @param transportInbox   messages for the node that its transport delivered and its event loop has not taken yet
 * @param transportOut     peer → the node's messages to it still in the transport (gRPC: a stream not open yet,
 *                         writes not completed, snapshot calls not answered; empty on the event bus)
 */
public record QueueStats(int node, int pendingProposals, int inbox, Map<Integer, PeerStatus> links,
        int transportInbox, Map<Integer, Integer> transportOut) {

    /**
     * Freezes the links.
     *
     * @param node             the node
     * @param pendingProposals pending writes
     * @param inbox            held inputs
     * @param links            per follower
     * @param transportInbox   waiting in the transport for the node's loop
     * @param transportOut     per peer, still in the transport
     */
    public QueueStats {
        links = Map.copyOf(links);
        transportOut = Map.copyOf(transportOut);
    }

    /**
     * The node's own figures, with nothing counted in its transport.
     *
     * @param node             the node
     * @param pendingProposals pending writes
     * @param inbox            held inputs
     * @param links            per follower
     */
    public QueueStats(int node, int pendingProposals, int inbox, Map<Integer, PeerStatus> links) {
        this(node, pendingProposals, inbox, links, 0, Map.of());
    }
}
