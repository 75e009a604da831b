package io.raftline.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The durability promise, tested the hard way: a real Raftline process (3 nodes, durable storage) takes
 * writes from concurrent clients and is killed with SIGKILL in the middle of the load, twice; the second
 * time a leader is also crashed from the admin API just before. After each restart every write that was
 * acknowledged must be readable with its value, and all replicas must have the same state hash at the same
 * applied index. Bounded: each load phase lasts 2 s and every wait has a deadline.
 */
class KillNineRecoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private Path dir;
    private int adminPort;
    private final int[] nodePorts = new int[3];

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillMinus9AndReplicasAgree() throws Exception {
        dir = Path.of("target", "test-data", "kill9-" + UUID.randomUUID());
        Files.createDirectories(dir);
        Path conf = writeConfig();
        Map<String, String> acked = new ConcurrentHashMap<>();

        start(conf, "run-1.log");
        load("a", acked, Duration.ofSeconds(2), false);
        int afterFirst = acked.size();
        assertThat(afterFirst).as("writes acknowledged before the first kill").isGreaterThan(100);

        start(conf, "run-2.log");
        verify(acked);
        load("b", acked, Duration.ofSeconds(2), true);

        start(conf, "run-3.log");
        verify(acked);
        assertThat(acked.size()).isGreaterThan(afterFirst);
        System.out.printf("[kill-9] %d acknowledged writes verified after 2 kill -9 restarts (logs in %s)%n",
                acked.size(), dir);
    }

    private Path writeConfig() throws IOException {
        adminPort = freePort();
        JsonArray nodes = new JsonArray();
        for (int i = 0; i < 3; i++) {
            nodePorts[i] = freePort();
            nodes.add(new JsonObject().put("id", i + 1).put("http_port", nodePorts[i])
                    .put("data_dir", dir.resolve("node-" + (i + 1)).toAbsolutePath().toString()));
        }
        JsonObject conf = new JsonObject().put("cluster_name", "kill9").put("seed", 11).put("nodes", nodes)
                .put("admin", new JsonObject().put("port", adminPort))
                .put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50)
                        .put("election_timeout_min_ms", 200).put("election_timeout_max_ms", 400)
                        // Small snapshot interval: recovery goes through snapshot + log, not the log alone.
                        .put("snapshot_interval_entries", 500))
                .put("storage", new JsonObject().put("engine", "durable").put("segment_bytes", 64 * 1024));
        Path p = dir.resolve("cluster.json");
        Files.writeString(p, conf.encodePrettily());
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void start(Path conf, String logName) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(java, "-Draftline.log.level=INFO", "-cp", System.getProperty("java.class.path"),
                "io.raftline.app.Main",
                "local", "--conf", conf.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(logName).toFile()).start();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("process exited; see " + dir.resolve(logName)).isTrue();
            try {
                JsonObject c = getJson(adminPort, "/v1/cluster");
                if (c.getInteger("leader", 0) > 0) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader within " + WAIT + "; see " + dir.resolve(logName));
    }

    /** Concurrent writers for a while; records what was acknowledged. Optionally crashes the leader midway. */
    private void load(String prefix, Map<String, String> acked, Duration duration, boolean crashLeader)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    String key = prefix + "-" + thread + "-" + n;
                    String value = "value-" + key;
                    int port = nodePorts[(thread + n) % 3];
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, "/v1/kv/" + key))
                                .timeout(Duration.ofSeconds(2)).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            acked.put(key, value);
                        }
                    } catch (IOException e) {
                        // outcome unknown (the process may be dying): not acknowledged, not checked
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        Thread.sleep(duration.toMillis() / 2);
        if (crashLeader) {
            int leader = getJson(adminPort, "/v1/cluster").getInteger("leader", 0);
            if (leader > 0) {
                post(adminPort, "/v1/admin/nodes/" + leader + "/crash");
                Thread.sleep(300);
                post(adminPort, "/v1/admin/nodes/" + leader + "/restart");
            }
        }
        Thread.sleep(duration.toMillis() / 2);
        // Kill while writes are still in flight: the point is to cut the process mid-write.
        kill9WhileLoaded(stop, pool);
    }

    private void kill9WhileLoaded(AtomicBoolean stop, ExecutorService pool) throws InterruptedException {
        process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, nothing
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
    }

    private void verify(Map<String, String> acked) throws Exception {
        List<String> missing = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, String> e : acked.entrySet()) {
            int port = nodePorts[i++ % 3];
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, "/v1/kv/" + e.getKey()))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().equals(e.getValue())) {
                missing.add(e.getKey() + " -> " + r.statusCode() + " " + r.body());
            }
        }
        assertThat(missing).as("acknowledged writes lost after kill -9 (of %d)", acked.size()).isEmpty();
        // Replicas converge to the same applied index and must then have identical state.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Set<Long> indexes = new HashSet<>();
            Set<String> hashes = new HashSet<>();
            for (int port : nodePorts) {
                JsonObject d = getJson(port, "/v1/state-hash");
                indexes.add(d.getLong("appliedIndex"));
                hashes.add(d.getString("stateHash"));
            }
            if (indexes.size() == 1) {
                assertThat(hashes).as("state hashes at applied index %s", indexes).hasSize(1);
                return;
            }
            assertThat(System.nanoTime()).as("replicas did not converge: %s", indexes).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private JsonObject getJson(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, path)).timeout(Duration.ofSeconds(5))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }

    private void post(int port, String path) throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(url(port, path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }

    private static URI url(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
