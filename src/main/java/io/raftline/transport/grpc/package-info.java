/**
 * The gRPC transport for real networks: {@code raft.proto}'s RaftService carries the core's messages between
 * nodes. Protobuf stays here, at the edge; the core only ever sees its own records.
 */
package io.raftline.transport.grpc;
