package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** Bounded polling of cluster conditions, shared by both kinds of cluster under test. */
final class Health {

    private static final long POLL_MS = 100;

    private Health() {
    }

    /**
     * Asks {@code condition} every 100 ms until it answers true; fails after {@code timeout} with the last error.
     */
    static Future<Void> poll(Vertx vertx, Duration timeout, Supplier<Future<Boolean>> condition) {
        Promise<Void> promise = Promise.promise();
        long deadline = System.nanoTime() + timeout.toNanos();
        ask(vertx, deadline, timeout, condition, promise, null);
        return promise.future();
    }

    private static void ask(Vertx vertx, long deadline, Duration timeout, Supplier<Future<Boolean>> condition,
                            Promise<Void> promise, Throwable last) {
        condition.get().onComplete(ar -> {
            if (ar.succeeded() && Boolean.TRUE.equals(ar.result())) {
                promise.complete();
            } else if (System.nanoTime() - deadline > 0) {
                Throwable cause = ar.failed() ? ar.cause() : last;
                promise.fail("not healthy within " + timeout.toSeconds() + " s"
                        + (cause == null ? "" : " (last error: " + cause.getMessage() + ")"));
            } else {
                vertx.setTimer(POLL_MS, t -> ask(vertx, deadline, timeout, condition, promise,
                        ar.failed() ? ar.cause() : last));
            }
        });
    }

    /** Every node's {@code /v1/state-hash}; nodes that do not answer are left out. */
    static Future<Map<Integer, JsonObject>> stateHashes(AdminHttp http, Map<Integer, URI> nodes) {
        Map<Integer, JsonObject> out = new TreeMap<>();
        List<Future<?>> asks = new ArrayList<>();
        for (Map.Entry<Integer, URI> n : nodes.entrySet()) {
            asks.add(http.get(n.getValue(), "/v1/state-hash").onSuccess(j -> {
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
}
