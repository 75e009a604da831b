package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * The harness's small JSON-over-HTTP client for admin and status calls: every call has a timeout, and a non-2xx
 * answer is a failure carrying the status and body.
 */
final class AdminHttp {

    private final HttpClient http;
    private final long timeoutMs;

    AdminHttp(Vertx vertx, long timeoutMs) {
        this.timeoutMs = timeoutMs;
        this.http = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(false)
                .setConnectTimeout((int) Math.min(timeoutMs, 2000))).with(new PoolOptions().setHttp1MaxSize(8))
                .withConnectHandler(c -> c.exceptionHandler(e -> { })).build();
    }

    /** A call answering JSON (an empty object for an empty body); fails on a status other than 2xx. */
    Future<JsonObject> json(HttpMethod method, URI base, String path, JsonObject body) {
        RequestOptions o = new RequestOptions().setMethod(method).setHost(base.getHost()).setPort(base.getPort())
                .setURI(path).setIdleTimeout(timeoutMs).setConnectTimeout(Math.min(timeoutMs, 2000));
        Buffer payload = body == null ? Buffer.buffer() : body.toBuffer();
        if (body != null) {
            o.putHeader("Content-Type", "application/json");
        }
        return http.request(o).compose(req -> req.send(payload))
                .compose(resp -> resp.body().compose(b -> {
                    if (resp.statusCode() / 100 != 2) {
                        return Future.failedFuture(method + " " + base + path + " answered " + resp.statusCode() + " "
                                + b.toString());
                    }
                    return Future.succeededFuture(b.length() == 0 ? new JsonObject() : b.toJsonObject());
                }));
    }

    Future<JsonObject> get(URI base, String path) {
        return json(HttpMethod.GET, base, path, null);
    }

    Future<Void> close() {
        return http.close();
    }
}
