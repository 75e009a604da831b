package io.raftline.verify.nemesis;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The harness's small JSON-over-HTTP client for admin and status calls: every call has a timeout, and a non-2xx
 * answer is a failure carrying the status and body.
 */
final class AdminHttp {

    /** After this long without an answer, a read is sent once more (see {@link #get}). */
    static final long HEDGE_MS = 2500;

    private final Vertx vertx;
    /**
     * Where every call is made. A call made from a thread that is not Vert.x's (a test, the verify command's main
     * thread) could lose its answer: Vert.x 5.0.7 drops the end of a response that arrives before {@code body()} is
     * called (vert.x issue 6038, fixed in 5.0.11), and from such a thread the callback that calls it can run after the
     * end. 5 of 150,000 admin calls from a test thread waited for a body that had arrived (status 200 received, the
     * server had answered in a millisecond); none of 150,000 made on one context did.
     */
    private final Context context;
    private final HttpClient http;
    private final long timeoutMs;

    AdminHttp(Vertx vertx, long timeoutMs) {
        this(vertx, timeoutMs, "");
    }

    /**
     * A client that also speaks TLS to {@code https} URLs, trusting the certificates of {@code caFile}.
     *
     * @param vertx     the Vert.x instance
     * @param timeoutMs the timeout of every call
     * @param caFile    PEM certificates to trust; empty for the JVM's trust store
     */
    AdminHttp(Vertx vertx, long timeoutMs, String caFile) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.timeoutMs = timeoutMs;
        // A fresh connection per admin call (they are few). The answers that earlier versions saw go missing, with
        // pooled connections and without, were the response-end race described at the field `context`.
        HttpClientOptions options = new HttpClientOptions().setKeepAlive(false)
                .setConnectTimeout((int) Math.min(timeoutMs, 2000));
        if (!caFile.isEmpty()) {
            options.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(caFile));
        }
        this.http = vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(4))
                .withConnectHandler(c -> c.exceptionHandler(e -> { })).build();
    }

    /**
     * A call answering JSON (an empty object for an empty body); fails on a status other than 2xx, and in any case
     * after the timeout (a watchdog of its own, whatever happens inside the HTTP client).
     */
    Future<JsonObject> json(HttpMethod method, URI base, String path, JsonObject body) {
        // Admin calls are idempotent (a second crash, restart, heal or network setting changes nothing more):
        // one that got no answer in time is tried once more.
        return once(method, base, path, body).recover(e -> String.valueOf(e.getMessage()).contains("no answer within")
                ? once(method, base, path, body) : Future.failedFuture(e));
    }

    private Future<JsonObject> once(HttpMethod method, URI base, String path, JsonObject body) {
        Promise<JsonObject> bounded = Promise.promise();
        String[] stage = {"waiting for a connection"};
        long timer = vertx.setTimer(timeoutMs + 1000, t -> bounded.tryFail(method + " " + base + path
                + ": no answer within " + (timeoutMs + 1000) + " ms (" + stage[0] + ")"));
        // On the client's own context, whatever thread asks (see the field).
        context.runOnContext(v -> call(method, base, path, body, stage).onComplete(ar -> {
            vertx.cancelTimer(timer);
            if (ar.succeeded()) {
                bounded.tryComplete(ar.result());
            } else {
                bounded.tryFail(ar.cause());
            }
        }));
        return bounded.future();
    }

    private Future<JsonObject> call(HttpMethod method, URI base, String path, JsonObject body, String[] stage) {
        RequestOptions o = new RequestOptions().setMethod(method).setHost(base.getHost()).setPort(base.getPort())
                .setURI(path).setIdleTimeout(timeoutMs).setConnectTimeout(Math.min(timeoutMs, 2000))
                .setSsl("https".equals(base.getScheme()));
        Buffer payload = body == null ? Buffer.buffer() : body.toBuffer();
        if (body != null) {
            o.putHeader("Content-Type", "application/json");
        }
        return http.request(o).compose(req -> {
            stage[0] = "sent, waiting for the answer";
            return req.send(payload);
        }).compose(resp -> {
            stage[0] = "status " + resp.statusCode() + " received, waiting for the body";
            return resp.body().compose(b -> {
                    if (resp.statusCode() / 100 != 2) {
                        return Future.failedFuture(method + " " + base + path + " answered " + resp.statusCode() + " "
                                + b.toString());
                    }
                    return Future.succeededFuture(b.length() == 0 ? new JsonObject() : b.toJsonObject());
                });
        });
    }

    /**
     * A read (status, health, state hash): the same request is sent a second time if the first has no answer after
     * {@link #HEDGE_MS}, and the first answer of either counts. Callers wait 10 s for most reads; a lost answer (the
     * comment in the constructor) retried only after the first call's own timeout came too late for them (a CI run
     * waited 10 s for {@code /v1/cluster} and failed, where the server answers in milliseconds).
     */
    Future<JsonObject> get(URI base, String path) {
        Promise<JsonObject> first = Promise.promise();
        // The two attempts complete on their own event loops: the count of attempts and failures is shared.
        int[] sentAndFailed = {1, 0};
        Handler<AsyncResult<JsonObject>> settle = ar -> {
            if (ar.succeeded()) {
                first.tryComplete(ar.result());
                return;
            }
            boolean last;
            synchronized (sentAndFailed) {
                last = ++sentAndFailed[1] == sentAndFailed[0];
            }
            if (last) {
                first.tryFail(ar.cause());
            }
        };
        once(HttpMethod.GET, base, path, null).onComplete(settle);
        long timer = vertx.setTimer(Math.min(HEDGE_MS, timeoutMs), t -> {
            synchronized (sentAndFailed) {
                if (first.future().isComplete() || sentAndFailed[1] > 0) {
                    return;
                }
                sentAndFailed[0] = 2;
            }
            once(HttpMethod.GET, base, path, null).onComplete(settle);
        });
        return first.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    /** Every node's {@code /v1/state-hash}; nodes that do not answer are left out. */
    Future<Map<Integer, JsonObject>> stateHashes(Map<Integer, URI> nodes) {
        Map<Integer, JsonObject> out = new TreeMap<>();
        List<Future<?>> asks = new ArrayList<>();
        for (Map.Entry<Integer, URI> n : nodes.entrySet()) {
            asks.add(get(n.getValue(), "/v1/state-hash").onSuccess(j -> {
                synchronized (out) {
                    out.put(n.getKey(), j);
                }
            }));
        }
        return Future.join(asks).otherwiseEmpty().map(v -> {
            synchronized (out) {
                return new TreeMap<>(out);
            }
        });
    }

    Future<Void> close() {
        return http.close();
    }
}
