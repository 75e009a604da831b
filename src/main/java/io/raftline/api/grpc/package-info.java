/**
 * The key-value API over gRPC ({@code kv.proto}'s KvService), served on every node's client port next to the
 * HTTP API, with the same semantics: followers forward to the leader, errors map to gRPC statuses with
 * {@code raft-*} trailers. See {@code docs/grpc-api.md}.
 */
package io.raftline.api.grpc;
