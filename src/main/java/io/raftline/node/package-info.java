/**
 * The host of one Raft core: {@link io.raftline.node.RaftNodeVerticle} owns the core, its tick timer and its
 * Ready loop on one event loop, applies committed entries to the key-value state machine and answers client
 * requests ({@link io.raftline.node.RaftNode}). The core stays pure; everything with a clock, a thread or I/O
 * is here or behind the {@link io.raftline.node.LogStore} and {@link io.raftline.transport.Transport} seams.
 */
package io.raftline.node;
