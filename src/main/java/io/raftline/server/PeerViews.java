package io.raftline.server;

import io.raftline.api.http.PeerDirectory;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Asks another process's node for its own view of the cluster ({@code GET /v1/cluster?scope=local}), as a node run
 * one per process asks its peers what they run with before it starts ({@link GroupCountGuard}) and which kinds of log
 * entry they apply before it proposes a newer one ({@link PeerReleases}): one way to ask, with one bound on the wait.
 */
final class PeerViews {

    private PeerViews() {
    }

    /**
     * The view of {@code peer}, or nothing if its address is not known, it did not answer within {@code timeoutMs},
     * or it answered with another status than 200.
     *
     * @param client    the HTTP client
     * @param where     the peers' client ports and this node's credential for them
     * @param peer      the node asked
     * @param timeoutMs how long to wait, connection included
     * @return the view, or an empty optional; never fails
     */
    static Future<Optional<JsonObject>> local(HttpClient client, PeerDirectory where, int peer, long timeoutMs) {
        Optional<PeerDirectory.Address> a = where.httpAddress(peer).filter(x -> x.port() > 0);
        if (a.isEmpty()) {
            return Future.succeededFuture(Optional.empty());
        }
        RequestOptions ask = new RequestOptions().setMethod(HttpMethod.GET).setHost(a.get().host())
                .setPort(a.get().port()).setURI("/v1/cluster?scope=local").setConnectTimeout(timeoutMs)
                .setIdleTimeout(timeoutMs).setTimeout(timeoutMs);
        return client.request(where.authorize(ask)).compose(req -> req.send())
                .compose(resp -> resp.statusCode() == 200 ? resp.body().map(b -> Optional.of(b.toJsonObject()))
                        : Future.succeededFuture(Optional.<JsonObject>empty()))
                .otherwise(Optional.empty());
    }
}
