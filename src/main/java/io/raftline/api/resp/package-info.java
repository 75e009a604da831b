/**
 * The key-value API over the Redis protocol (RESP2, and RESP3 after {@code HELLO 3}), one listener per node on its
 * {@code resp_port}, so that {@code redis-cli}, {@code redis-benchmark} and Redis client libraries work against
 * Raftline. It is one more front end over the same {@link io.raftline.api.KvRequests} layer as HTTP and gRPC:
 * followers forward to the leader, reads are linearizable, and errors keep the same meaning. See
 * {@code docs/redis.md}.
 */
package io.raftline.api.resp;
