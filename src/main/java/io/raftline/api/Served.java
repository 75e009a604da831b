package io.raftline.api;

/**
 * A result and the node that produced it (the leader, when the request was forwarded), for the
 * {@code Raft-Served-By} header and its gRPC twin.
 *
 * @param value    the result
 * @param servedBy the id of the node that served the request
 * @param <T>      the result type
 */
public record Served<T>(T value, int servedBy) {
}
