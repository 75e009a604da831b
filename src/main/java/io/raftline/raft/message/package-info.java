/**
 * The messages Raft nodes exchange, one record per kind behind the sealed {@link io.raftline.raft.message.Message}.
 * They are plain values: transports map them to their wire format (local codec, JSON, protobuf) at the edge.
 */
package io.raftline.raft.message;
