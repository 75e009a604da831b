package io.raftline.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the HTTP client a node calls the other nodes' client ports with (forwarded requests, cluster status,
 * membership calls, the start-up check of the number of groups).
 *
 * <p>Why not a plain {@code vertx.createHttpClient}: the client keeps connections to the leader alive in its pool, and
 * when the leader's process dies ({@code kill -9}, a crash, a host gone) each of them reads a reset. Vert.x logs a
 * connection's exception as an ERROR when the connection has no handler for it, so every crash of a member printed one
 * to three lines {@code ERROR ConnectionBase Connection reset} on each survivor (seen in {@code verify --mode processes}),
 * a line that names neither the peer nor the cause and that an operator cannot tell from a real fault. A member's
 * death is routine for a Raft cluster and is reported where it matters (the nodes' roles, {@code /v1/cluster}); here
 * a reset is logged at debug level with the peer's address. Requests in flight on the connection still fail as before
 * (their own handlers get the exception), and the pool drops the connection.
 */
final class PeerHttpClient {

    private static final Logger LOG = LoggerFactory.getLogger(PeerHttpClient.class);

    private PeerHttpClient() {
    }

    /**
     * The client.
     *
     * @param vertx   the Vert.x instance
     * @param options the client options (TLS, keep-alive)
     * @param pool    the pool options
     * @return the client
     */
    static HttpClientAgent create(Vertx vertx, HttpClientOptions options, PoolOptions pool) {
        return vertx.httpClientBuilder().with(options).with(pool).withConnectHandler(PeerHttpClient::connected).build();
    }

    private static void connected(HttpConnection connection) {
        connection.exceptionHandler(e -> LOG.debug("connection to {} failed: {}", connection.remoteAddress(),
                e.toString()));
    }
}
