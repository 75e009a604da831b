package io.raftline.api.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * Proxies a client request from a follower to the leader's HTTP API and relays the answer, so a client can
 * talk to any node. A {@value #FORWARDED_BY} header marks forwarded requests: a node never forwards a
 * request that was already forwarded (two nodes that each believe the other leads would otherwise bounce
 * it forever); it answers 503 with a leader hint instead.
 */
public final class LeaderForwarder {

    /** Header a forwarding node adds, with its id. */
    public static final String FORWARDED_BY = "Raft-Forwarded-By";
    /** Header on a relayed answer: the node that actually served it. */
    public static final String SERVED_BY = "Raft-Served-By";

    private static final List<String> REQUEST_HEADERS = List.of("Content-Type", "Idempotency-Key", "Accept");
    private static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Raft-Revision", "Retry-After",
            SERVED_BY);

    private final HttpClient client;
    private final PeerDirectory peers;
    private final int self;
    private final long timeoutMs;

    /**
     * Creates a forwarder.
     *
     * @param client    the HTTP client (owned by the caller, which closes it)
     * @param peers     where the nodes are
     * @param self      this node's id
     * @param timeoutMs how long to wait for the leader
     */
    public LeaderForwarder(HttpClient client, PeerDirectory peers, int self, long timeoutMs) {
        this.client = client;
        this.peers = peers;
        this.self = self;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Whether the request came from another node.
     *
     * @param request the request
     * @return true if it carries {@value #FORWARDED_BY}
     */
    public static boolean wasForwarded(HttpServerRequest request) {
        return request.getHeader(FORWARDED_BY) != null;
    }

    /**
     * Forwards the request to {@code leader} and ends {@code ctx} with its answer (or with 503/504 if the
     * leader cannot be reached in time).
     *
     * @param ctx    the client's request (body already read)
     * @param leader the leader's id
     */
    public void forward(RoutingContext ctx, int leader) {
        HttpServerRequest in = ctx.request();
        Optional<PeerDirectory.Address> address = peers.httpAddress(leader);
        if (address.isEmpty()) {
            HttpErrors.send(ctx, 503, new JsonObject().put("error", "no_leader")
                    .put("message", "the leader (node " + leader + ") has no known HTTP address").put("leaderHint", leader));
            return;
        }
        RequestOptions options = new RequestOptions()
                .setMethod(in.method())
                .setHost(address.get().host())
                .setPort(address.get().port())
                .setURI(in.uri())
                .setConnectTimeout(timeoutMs)
                .setIdleTimeout(timeoutMs)
                .putHeader(FORWARDED_BY, String.valueOf(self));
        for (String h : REQUEST_HEADERS) {
            String v = in.getHeader(h);
            if (v != null) {
                options.putHeader(h, v);
            }
        }
        Buffer body = ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        client.request(options)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> new Relayed(resp, b)))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        relay(ctx, ar.result(), leader);
                    } else {
                        Throwable t = ar.cause();
                        boolean timeout = t instanceof java.util.concurrent.TimeoutException
                                || String.valueOf(t.getMessage()).toLowerCase().contains("timeout")
                                || String.valueOf(t.getMessage()).toLowerCase().contains("timed out");
                        if (timeout) {
                            HttpErrors.send(ctx, 504, new JsonObject().put("error", "timeout").put("message",
                                    "the leader (node " + leader + ") did not answer within " + timeoutMs + " ms")
                                    .put("leaderHint", leader));
                        } else {
                            HttpErrors.send(ctx, 503, new JsonObject().put("error", "leader_unreachable").put("message",
                                    "cannot reach the leader (node " + leader + "): " + t.getMessage())
                                    .put("leaderHint", leader));
                        }
                    }
                });
    }

    private void relay(RoutingContext ctx, Relayed r, int leader) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(r.response.statusCode());
        for (String h : RESPONSE_HEADERS) {
            String v = r.response.getHeader(h);
            if (v != null) {
                ctx.response().putHeader(h, v);
            }
        }
        if (r.response.getHeader(SERVED_BY) == null) {
            ctx.response().putHeader(SERVED_BY, String.valueOf(leader));
        }
        ctx.response().end(r.body);
    }

    private record Relayed(HttpClientResponse response, Buffer body) {
    }
}
