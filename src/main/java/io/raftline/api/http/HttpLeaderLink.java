package io.raftline.api.http;

import io.raftline.api.Fetch;
import io.raftline.api.ForwardCodec;
import io.raftline.api.GetResult;
import io.raftline.api.LeaderLink;
import io.raftline.api.LookupResult;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The {@link LeaderLink} over HTTP: a follower posts the request in {@link ForwardCodec}'s binary form to
 * {@value #PATH} on the leader's client port, which answers in the same form. One pooled HTTP client for all
 * forwarding, whatever protocol the client spoke (HTTP or gRPC).
 */
public final class HttpLeaderLink implements LeaderLink {

    /** The leader's endpoint for forwarded requests. */
    public static final String PATH = "/v1/internal/kv";
    /** Header with the id of the forwarding node. */
    public static final String FORWARDED_BY = "Raft-Forwarded-By";
    /** Header with the Raft group a forwarded request is for; absent for group 0. */
    public static final String GROUP = "Raft-Group";

    /** A request larger than this is written in slices of this size ({@link #sendInSlices}). */
    static final int SLICE_BYTES = 1 << 20;

    private final HttpClient client;
    private final PeerDirectory peers;
    private final int self;
    private final long timeoutMs;

    /**
     * Creates the link of one node.
     *
     * @param client    the HTTP client (owned by the caller, which closes it)
     * @param peers     where the nodes' client ports are
     * @param self      this node's id
     * @param timeoutMs how long to wait for the leader
     */
    public HttpLeaderLink(HttpClient client, PeerDirectory peers, int self, long timeoutMs) {
        this.client = client;
        this.peers = peers;
        this.self = self;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public Future<Served<KvResult>> write(int leader, int group, KvCommand command) {
        return call(leader, group, ForwardCodec.write(command), KvResult.class);
    }

    @Override
    public Future<Served<GetResult>> get(int leader, int group, String key, ReadConsistency consistency) {
        return call(leader, group, ForwardCodec.get(key, consistency), GetResult.class);
    }

    @Override
    public Future<Served<RangeResult>> range(int leader, int group, String prefix, String startAfter, int limit,
            ReadConsistency consistency, boolean values) {
        return call(leader, group, ForwardCodec.range(prefix, startAfter, limit, consistency, values),
                RangeResult.class);
    }

    @Override
    public Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys,
            ReadConsistency consistency, Fetch fetch) {
        return call(leader, group, ForwardCodec.lookup(keys, consistency, fetch), LookupResult.class);
    }

    private <T> Future<Served<T>> call(int leader, int group, Buffer request, Class<T> type) {
        Optional<PeerDirectory.Address> address = peers.httpAddress(leader).filter(a -> a.port() > 0);
        if (address.isEmpty()) {
            return Future.failedFuture(new NodeRequestException(Reason.NO_LEADER, leader, "the leader (node " + leader
                    + ") has no known address"));
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(address.get().host())
                .setPort(address.get().port()).setURI(PATH).setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs)
                .setTimeout(timeoutMs)
                .putHeader("Content-Type", "application/octet-stream").putHeader(FORWARDED_BY, String.valueOf(self));
        if (group != 0) {
            options.putHeader(GROUP, String.valueOf(group));
        }
        return client.request(peers.authorize(options))
                // No connection, so nothing was sent: a refusal, not an unknown outcome (a killed leader's port).
                .recover(t -> Future.failedFuture(notConnected(leader, address.get(), t)))
                .compose(req -> request.length() <= SLICE_BYTES ? req.send(request) : sendInSlices(req, request))
                .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(),
                        resp.getHeader("Content-Type"), body)))
                .transform(ar -> {
                    if (ar.failed()) {
                        return Future.failedFuture(ar.cause() instanceof NodeRequestException e ? e
                                : unreachable(leader, ar.cause()));
                    }
                    Answer answer = ar.result();
                    if (!answer.binary()) {
                        return Future.failedFuture(refusal(leader, answer));
                    }
                    try {
                        return Future.succeededFuture(ForwardCodec.decodeResponse(answer.body(), type));
                    } catch (NodeRequestException e) {
                        return Future.failedFuture(e);
                    } catch (RuntimeException e) {
                        return Future.failedFuture(new NodeRequestException(Reason.LEADER_UNREACHABLE, leader,
                                "the leader (node " + leader + ") gave an unreadable answer: " + e.getMessage()));
                    }
                });
    }

    /**
     * Writes a large request a slice at a time, the next once the connection has taken the one before: handed to it
     * whole, a command of 64 MiB kept this node's event loop (and the heartbeats it should hear meanwhile) for 250-490
     * ms, copying and writing it in one go.
     */
    private static Future<io.vertx.core.http.HttpClientResponse> sendInSlices(
            io.vertx.core.http.HttpClientRequest req, Buffer request) {
        req.putHeader(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, String.valueOf(request.length()));
        endInSlices(req, request, req::end);
        return req.response();
    }

    /**
     * Writes {@code body} to {@code out} a slice of {@link #SLICE_BYTES} at a time, the next once the stream has taken
     * the ones before, then ends it: what a request above a slice is sent with, and what the leader answers a forwarded
     * read above a slice with (handed to the connection whole, a large answer is copied and written in one go on the
     * event loop). The caller has set the length the body announces.
     *
     * @param out  the stream: a request, or a response
     * @param body the bytes
     * @param end  ends the stream
     * @return completes as {@code end}'s future does
     */
    static Future<Void> endInSlices(io.vertx.core.streams.WriteStream<Buffer> out, Buffer body,
            java.util.function.Supplier<Future<Void>> end) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        new SlicedWrite(out, body, end, done).writeSome();
        return done.future();
    }

    /** A body on its way, slice by slice, on its stream's context. */
    private static final class SlicedWrite {
        private final io.vertx.core.streams.WriteStream<Buffer> out;
        private final Buffer body;
        private final java.util.function.Supplier<Future<Void>> end;
        private final io.vertx.core.Promise<Void> done;
        private int at;

        SlicedWrite(io.vertx.core.streams.WriteStream<Buffer> out, Buffer body,
                java.util.function.Supplier<Future<Void>> end, io.vertx.core.Promise<Void> done) {
            this.out = out;
            this.body = body;
            this.end = end;
            this.done = done;
        }

        /** Writes slices until the stream's queue is full, then again once it drained; ends the stream. */
        void writeSome() {
            try {
                while (at < body.length() && !out.writeQueueFull()) {
                    int to = Math.min(body.length(), at + SLICE_BYTES);
                    out.write(body.slice(at, to));
                    at = to;
                }
                if (at < body.length()) {
                    out.drainHandler(v -> writeSome());
                } else {
                    out.drainHandler(null);
                    end.get().onComplete(done);
                }
            } catch (IllegalStateException e) {
                // The stream was closed meanwhile (its connection reset): nothing more can be written.
                done.tryFail(e);
            }
        }
    }

    /** What the leader answered: a forwarded answer in binary, or an HTTP error of its router in JSON. */
    private record Answer(int status, String contentType, Buffer body) {

        boolean binary() {
            return status == 200 && contentType != null && contentType.startsWith("application/octet-stream");
        }
    }

    /**
     * The failure an HTTP error from the leader stands for. The leader's router refuses some requests before the
     * forwarding handler reads them (a body beyond its limit, a credential it does not accept) with the JSON error
     * every endpoint gives: its code is kept, so a refusal stays a refusal (nothing was carried out) rather than
     * becoming an unreadable answer, whose write's outcome a client would have to take as unknown.
     */
    private static NodeRequestException refusal(int leader, Answer answer) {
        String code = null;
        String message = null;
        int hint = leader;
        try {
            JsonObject json = new JsonObject(answer.body());
            code = json.getString("error");
            message = json.getString("message");
            hint = json.getInteger("leaderHint", leader);
        } catch (RuntimeException e) {
            // Not JSON (a proxy's page, say): the status alone tells what happened.
        }
        String what = "HTTP " + answer.status() + (code == null ? "" : " " + code)
                + (message == null ? "" : ": " + message);
        if (answer.status() == 413) {
            return new NodeRequestException(Reason.PAYLOAD_TOO_LARGE, leader, "the leader (node " + leader
                    + ") refused the forwarded request as too large (" + what + "); nothing was written (are the"
                    + " nodes configured with different service.max_body_bytes?)");
        }
        Optional<Reason> known = code == null ? Optional.empty() : Reason.fromCode(code);
        if (known.isPresent()) {
            return new NodeRequestException(known.get(), hint, message == null ? what : message);
        }
        if (answer.status() >= 400 && answer.status() < 500) {
            return new NodeRequestException(Reason.LEADER_REFUSED, leader, "the leader (node " + leader
                    + ") refused the forwarded request (" + what + "); nothing was carried out (are the nodes of"
                    + " different versions or configurations?)");
        }
        return new NodeRequestException(Reason.LEADER_UNREACHABLE, leader, "the leader (node " + leader
                + ") failed on the forwarded request (" + what + "); a write may or may not be applied");
    }

    /**
     * The failure of a request that got no connection to the leader, so that nothing of it was sent: the leader's
     * process is gone (its port refuses connections: a process killed, a machine restarting) or cannot be reached in
     * time, or this node queues too many requests for it. Such a request was not carried out, so it is a refusal
     * ({@code no_leader}: the leader this node knows of cannot be used), which the request layer answers by waiting for
     * another leader and asking it, as in an election; it used to be {@code leader_unreachable} (or {@code timeout}),
     * which tells the client that a write may have been applied, and was the answer to every write forwarded in the
     * second before the followers elected a new leader.
     */
    private NodeRequestException notConnected(int leader, PeerDirectory.Address address, Throwable t) {
        return notConnected(self, t, leader, "the leader (node " + leader + ")", "the leader it knows of (node "
                + leader + " at " + address.host() + ":" + address.port() + ")");
    }

    /**
     * The failure of a request from node {@code self} that got no connection to another node, so that nothing of it
     * was sent: {@code overloaded} when this node already queues as many requests for that node as it may (the request
     * waited for no connection at all), {@code no_leader} otherwise. Both are refusals the client may retry, not
     * {@code leader_unreachable}, which says that a write or a change may have been made. Shared with the members
     * API's relays ({@link MembersApi}).
     *
     * @param self     this node
     * @param t        why there was no connection
     * @param hint     the leader hint of an {@code overloaded} answer
     * @param queuedAt the other node as the overloaded answer names it ("the leader (node 2)")
     * @param reached  the other node and its address as the no-connection answer names it
     * @return the refusal
     */
    static NodeRequestException notConnected(int self, Throwable t, int hint, String queuedAt, String reached) {
        if (t instanceof io.vertx.core.http.ConnectionPoolTooBusyException) {
            return new NodeRequestException(Reason.OVERLOADED, hint, "node " + self + " already holds as many"
                    + " requests for " + queuedAt + " as it may queue; nothing was sent, retry later");
        }
        return new NodeRequestException(Reason.NO_LEADER, 0, "node " + self + " got no connection to " + reached + ": "
                + t.getMessage() + "; nothing was sent, retry");
    }

    private NodeRequestException unreachable(int leader, Throwable t) {
        String text = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        if (t instanceof TimeoutException || text.contains("timeout") || text.contains("timed out")) {
            return new NodeRequestException(Reason.TIMEOUT, leader, "the leader (node " + leader
                    + ") did not answer within " + timeoutMs + " ms (a write may still be applied)");
        }
        return new NodeRequestException(Reason.LEADER_UNREACHABLE, leader, "cannot reach the leader (node " + leader
                + "): " + t.getMessage());
    }
}
