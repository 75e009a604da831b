package io.raftline.app;

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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The load generator behind {@code raftline.jar bench} ({@link BenchCommand} reads its options): a closed-loop
 * write load. N clients each send one {@code PUT /v1/kv/bench-<k>} at a time to the leader (found through
 * {@code /v1/cluster}; followers would forward anyway) for a fixed duration after a warm-up, then it prints
 * throughput, latency percentiles and errors. It measures the whole path a client sees (HTTP, proposal batching,
 * replication, apply), which is what the design's targets are stated in; it is a command, never a timed unit test.
 */
public final class Bench {

    /** What one run does; {@link BenchCommand} builds it from the command line and checks its bounds. */
    record Options(URI url, int clients, long durationMs, long warmupMs, int valueSize, int keys, long timeoutMs) {
    }

    /** Per-context results, merged at the end (each is touched by one event loop only). */
    private static final class Stats {
        long[] latenciesNs = new long[1 << 16];
        int count;
        long ok;
        final Map<String, Long> errors = new TreeMap<>();

        void record(long ns) {
            if (count == latenciesNs.length) {
                latenciesNs = Arrays.copyOf(latenciesNs, count * 2);
            }
            latenciesNs[count++] = ns;
        }

        void error(String what) {
            errors.merge(what, 1L, Long::sum);
        }
    }

    private Bench() {
    }

