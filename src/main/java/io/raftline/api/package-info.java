/**
 * The key-value requests every client protocol shares: {@link io.raftline.api.KvRequests} decides whether a
 * node serves a request or forwards it to the leader, and hands back results and failures that each front end
 * (HTTP in {@code api.http}, gRPC in {@code api.grpc}) only translates into its own wire form. Forwarding
 * between nodes goes through one {@link io.raftline.api.LeaderLink}, whatever protocol the client spoke.
 */
package io.raftline.api;
