package io.raftline.verify.nemesis;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * {@link KvClient} over HTTP/1.1 with keep-alive connections. The two failure stages are kept apart because they
 * mean different things for the history: if no connection could be obtained nothing was sent
 * ({@link KvResponse.NotSent}); once the request is on a connection, any failure may come after the server
 * received it ({@link KvResponse.NoAnswer}).
 */
public final class HttpKvClient implements KvClient {

    private final HttpClient http;
    private final Map<Integer, URI> nodes;
    private final long timeoutMs;
    /**
     * Where a request asked from a thread that is not Vert.x's (a test's, the final reads of a run) is made: from
     * there, the callback that asks for the body can run after a short answer has ended, and Vert.x 5.0.7 then loses
     * the body (the race {@link AdminHttp} describes), which the history would record as no answer.
     */
    private final Context context;

    /**
     * Creates a client.
     *
     * @param vertx     the Vert.x instance to run on
     * @param nodes     node id → base URL ({@code http://127.0.0.1:port})
     * @param poolSize  connections per node at most
     * @param timeoutMs how long to wait for an answer (and for a connection)
     */
    public HttpKvClient(Vertx vertx, Map<Integer, URI> nodes, int poolSize, long timeoutMs) {
        this.nodes = Map.copyOf(nodes);
        this.timeoutMs = timeoutMs;
        this.context = vertx.getOrCreateContext();
        // A killed node resets its connections: that is an expected answer (NoAnswer), not an error to log.
        this.http = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout((int) Math.min(timeoutMs, 2000))).with(new PoolOptions().setHttp1MaxSize(poolSize))
                .withConnectHandler(c -> c.exceptionHandler(e -> { })).build();
    }

    @Override
    public Future<KvResponse> send(int node, KvRequest r) {
        if (Vertx.currentContext() != null) {
            return exchange(node, r);
        }
        Promise<KvResponse> answer = Promise.promise();
        context.runOnContext(v -> exchange(node, r).onComplete(answer));
        return answer.future();
    }

    private Future<KvResponse> exchange(int node, KvRequest r) {
        URI base = Objects.requireNonNull(nodes.get(node), () -> "no node " + node);
        HttpMethod method = switch (r.kind()) {
            case GET -> HttpMethod.GET;
            case DELETE -> HttpMethod.DELETE;
            case PUT, CAS -> HttpMethod.PUT;
        };
        RequestOptions options = new RequestOptions().setMethod(method).setHost(base.getHost())
                .setPort(base.getPort()).setURI(r.uri()).setIdleTimeout(timeoutMs)
                .setConnectTimeout(Math.min(timeoutMs, 2000));
        if (r.idempotencyKey() != null) {
            options.putHeader("Idempotency-Key", r.idempotencyKey());
        }
        Buffer body = r.value() == null ? Buffer.buffer() : Buffer.buffer(r.value().bytes());
        return http.request(options).transform(connected -> {
            if (connected.failed()) {
                return Future.succeededFuture(new KvResponse.NotSent(connected.cause().getClass().getSimpleName()));
            }
            return connected.result().send(body)
                    .compose(resp -> resp.body().map(b -> (KvResponse) new KvResponse.Answered(resp.statusCode(),
                            b.getBytes(), resp.getHeader("Raft-Revision"), resp.getHeader("Raft-Served-By"))))
                    .otherwise(t -> new KvResponse.NoAnswer(t.getClass().getSimpleName()));
        });
    }

    @Override
    public Future<Void> close() {
        return http.close();
    }
}