    /**
     * Runs the load and prints the results.
     *
     * @return 0 when the run completed, 1 when it could not (no leader found, the cluster unreachable)
     */
    static int run(Options o, PrintStream out, PrintStream err) {
        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout((int) o.timeoutMs()), new PoolOptions().setHttp1MaxSize(o.clients()));
        try {
            URI target = findLeader(vertx, client, o).await();
            out.printf(Locale.ROOT, "bench: target %s, %d clients, %d ms (+%d ms warm-up), %d-byte values, %d keys%n",
                    target, o.clients(), o.durationMs(), o.warmupMs(), o.valueSize(), o.keys());
            JsonObject before = clusterStatus(client, o).await();
            long started = System.nanoTime();
            List<Stats> stats = load(vertx, client, o, target);
            double seconds = (System.nanoTime() - started) / 1e9;
            JsonObject after = clusterStatus(client, o).await();
            report(stats, o, out);
            reportStorage(before, after, seconds, out);
            return 0;
        } catch (Exception e) {
            err.println("raftline bench: " + e.getMessage());
            return Main.FAILURE;
        } finally {
            try {
                client.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // exiting anyway
            }
        }
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : 80;
    }

    private static Future<JsonObject> clusterStatus(HttpClient client, Options o) {
        RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(o.url().getHost())
                .setPort(port(o.url())).setURI("/v1/cluster").setIdleTimeout(o.timeoutMs());
        return client.request(req).compose(r -> r.send()).compose(r -> r.body()).map(b -> b.toJsonObject());
    }

    /**
     * Group commit made visible: per node, how many log entries each fsync covered during the run (the
     * leader's own writes and every follower's).
     */
    static void reportStorage(JsonObject before, JsonObject after, double seconds, PrintStream out) {
        JsonArray a = after.getJsonArray("nodes", new JsonArray());
        JsonArray b = before.getJsonArray("nodes", new JsonArray());
        for (int i = 0; i < a.size(); i++) {
            JsonObject n = a.getJsonObject(i);
            JsonObject st = n.getJsonObject("storage");
            JsonObject prev = null;
            for (int j = 0; j < b.size(); j++) {
                if (b.getJsonObject(j).getInteger("id").equals(n.getInteger("id"))) {
                    prev = b.getJsonObject(j).getJsonObject("storage");
                }
            }
            if (st == null || prev == null || !"durable".equals(st.getString("engine"))) {
                continue;
            }
            long fsyncs = st.getLong("fsyncs") - prev.getLong("fsyncs");
            long entries = st.getLong("entriesWritten") - prev.getLong("entriesWritten");
            out.printf(Locale.ROOT, "storage node %d (%s): %.0f fsyncs/s, %.0f entries/s, %.1f entries per fsync%n",
                    n.getInteger("id"), n.getString("role"), fsyncs / seconds, entries / seconds,
                    fsyncs == 0 ? 0.0 : (double) entries / fsyncs);
        }
    }

    /** Asks {@code /v1/cluster} for the leader's URL, retrying for a few seconds while an election runs. */
    private static Future<URI> findLeader(Vertx vertx, HttpClient client, Options o) {
        Promise<URI> promise = Promise.promise();
        long deadline = System.currentTimeMillis() + 10_000;
        askLeader(vertx, client, o, deadline, promise);
        return promise.future();
    }

    private static void askLeader(Vertx vertx, HttpClient client, Options o, long deadline, Promise<URI> promise) {
        RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(o.url().getHost())
                .setPort(port(o.url())).setURI("/v1/cluster").setIdleTimeout(o.timeoutMs());
        client.request(req).compose(r -> r.send()).compose(r -> r.body()).onComplete(ar -> {
            if (ar.succeeded()) {
                JsonObject c = ar.result().toJsonObject();
                int leader = c.getInteger("leader", 0);
                JsonArray nodes = c.getJsonArray("nodes", new JsonArray());
                for (int i = 0; i < nodes.size() && leader != 0; i++) {
                    JsonObject n = nodes.getJsonObject(i);
                    if (n.getInteger("id") == leader && n.getString("url") != null) {
                        promise.complete(URI.create(n.getString("url")));
                        return;
                    }
                }
            }
            if (System.currentTimeMillis() > deadline) {
                promise.fail("no leader found through " + o.url() + "/v1/cluster"
                        + (ar.failed() ? ": " + ar.cause().getMessage() : ""));
            } else {
                vertx.setTimer(200, t -> askLeader(vertx, client, o, deadline, promise));
            }
        });
    }

    private static List<Stats> load(Vertx vertx, HttpClient client, Options o, URI target) throws Exception {
        int contexts = Math.min(o.clients(), Math.max(1, Runtime.getRuntime().availableProcessors()));
        List<Stats> stats = new ArrayList<>();
        List<Future<Void>> done = new ArrayList<>();
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(o.warmupMs());
        long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(o.durationMs());
        byte[] value = new byte[o.valueSize()];
        Arrays.fill(value, (byte) 'x');
        Buffer body = Buffer.buffer(value);
        for (int c = 0; c < contexts; c++) {
            Context ctx = vertx.getOrCreateContext();
            Stats s = new Stats();
            stats.add(s);
            for (int i = c; i < o.clients(); i += contexts) {
                Promise<Void> p = Promise.promise();
                done.add(p.future());
                SplittableRandom random = new SplittableRandom(i);
                ctx.runOnContext(v -> next(client, o, target, body, random, s, measureFrom, end, p));
            }
        }
        long waitMs = o.warmupMs() + o.durationMs() + o.timeoutMs() + 5_000;
        Future.all(done).toCompletionStage().toCompletableFuture().get(waitMs, TimeUnit.MILLISECONDS);
        return stats;
    }

    private static void next(HttpClient client, Options o, URI target, Buffer body, SplittableRandom random,
            Stats s, long measureFrom, long end, Promise<Void> done) {
        long t0 = System.nanoTime();
        if (t0 >= end) {
            done.complete();
            return;
        }
        String key = "bench-" + random.nextInt(o.keys());
        RequestOptions req = new RequestOptions().setMethod(HttpMethod.PUT).setHost(target.getHost())
                .setPort(port(target)).setURI("/v1/kv/" + key).setIdleTimeout(o.timeoutMs());
        client.request(req).compose(r -> r.send(body)).compose(r -> r.body().map(b -> r.statusCode()))
                .onComplete(ar -> {
                    long t1 = System.nanoTime();
                    if (t0 >= measureFrom) {
                        if (ar.succeeded() && ar.result() == 200) {
                            s.ok++;
                            s.record(t1 - t0);
                        } else {
                            s.error(ar.succeeded() ? "HTTP " + ar.result() : ar.cause().getClass().getSimpleName());
                        }
                    }
                    next(client, o, target, body, random, s, measureFrom, end, done);
                });
    }

    private static void report(List<Stats> stats, Options o, PrintStream out) {
        long ok = 0;
        int n = 0;
        Map<String, Long> errors = new TreeMap<>();
        for (Stats s : stats) {
            ok += s.ok;
            n += s.count;
            s.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
        }
        long[] all = new long[n];
        int at = 0;
        for (Stats s : stats) {
            System.arraycopy(s.latenciesNs, 0, all, at, s.count);
            at += s.count;
        }
        Arrays.sort(all);
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        out.printf(Locale.ROOT, "requests: %d ok, %d errors%s%n", ok, errorCount, errors.isEmpty() ? "" : " " + errors);
        out.printf(Locale.ROOT, "throughput: %.0f writes/s%n", ok * 1000.0 / o.durationMs());
        if (n > 0) {
            out.printf(Locale.ROOT, "latency ms: p50 %.2f  p99 %.2f  p999 %.2f  max %.2f%n", pct(all, 0.50),
                    pct(all, 0.99), pct(all, 0.999), all[n - 1] / 1e6);
        }
    }

    private static double pct(long[] sorted, double q) {
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }
}
