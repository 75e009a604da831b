/**
 * How Raft messages travel between nodes: the {@link io.raftline.transport.Transport} interface, the
 * event-bus transport with its local/clustered codec and versioned binary wire format, and the
 * {@link io.raftline.transport.NetworkConditioner} through which faults (partitions, loss, delay,
 * duplication, paused nodes) are injected without any test hook in the nodes.
 */
package io.raftline.transport;
