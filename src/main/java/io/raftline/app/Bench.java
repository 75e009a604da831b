package io.raftline.app;

import io.raftline.shard.KeyGroups;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * The load generator behind {@code raftline.jar bench} ({@link BenchCommand} reads its options): a closed loop of
 * N clients, each keeping one request in flight for a fixed duration after a warm-up, then throughput, latency
 * percentiles (HdrHistogram) and errors per kind of request, and per node the fsyncs and entries per fsync of the
 * run (group commit made visible). Requests are writes ({@code PUT /v1/kv/bench-<k>}), reads ({@code GET}, with
 * the chosen consistency) or a mix; the keys are written once before a run with reads, so reads find values. It
 * measures the whole path a client sees (HTTP, forwarding, proposal batching, replication, apply), which is what
 * the design's targets are stated in; it is a command, never a timed unit test.
 */
public final class Bench {

    /** Where the clients send their requests. */
    enum Target {
        /** The leader, found through {@code /v1/cluster} (followers would forward anyway). */
        LEADER,
        /** Every node, clients spread round-robin: followers forward what needs the leader. */
        ALL,
        /** Exactly the URL given. */
        URL
    }

    /**
     * What one run does; {@link BenchCommand} builds it from the command line and checks its bounds.
     *
     * @param readPercent share of requests that are reads, 0..100
     * @param consistency {@code linearizable}, {@code lease} or {@code stale}, for reads
     * @param token       bearer token sent with every request ({@code security.client_token}), or empty
     * @param tls         CA to trust and client certificate to present ({@code --cacert}, {@code --cert},
     *                    {@code --key}); with any of them, or an https URL, every call is TLS
     */
    record Options(URI url, int clients, long durationMs, long warmupMs, int valueSize, int keys, long timeoutMs,
            int readPercent, String consistency, Target target, String token, ClientTls tls) {

        /** A run without TLS options. */
        Options(URI url, int clients, long durationMs, long warmupMs, int valueSize, int keys, long timeoutMs,
                int readPercent, String consistency, Target target, String token) {
            this(url, clients, durationMs, warmupMs, valueSize, keys, timeoutMs, readPercent, consistency, target,
                    token, ClientTls.NONE);
        }

        /** The Vert.x client's options: TLS when the URL is https, with the given CA and client certificate. */
        HttpClientOptions http() {
            HttpClientOptions http = new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                    .setConnectTimeout((int) timeoutMs);
            if ("https".equalsIgnoreCase(url.getScheme())) {
                http.setSsl(true).setVerifyHost(true);
                if (tls.caCert() != null) {
                    http.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(tls.caCert().toString()));
                }
                if (tls.cert() != null) {
                    http.setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
                            .setCertPath(tls.cert().toString()).setKeyPath(tls.key().toString()));
                }
            }
            return http;
        }

        /** The request with the token, if any. */
        RequestOptions authorize(RequestOptions request) {
            return token.isEmpty() ? request : request.putHeader("Authorization", "Bearer " + token);
        }
    }

    /** Latencies from 1 µs to 1 min at 3 significant digits. */
    private static Histogram histogram() {
        return new Histogram(TimeUnit.MINUTES.toNanos(1), 3);
    }

    /** Per-context results, merged at the end (each is touched by one event loop only). */
    private static final class Stats {
        final Histogram writes = histogram();
        final Histogram reads = histogram();
        final Map<String, Long> errors = new TreeMap<>();

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
        HttpClient client = vertx.createHttpClient(o.http(), new PoolOptions().setHttp1MaxSize(o.clients()));
        // Where the bench's own questions to the cluster are asked from (see get).
        Context asking = vertx.getOrCreateContext();
        try {
            JsonObject before = get(asking, client, o.url(), "/v1/cluster", o)
                    .await(o.timeoutMs(), TimeUnit.MILLISECONDS);
            List<URI> targets = targets(vertx, asking, client, o);
            List<URI> groupLeaders = o.target() == Target.LEADER ? groupLeaders(get(asking, client, o.url(),
                    "/v1/cluster", o).await(o.timeoutMs(), TimeUnit.MILLISECONDS)) : List.of();
            out.printf(Locale.ROOT, "bench: %s, %d clients, %d ms (+%d ms warm-up), %d-byte values, %d keys, %s%n",
                    !groupLeaders.isEmpty() ? "each key to its group's leader (" + groupLeaders.size() + " groups)"
                            : targets.size() == 1 ? "target " + targets.get(0) : "spread over " + targets, o.clients(),
                    o.durationMs(), o.warmupMs(), o.valueSize(), o.keys(), o.readPercent() == 0 ? "writes only"
                            : o.readPercent() + "% " + o.consistency() + " reads");
            if (o.readPercent() > 0) {
                preload(vertx, client, o, route(targets.get(0), groupLeaders));
                before = get(asking, client, o.url(), "/v1/cluster", o)
                        .await(o.timeoutMs(), TimeUnit.MILLISECONDS);
            }
            long started = System.nanoTime();
            List<Stats> stats = load(vertx, asking, client, o, targets, groupLeaders);
            double seconds = (System.nanoTime() - started) / 1e9;
            JsonObject after = get(asking, client, o.url(), "/v1/cluster", o)
                    .await(o.timeoutMs(), TimeUnit.MILLISECONDS);
            report(stats, o, out);
            reportStorage(before, after, seconds, out);
            return 0;
        } catch (Exception e) {
            err.println("raftline bench: " + e.getMessage());
            return Main.FAILURE;
        } finally {
            try {
                client.close().await(5, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // exiting anyway
            }
        }
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : 80;
    }

    /**
     * A JSON GET, made on {@code context} whatever thread asks: asked from the main thread, the callback that asks for
     * the body could run after the response had ended, and Vert.x 5.0.7 then loses the body (the race AdminHttp
     * describes): the bench waited for {@code /v1/cluster} until its timeout now and then.
     */
    private static Future<JsonObject> get(Context context, HttpClient client, URI base, String path, Options o) {
        RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(base.getHost())
                .setPort(port(base)).setURI(path).setIdleTimeout(o.timeoutMs());
        Promise<JsonObject> answer = Promise.promise();
        context.runOnContext(v -> client.request(o.authorize(req)).compose(r -> r.send()).compose(r -> r.body())
                .map(b -> b.toJsonObject()).onComplete(answer));
        return answer.future();
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
            if (fsyncs < 0 || entries < 0) {
                // The node restarted during the run: its counters began again at zero, and a difference would be a
                // negative rate (or one of a part of the run only).
                out.printf(Locale.ROOT, "storage node %d (%s): restarted during the run (its counters began again"
                        + " from zero): no rates%n", n.getInteger("id"), n.getString("role"));
                continue;
            }
            out.printf(Locale.ROOT, "storage node %d (%s): %.0f fsyncs/s, %.0f entries/s, %.1f entries per fsync%n",
                    n.getInteger("id"), n.getString("role"), fsyncs / seconds, entries / seconds,
                    fsyncs == 0 ? 0.0 : (double) entries / fsyncs);
        }
    }

    /** The URLs the clients use, asking {@code /v1/cluster} (retrying for a few seconds while an election runs). */
    private static List<URI> targets(Vertx vertx, Context asking, HttpClient client, Options o)
            throws Exception {
        if (o.target() == Target.URL) {
            return List.of(o.url());
        }
        long deadline = System.currentTimeMillis() + 10_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            try {
                JsonObject c = get(asking, client, o.url(), "/v1/cluster", o)
                        .await(o.timeoutMs(), TimeUnit.MILLISECONDS);
                int leader = c.getInteger("leader", 0);
                List<URI> all = new ArrayList<>();
                URI leaderUrl = null;
                JsonArray nodes = c.getJsonArray("nodes", new JsonArray());
                for (int i = 0; i < nodes.size(); i++) {
                    JsonObject n = nodes.getJsonObject(i);
                    if (n.getString("url") != null) {
                        all.add(URI.create(n.getString("url")));
                        if (n.getInteger("id") == leader) {
                            leaderUrl = all.get(all.size() - 1);
                        }
                    }
                }
                if (leaderUrl != null) {
                    return o.target() == Target.LEADER ? List.of(leaderUrl) : all;
                }
                last = "no leader yet";
            } catch (Exception e) {
                last = e.getMessage();
            }
            vertx.timer(200).await();
        }
        throw new IllegalStateException("no leader found through " + o.url() + "/v1/cluster (" + last + ")");
    }

    /**
     * On a sharded cluster, each group's leader, by group, from {@code /v1/cluster}'s {@code groups}: the bench then
     * sends every key to its group's leader, as a client that knows the key map does (docs/sharding.md). Empty for a
     * cluster of one group, or while some group has no leader.
     */
    private static List<URI> groupLeaders(JsonObject cluster) {
        JsonArray groups = cluster.getJsonArray("groups", new JsonArray());
        Map<Integer, URI> urls = new TreeMap<>();
        JsonArray nodes = cluster.getJsonArray("nodes", new JsonArray());
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            if (n.getString("url") != null) {
                urls.put(n.getInteger("id"), URI.create(n.getString("url")));
            }
        }
        List<URI> out = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            URI u = urls.get(groups.getJsonObject(g).getInteger("leader", 0));
            if (u == null) {
                return List.of();
            }
            out.add(u);
        }
        return out;
    }

    /** Where key {@code k}'s requests go: its group's leader on a sharded cluster, else always {@code target}. */
    private static IntFunction<URI> route(URI target, List<URI> groupLeaders) {
        return route(target, new AtomicReference<>(groupLeaders));
    }

    /**
     * As above, with the group leaders read from {@code groupLeaders} at each request: the load refreshes them while
     * it runs, since leaders still move in a sharded cluster's first minute (the balancer spreads them).
     */
    private static IntFunction<URI> route(URI target, AtomicReference<List<URI>> groupLeaders) {
        int groups = groupLeaders.get().size();
        if (groups == 0) {
            return k -> target;
        }
        KeyGroups map = new KeyGroups(groups);
        return k -> groupLeaders.get().get(map.groupOf("bench-" + k));
    }

    /** How often the load reads a sharded cluster's group leaders again. */
    private static final long LEADERS_REFRESH_MS = 1_000;

    /** Writes every key once, so that reads find values. */
    private static void preload(Vertx vertx, HttpClient client, Options o, IntFunction<URI> target) throws Exception {
        Buffer body = value(o);
        int parallel = Math.min(64, o.keys());
        List<Future<Void>> done = new ArrayList<>();
        for (int w = 0; w < parallel; w++) {
            Promise<Void> p = Promise.promise();
            done.add(p.future());
            int first = w;
            vertx.runOnContext(v -> preloadFrom(client, o, target, body, first, parallel, p));
        }
        Future.all(done).await(Math.max(60_000, o.keys() * 10L), TimeUnit.MILLISECONDS);
    }

    private static void preloadFrom(HttpClient client, Options o, IntFunction<URI> target, Buffer body, int key,
            int step,
            Promise<Void> done) {
        if (key >= o.keys()) {
            done.complete();
            return;
        }
        request(client, o, target.apply(key), HttpMethod.PUT, key, body).onComplete(ar -> {
            if (ar.succeeded() && ar.result() == 200) {
                preloadFrom(client, o, target, body, key + step, step, done);
            } else {
                done.tryFail("preloading key bench-" + key + " failed: "
                        + (ar.succeeded() ? "HTTP " + ar.result() : ar.cause().getMessage()));
            }
        });
    }

    private static Buffer value(Options o) {
        byte[] value = new byte[o.valueSize()];
        Arrays.fill(value, (byte) 'x');
        return Buffer.buffer(value);
    }

    private static Future<Integer> request(HttpClient client, Options o, URI target, HttpMethod method, int key,
            Buffer body) {
        String uri = "/v1/kv/bench-" + key + (method == HttpMethod.GET ? "?consistency=" + o.consistency() : "");
        RequestOptions req = new RequestOptions().setMethod(method).setHost(target.getHost()).setPort(port(target))
                .setURI(uri).setIdleTimeout(o.timeoutMs());
        return client.request(o.authorize(req)).compose(r -> method == HttpMethod.PUT ? r.send(body) : r.send())
                .compose(r -> r.body().map(b -> r.statusCode()));
    }

    private static List<Stats> load(Vertx vertx, Context asking, HttpClient client, Options o, List<URI> targets,
            List<URI> groupLeaders) throws Exception {
        int contexts = Math.min(o.clients(), Math.max(1, Runtime.getRuntime().availableProcessors()));
        List<Stats> stats = new ArrayList<>();
        List<Future<Void>> done = new ArrayList<>();
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(o.warmupMs());
        long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(o.durationMs());
        Buffer body = value(o);
        AtomicReference<List<URI>> leaders = new AtomicReference<>(groupLeaders);
        // A refreshed list replaces the old one only when it names every group's leader (none is moving right now).
        long refresh = groupLeaders.isEmpty() ? -1 : vertx.setPeriodic(LEADERS_REFRESH_MS, t ->
                get(asking, client, o.url(), "/v1/cluster", o).map(Bench::groupLeaders).onSuccess(now -> {
                    if (now.size() == groupLeaders.size()) {
                        leaders.set(now);
                    }
                }));
        for (int c = 0; c < contexts; c++) {
            Context ctx = vertx.getOrCreateContext();
            Stats s = new Stats();
            stats.add(s);
            for (int i = c; i < o.clients(); i += contexts) {
                Promise<Void> p = Promise.promise();
                done.add(p.future());
                Client cl = new Client(client, o, route(targets.get(i % targets.size()), leaders), body,
                        new SplittableRandom(i), s, measureFrom, end, p);
                ctx.runOnContext(v -> cl.next());
            }
        }
        try {
            Future.all(done).await(o.warmupMs() + o.durationMs() + o.timeoutMs() + 5_000, TimeUnit.MILLISECONDS);
        } finally {
            vertx.cancelTimer(refresh);
        }
        return stats;
    }

    /** One closed-loop client: one request in flight at a time. */
    private record Client(HttpClient http, Options o, IntFunction<URI> target, Buffer body, SplittableRandom random,
            Stats s,
            long measureFrom, long end, Promise<Void> done) {

        void next() {
            long t0 = System.nanoTime();
            if (t0 >= end) {
                done.complete();
                return;
            }
            boolean read = random.nextInt(100) < o.readPercent();
            int key = random.nextInt(o.keys());
            request(http, o, target.apply(key), read ? HttpMethod.GET : HttpMethod.PUT, key, body)
                    .onComplete(ar -> {
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom) {
                            if (ar.succeeded() && ar.result() == 200) {
                                (read ? s.reads : s.writes).recordValue(Math.max(1, t1 - t0));
                            } else {
                                s.error((read ? "read " : "write ")
                                        + (ar.succeeded() ? "HTTP " + ar.result() : ar.cause().getClass().getSimpleName()));
                            }
                        }
                        next();
                    });
        }
    }

    private static void report(List<Stats> stats, Options o, PrintStream out) {
        Histogram writes = histogram();
        Histogram reads = histogram();
        Map<String, Long> errors = new TreeMap<>();
        for (Stats s : stats) {
            writes.add(s.writes);
            reads.add(s.reads);
            s.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
        }
        long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
        out.printf(Locale.ROOT, "requests: %d ok, %d errors%s%n", writes.getTotalCount() + reads.getTotalCount(),
                errorCount, errors.isEmpty() ? "" : " " + errors);
        double seconds = o.durationMs() / 1000.0;
        line(out, "writes", writes, seconds);
        line(out, "reads (" + o.consistency() + ")", reads, seconds);
        if (writes.getTotalCount() > 0 && reads.getTotalCount() > 0) {
            out.printf(Locale.ROOT, "throughput: %.0f requests/s in all%n",
                    (writes.getTotalCount() + reads.getTotalCount()) / seconds);
        }
    }

    private static void line(PrintStream out, String what, Histogram h, double seconds) {
        if (h.getTotalCount() == 0) {
            return;
        }
        out.printf(Locale.ROOT, "%s: %.0f/s, latency ms p50 %.2f  p90 %.2f  p99 %.2f  p999 %.2f  max %.2f%n", what,
                h.getTotalCount() / seconds, ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1e6);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }
}
