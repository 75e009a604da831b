package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.Waits;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The write load of the kill -9 tests: 8 threads write unique keys through the given nodes while faults land, and
 * every acknowledged write is remembered, so that after the cluster comes back each one can be read with its
 * value. A write that failed or timed out has an unknown outcome: it is neither remembered nor checked.
 */
final class AckedWrites implements AutoCloseable {

    private static final int WRITERS = 8;

    private final HttpClient http = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final Duration wait;
    private ExecutorService pool;
    private AtomicBoolean stop;

    /**
     * @param wait the bound of every wait (for acknowledgements, for reads the cluster cannot serve yet)
     */
    AckedWrites(Duration wait) {
        this.wait = wait;
    }

    /** Starts the writers, keys {@code <prefix>-<thread>-<n>}, each write through the next node in turn. */
    void start(String prefix, List<URI> nodes) {
        List<URI> fixed = List.copyOf(nodes);
        start(prefix, () -> fixed);
    }

    /**
     * Starts the writers through nodes that change while they write (members come and go): each write goes to the
     * next of the nodes the supplier gives at that moment.
     */
    void start(String prefix, Supplier<List<URI>> nodeList) {
        AtomicBoolean stopping = new AtomicBoolean();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        for (int t = 0; t < WRITERS; t++) {
            int thread = t;
            writers.submit(() -> {
                for (int n = 0; !stopping.get(); n++) {
                    String key = prefix + "-" + thread + "-" + n;
                    String value = "value-" + key;
                    List<URI> nodes = nodeList.get();
                    URI node = nodes.get((thread + n) % nodes.size());
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/v1/kv/" + key))
                                .timeout(Duration.ofSeconds(2)).PUT(HttpRequest.BodyPublishers.ofString(value))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            acked.put(key, value);
                        }
                    } catch (IOException e) {
                        // outcome unknown: not acknowledged, not checked
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        this.pool = writers;
        this.stop = stopping;
    }

    /** Waits until at least {@code n} writes were acknowledged in all. */
    void awaitAcknowledged(int n) throws InterruptedException {
        eventually(n + " writes acknowledged", wait, () -> acked.size() >= n);
    }

    /** How many writes were acknowledged so far. */
    int acknowledged() {
        return acked.size();
    }

    /** Stops the writers and waits for them. */
    void stop() throws InterruptedException {
        if (pool == null) {
            return;
        }
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("writers stopped").isTrue();
        pool = null;
    }

    /**
     * Every acknowledged write is readable (linearizably) through the given nodes, with its value. A read the
     * cluster cannot serve right now (503/504: an election under way) says nothing about the data: it is asked
     * again on the next node, within the bound for all reads; only an answer (another value, or 404) is a loss.
     *
     * @param nodes where to read, in turn
     * @param logs  the cluster's logs, named in the failure message
     */
    void verifyReadable(List<URI> nodes, Path logs) throws InterruptedException {
        List<String> wrong = new ArrayList<>();
        int[] next = {0};
        long deadline = System.nanoTime() + wait.toNanos();
        for (Map.Entry<String, String> e : acked.entrySet()) {
            AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
            try {
                eventually("a read of " + e.getKey() + " the cluster can serve",
                        Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), () -> {
                            last.set(read(nodes.get(next[0]++ % nodes.size()), e.getKey()));
                            return last.get().statusCode() != 503 && last.get().statusCode() != 504;
                        });
            } catch (Waits.TimedOutException timedOut) {
                // the last answer is judged below
            }
            HttpResponse<String> r = last.get();
            if (r.statusCode() != 200 || !r.body().equals(e.getValue())) {
                wrong.add(e.getKey() + " -> " + r.statusCode() + " " + r.body());
            }
        }
        assertThat(wrong).as("acknowledged writes lost (of %d); logs in %s", acked.size(), logs).isEmpty();
    }

    /** A linearizable read; a failed request fails the test (a node that should serve does not answer). */
    private HttpResponse<String> read(URI node, String key) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(node.resolve("/v1/kv/" + key)).timeout(Duration.ofSeconds(5))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("reading " + key + " from " + node + " failed: " + e, e);
        }
    }

    /** Stops writers a failed test left running. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
